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
 * `framed`: a slot where `frame` keeps the answer line, for a reply object a handler hands out again
 * and again (a cache hit's): the same client asking the same way gets the same bytes, built once.
 */
export type Reply = ({ ok: true; result: string; framed?: FramedLine } | { ok: false; error: ErrorBody }) & { warning?: string };
/** A cache hit answers synchronously (written in the turn its request was read); anything else with a promise. */
export type Dispatch = (request: Request) => Reply | Promise<Reply>;

/** The last answer line made from a reply, and the request id and version it was made for. */
export interface FramedLine {
  id: string | number | null;
  v: ProtocolVersion;
  line: string;
}

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
  if (reply.ok) {
    const slot = reply.warning === undefined ? reply.framed : undefined;
    if (slot !== undefined && slot.id === id && slot.v === v) return slot.line;
    const warning = reply.warning === undefined ? '' : `,"warning":${JSON.stringify(reply.warning)}`;
    const line = `{"v":${v},"id":${JSON.stringify(id)},"ok":true,"result":${reply.result}${warning}}\n`;
    if (slot !== undefined) {
      slot.id = id;
      slot.v = v;
      slot.line = line;
    }
    return line;
  }
  return JSON.stringify({ v, id, ok: false, error: reply.error, ...(reply.warning === undefined ? {} : { warning: reply.warning }) }) + '\n';
}

const INTERNAL_ERROR: Reply = { ok: false, error: { code: 'internal', message: 'internal error (see the daemon log)' } };
const SHUTTING_DOWN: Reply = { ok: false, error: { code: 'shutting_down', message: 'the daemon is shutting down' } };
const INCOMPLETE_AT_END: Reply = { ok: false, error: { code: 'bad_request', message: 'incomplete request: the connection ended before the end of the line' } };

/** Where a socket's listeners find its connection: one set of listener functions serves every socket. */
const CONNECTION = Symbol('escd.connection');
type ServedSocket = Socket & { [CONNECTION]: Connection };

/** One client connection: its read state, and what it is owed. */
class Connection {
  inFlight = 0;
  closing = false;
  /** The client half-closed (sent FIN): end once its answers are written. */
  peerEnded = false;
  /** Received bytes not parsed yet because the connection was busy (≤ one read chunk). */
  backlog: Buffer | undefined = undefined;
  /** performance.now() of the last request, answer or drain: who makes way at the connection limit, and when it is idle. */
  lastActive = performance.now();
  /** The start of a request line whose end has not arrived. */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private partialTimer: NodeJS.Timeout | undefined = undefined;

  constructor(
    readonly socket: Socket,
    readonly server: RequestServer,
    private readonly limits: ServerLimits,
  ) {}

  /** True while part of a request line has arrived. */
  hasPartial(): boolean {
    return this.partialBytes > 0;
  }

  clearPartial(): void {
    if (this.partialBytes > 0) this.partial = [];
    this.partialBytes = 0;
    this.clearPartialTimer();
  }

  private clearPartialTimer(): void {
    if (this.partialTimer) clearTimeout(this.partialTimer);
    this.partialTimer = undefined;
  }

  /** Parses and dispatches the complete lines of `data`, stopping (into `backlog`) when busy. */
  consume(data: Buffer): void {
    if (this.closing) return;
    const limits = this.limits;
    let start = 0;
    for (let newline = data.indexOf(10); newline >= 0; newline = data.indexOf(10, start)) {
      if (this.server.busy(this)) {
        // Keep the rest for later: the answers in flight must be taken before more work is read.
        this.backlog = Buffer.from(data.subarray(start));
        this.clearPartialTimer(); // what is waiting here is complete lines, not a slow client
        return;
      }
      const lineStart = start;
      start = newline + 1;
      let text: string;
      if (this.partialBytes > 0) {
        const bytes = this.partialBytes + newline - lineStart;
        if (bytes > limits.maxRequestBytes) return this.fatal(tooLarge(limits));
        text = Buffer.concat([...this.partial, data.subarray(lineStart, newline)], bytes).toString('utf8');
        this.clearPartial();
      } else {
        if (newline - lineStart > limits.maxRequestBytes) return this.fatal(tooLarge(limits));
        text = data.toString('utf8', lineStart, newline); // no Buffer view for the usual one-chunk line
      }
      this.server.handleLine(this, text);
      if (this.closing) return;
    }
    if (start < data.length) {
      this.partial.push(Buffer.from(data.subarray(start))); // a copy: do not pin the whole chunk
      this.partialBytes += data.length - start;
      if (this.partialBytes > limits.maxRequestBytes) return this.fatal(tooLarge(limits));
      this.partialTimer ??= setTimeout(
        () => this.fatal({ code: 'bad_request', message: `incomplete request: no end of line within ${limits.partialLineTimeoutMs / 1000} s` }),
        limits.partialLineTimeoutMs,
      );
    }
  }

