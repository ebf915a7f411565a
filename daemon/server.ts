// The socket side of the daemon: reads newline-delimited JSON requests, hands each to `dispatch`,
// writes the answers. Everything a client can do wrong ends in an error response (and, for framing
// errors, a closed connection) — never in a crash or unbounded memory.
//
// Bounds, per connection: a partial request line ≤ MAX_REQUEST_BYTES (64 KiB); ≤ 16 requests in
// flight; while 16 are in flight or the client is not taking its answers (socket high-water mark),
// nothing more is parsed (the rest of the read chunk, ≤ 64 KiB, waits) and reading pauses; an answer
// buffer beyond 1 MiB destroys the connection, and a single answer beyond 1 MiB is replaced by a
// too_large error.
// At most 1024 connections: at the limit a new one takes the place of the connection idle the longest
// (so idle or leaked connections cannot lock the shim out), and is refused only when every one is busy.
// A partial line must complete within 5 s; an idle connection closes after 60 s.
// A client that half-closes gets the answers to what it sent; then its connection is ended.
import type { Server, Socket } from 'node:net';
import { MAX_REQUEST_BYTES, type ErrorBody, type ProtocolVersion, type Request } from '../src/protocol/wire.js';
import { parseRequest } from './validate.js';

/**
 * A handler's answer; `result` is already JSON text so cached answers are written without re-encoding.
 * `warning`: one line for the client to print (see CallerSettings in the protocol).
 */
export type Reply = ({ ok: true; result: string } | { ok: false; error: ErrorBody }) & { warning?: string };
/** A cache hit answers synchronously (written in the turn its request was read); anything else with a promise. */
export type Dispatch = (request: Request) => Reply | Promise<Reply>;

export interface ServerLimits {
  readonly maxConnections: number;
  readonly maxRequestBytes: number;
  readonly partialLineTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxWriteBufferBytes: number;
  readonly maxInFlightPerConnection: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxConnections: 1024,
  maxRequestBytes: MAX_REQUEST_BYTES,
  partialLineTimeoutMs: 5_000,
  idleTimeoutMs: 60_000,
  maxWriteBufferBytes: 1024 * 1024,
  maxInFlightPerConnection: 16,
};

/** The answer line, in the protocol version of the request (1, which every client reads, for a request that could not be read). */
export function frame(id: string | number | null, reply: Reply, v: ProtocolVersion = 1): string {
  const warning = reply.warning === undefined ? '' : `,"warning":${JSON.stringify(reply.warning)}`;
  if (reply.ok) return `{"v":${v},"id":${JSON.stringify(id)},"ok":true,"result":${reply.result}${warning}}\n`;
  return JSON.stringify({ v, id, ok: false, error: reply.error, ...(reply.warning === undefined ? {} : { warning: reply.warning }) }) + '\n';
}

interface Connection {
  readonly socket: Socket;
  inFlight: number;
  closing: boolean;
  /** The client half-closed (sent FIN): end once its answers are written. */
  peerEnded: boolean;
  /** Received bytes not parsed yet because the connection was busy (≤ one read chunk). */
  backlog: Buffer | undefined;
  /** performance.now() of the last request, answer or drain: who makes way at the connection limit, and when it is idle. */
  lastActive: number;
  /** True while part of a request line has arrived. */
  hasPartial(): boolean;
  /** Parses and dispatches complete lines of `data`, stopping (into `backlog`) when busy. */
  consume(data: Buffer): void;
}

export class RequestServer {
  private readonly connections = new Set<Connection>();
  private stopping = false;
  private readonly drained: (() => void)[] = [];
  /**
   * Closes idle connections: one timer for all of them, instead of a socket timeout per connection that
   * Node re-arms on every read and write (a measurable part of a request's cost under load).
   */
  private readonly idleSweep: NodeJS.Timeout;

  constructor(
    private readonly server: Server,
    private readonly dispatch: Dispatch,
    private readonly limits: ServerLimits = DEFAULT_LIMITS,
    /** Accept failures (e.g. EMFILE): reported, never fatal; the listener keeps going. */
    onError: (message: string) => void = () => {},
  ) {
    server.on('connection', (socket: Socket) => {
      if (this.connections.size >= limits.maxConnections && !this.makeRoom()) return socket.destroy();
      this.serve(socket);
    });
    this.idleSweep = setInterval(() => this.closeIdle(), Math.max(100, Math.min(limits.idleTimeoutMs / 4, 5_000)));
    this.idleSweep.unref();
    let lastReport = 0;
    server.on('error', (err: NodeJS.ErrnoException) => {
      if (Date.now() - lastReport < 60_000) return;
      lastReport = Date.now();
      onError(`cannot accept a connection: ${err.code ?? err.message}`);
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Closes one connection with nothing in flight and nothing half-read: one already closing (its peer
   * hung up) if any, else the one idle the longest. False when every connection is busy.
   */
  private makeRoom(): boolean {
    let victim: Connection | undefined;
    for (const conn of this.connections) {
      if (conn.inFlight > 0 || conn.backlog || conn.hasPartial()) continue;
      const better = !victim || (conn.closing && !victim.closing) || (conn.closing === victim.closing && conn.lastActive < victim.lastActive);
      if (better) victim = conn;
    }
    if (!victim) return false;
    this.connections.delete(victim); // now, not at 'close': the new connection counts at once
    victim.socket.destroy();
    return true;
  }

  /**
   * Nothing happened for the idle time and we owe no answer: an idle client, or one that stopped reading
   * its answers (then backlog and unread answers go with it).
   */
  private closeIdle(): void {
    const cutoff = performance.now() - this.limits.idleTimeoutMs;
    for (const conn of this.connections) if (conn.inFlight === 0 && conn.lastActive <= cutoff) conn.socket.destroy();
  }

  /** Stops accepting, lets in-flight requests finish (at most `graceMs`), then closes every connection. */
  async close(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    clearInterval(this.idleSweep);
    // Our own connection set is the truth here: waiting for net.Server's close callback can hang on
    // its internal connection count, which leaves the event loop empty with the daemon half-stopped.
    this.server.close();
    for (const conn of this.connections) this.endWhenIdle(conn);
    if (this.connections.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.drained.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    for (const conn of this.connections) conn.socket.destroy();
  }

  private serve(socket: Socket): void {
    const limits = this.limits;
    let partial: Buffer[] = [];
    let partialBytes = 0;
    let partialTimer: NodeJS.Timeout | undefined;

    const clearPartialTimer = (): void => {
      if (partialTimer) clearTimeout(partialTimer);
      partialTimer = undefined;
    };
    const clearPartial = (): void => {
      partial = [];
      partialBytes = 0;
      clearPartialTimer();
    };
    const fatal = (error: ErrorBody): void => {
      clearPartial();
      conn.backlog = undefined;
      this.write(conn, frame(null, { ok: false, error }));
      conn.closing = true;
      socket.end();
      // A client that keeps sending after the error is not read any further.
      setTimeout(() => socket.destroy(), 1_000).unref();
    };
    const consume = (data: Buffer): void => {
      if (conn.closing) return;
      let start = 0;
      for (let newline = data.indexOf(10); newline >= 0; newline = data.indexOf(10, start)) {
        if (this.busy(conn)) {
          // Keep the rest for later: the answers in flight must be taken before more work is read.
          conn.backlog = Buffer.from(data.subarray(start));
          clearPartialTimer(); // what is waiting here is complete lines, not a slow client
          return;
        }
        let line = data.subarray(start, newline);
        start = newline + 1;
        if (partialBytes > 0) {
          line = Buffer.concat([...partial, line], partialBytes + line.length);
          clearPartial();
        }
        if (line.length > limits.maxRequestBytes) return fatal(tooLarge(limits));
        this.handleLine(conn, line);
        if (conn.closing) return;
      }
      if (start < data.length) {
        partial.push(Buffer.from(data.subarray(start))); // a copy: do not pin the whole chunk
        partialBytes += data.length - start;
        if (partialBytes > limits.maxRequestBytes) return fatal(tooLarge(limits));
        partialTimer ??= setTimeout(
          () => fatal({ code: 'bad_request', message: `incomplete request: no end of line within ${limits.partialLineTimeoutMs / 1000} s` }),
          limits.partialLineTimeoutMs,
        );
      }
    };
    const conn: Connection = {
      socket,
      inFlight: 0,
      closing: false,
      peerEnded: false,
      backlog: undefined,
      lastActive: performance.now(),
      hasPartial: () => partialBytes > 0,
      consume,
    };
    this.connections.add(conn);

    socket.on('drain', () => {
      conn.lastActive = performance.now(); // a client taking a long answer is not idle
      this.updateReading(conn);
    });
    socket.on('error', () => {}); // EPIPE/ECONNRESET: the peer went away; 'close' cleans up
    socket.on('close', () => {
      clearPartial();
      conn.backlog = undefined;
      this.connections.delete(conn);
      if (this.connections.size === 0) for (const done of this.drained.splice(0)) done();
    });
    socket.on('end', () => {
      if (partialBytes > 0) {
        clearPartial();
        this.write(conn, frame(null, { ok: false, error: { code: 'bad_request', message: 'incomplete request: the connection ended before the end of the line' } }));
      }
      conn.peerEnded = true;
      this.updateReading(conn);
    });
    socket.on('data', (chunk: Buffer) => {
      conn.lastActive = performance.now();
      // Bytes keep their order: behind a backlog, new data waits too (reading is paused by then).
      if (conn.backlog) conn.backlog = Buffer.concat([conn.backlog, chunk]);
      else consume(chunk);
      this.updateReading(conn);
    });
  }

  private handleLine(conn: Connection, raw: Buffer): void {
    const text = raw.toString('utf8').trim();
    if (text.length === 0) return;
    const parsed = parseRequest(text);
    if (!parsed.ok) return this.write(conn, frame(parsed.id, { ok: false, error: parsed.error }));
    const { request } = parsed;
    if (this.stopping) {
      return this.write(conn, frame(request.id, { ok: false, error: { code: 'shutting_down', message: 'the daemon is shutting down' } }, request.v));
    }
    conn.inFlight++;
    const done = (line: string): void => {
      conn.inFlight--;
      conn.lastActive = performance.now();
      // One answer beyond the write limit would only get the connection cut: say why instead.
      this.write(conn, this.fits(line) ? line : frame(request.id, { ok: false, error: answerTooLarge(Buffer.byteLength(line), this.limits) }, request.v));
      this.updateReading(conn);
      if (conn.inFlight === 0 && this.stopping) this.endWhenIdle(conn);
    };
    const internal = (): void => done(frame(request.id, { ok: false, error: { code: 'internal', message: 'internal error (see the daemon log)' } }, request.v));
    let reply: Reply | Promise<Reply>;
    try {
      reply = this.dispatch(request);
    } catch {
      return internal();
    }
    if (reply instanceof Promise) reply.then((r) => done(frame(request.id, r, request.v)), internal);
    else done(frame(request.id, reply, request.v));
  }

  private write(conn: Connection, line: string): void {
    const { socket } = conn;
    if (socket.destroyed || !socket.writable) return;
    // Back-pressure: a full write buffer makes the connection busy until 'drain' (see updateReading).
    socket.write(line);
    // The last resort against a client that pipelines without reading: cut it off.
    if (socket.writableLength > this.limits.maxWriteBufferBytes) socket.destroy();
  }

  /** True when one answer fits the write limit (no byte count for the usual short answer). */
  private fits(line: string): boolean {
    const max = this.limits.maxWriteBufferBytes;
    return line.length <= max / 3 || Buffer.byteLength(line) <= max;
  }

  private busy(conn: Connection): boolean {
    return conn.inFlight >= this.limits.maxInFlightPerConnection || conn.socket.writableNeedDrain;
  }

  /** Reads while the connection has room for more work: few requests in flight, answers being taken. */
  private updateReading(conn: Connection): void {
    const { socket } = conn;
    if (socket.destroyed || conn.closing) return;
    if (!this.busy(conn) && conn.backlog) {
      const backlog = conn.backlog;
      conn.backlog = undefined;
      conn.consume(backlog);
    }
    if (conn.peerEnded && conn.inFlight === 0 && !conn.backlog && !conn.closing) {
      conn.closing = true;
      socket.end();
      return;
    }
    if (this.busy(conn) || conn.backlog) socket.pause();
    else socket.resume();
  }

  private endWhenIdle(conn: Connection): void {
    if (conn.inFlight > 0) return;
    conn.closing = true;
    conn.socket.end(() => conn.socket.destroy());
  }
}

function answerTooLarge(bytes: number, limits: ServerLimits): ErrorBody {
  const mib = (n: number): string => `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  return { code: 'too_large', message: `the answer is ${mib(bytes)}, more than the ${mib(limits.maxWriteBufferBytes)} the daemon sends in one answer` };
}

function tooLarge(limits: ServerLimits): ErrorBody {
  return { code: 'too_large', message: `request line longer than ${limits.maxRequestBytes} bytes` };
}