  /** A framing error: say so, stop reading, close. */
  private fatal(error: ErrorBody): void {
    this.clearPartial();
    this.backlog = undefined;
    this.server.write(this, frame(null, { ok: false, error }));
    this.closing = true;
    const socket = this.socket;
    socket.end();
    // A client that keeps sending after the error is not read any further.
    setTimeout(() => socket.destroy(), 1_000).unref();
  }
}

// The socket listeners, shared by every connection (`this` is the socket): none is made per connection.
function onData(this: ServedSocket, chunk: Buffer): void {
  const conn = this[CONNECTION];
  conn.lastActive = performance.now();
  // Bytes keep their order: behind a backlog, new data waits too (reading is paused by then).
  if (conn.backlog) conn.backlog = Buffer.concat([conn.backlog, chunk]);
  else conn.consume(chunk);
  conn.server.updateReading(conn);
}
function onDrain(this: ServedSocket): void {
  const conn = this[CONNECTION];
  conn.lastActive = performance.now(); // a client taking a long answer is not idle
  conn.server.updateReading(conn);
}
function onEnd(this: ServedSocket): void {
  const conn = this[CONNECTION];
  const server = conn.server;
  if (conn.hasPartial()) {
    conn.clearPartial();
    server.write(conn, frame(null, INCOMPLETE_AT_END));
  }
  conn.peerEnded = true;
  server.updateReading(conn);
}
function onClose(this: ServedSocket): void {
  const conn = this[CONNECTION];
  conn.clearPartial();
  conn.backlog = undefined;
  conn.server.forget(conn);
}
function ignoreError(): void {} // EPIPE/ECONNRESET: the peer went away; 'close' cleans up

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
    const conn = new Connection(socket, this, this.limits);
    (socket as ServedSocket)[CONNECTION] = conn;
    this.connections.add(conn);
    socket.on('data', onData);
    socket.on('drain', onDrain);
    socket.on('end', onEnd);
    socket.on('error', ignoreError);
    socket.on('close', onClose);
  }

  /** The connection has closed. */
  forget(conn: Connection): void {
    this.connections.delete(conn);
    if (this.connections.size === 0) for (const done of this.drained.splice(0)) done();
  }

  /** One complete request line, decoded. */
  handleLine(conn: Connection, line: string): void {
    const text = line.trim();
    if (text.length === 0) return;
    const parsed = parseRequest(text);
    if (!parsed.ok) return this.write(conn, frame(parsed.id, { ok: false, error: parsed.error }));
    const { request } = parsed;
    if (this.stopping) return this.write(conn, frame(request.id, SHUTTING_DOWN, request.v));
    conn.inFlight++;
    let reply: Reply | Promise<Reply>;
    try {
      reply = this.dispatch(request);
    } catch {
      reply = INTERNAL_ERROR;
    }
    if (reply instanceof Promise) {
      reply.then(
        (r) => this.answer(conn, request, r),
        () => this.answer(conn, request, INTERNAL_ERROR),
      );
    } else {
      this.answer(conn, request, reply);
    }
  }

  /** Writes the answer to a request in flight. */
  private answer(conn: Connection, request: Request, reply: Reply): void {
    conn.inFlight--;
    conn.lastActive = performance.now();
    const line = frame(request.id, reply, request.v);
    // One answer beyond the write limit would only get the connection cut: say why instead.
    this.write(conn, this.fits(line) ? line : frame(request.id, { ok: false, error: answerTooLarge(Buffer.byteLength(line), this.limits) }, request.v));
    this.updateReading(conn);
    if (conn.inFlight === 0 && this.stopping) this.endWhenIdle(conn);
  }

  write(conn: Connection, line: string): void {
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

  busy(conn: Connection): boolean {
    return conn.inFlight >= this.limits.maxInFlightPerConnection || conn.socket.writableNeedDrain;
  }

  /** Reads while the connection has room for more work: few requests in flight, answers being taken. */
  updateReading(conn: Connection): void {
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
