// One request, one answer over the daemon's socket. Node built-ins only: the shim loads this file.
import { connect } from 'node:net';
import { socketProblem, UnsafeSocket } from './socket-trust.js';
import { encodeLine, METHOD_SINCE, type Method, type MethodParams, type Response } from './wire.js';

export class DaemonUnreachable extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/**
 * Sends one request on a new connection and resolves with the daemon's response.
 * Rejects with DaemonUnreachable when nothing listens (ENOENT/ECONNREFUSED) or the answer does not
 * come within `timeoutMs`; with UnsafeSocket, before connecting, when the socket's directory or file could
 * be another user's (socket-trust.ts).
 */
export function request<M extends Method>(
  socket: string,
  method: M,
  params: MethodParams[M],
  timeoutMs = 10_000,
  /** The user whose daemon this must be (default: ours); a test as root may ask another user's. */
  owner?: number,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const problem = socketProblem(socket, owner ?? process.getuid?.());
    if (problem) {
      reject(new UnsafeSocket(problem));
      return;
    }
    const conn = connect(socket);
    let buffer = '';
    let settled = false;
    const finish = (err: Error | null, response?: Response): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      conn.destroy();
      if (err) reject(err);
      else resolve(response!);
    };
    const timer = setTimeout(() => finish(new DaemonUnreachable(`no answer from the daemon at ${socket} within ${timeoutMs} ms`, 'ETIMEDOUT')), timeoutMs);
    conn.setEncoding('utf8');
    conn.on('connect', () => conn.write(encodeLine({ v: METHOD_SINCE[method], id: 1, method, params })));
    conn.on('data', (chunk: string) => {
      buffer += chunk;
      const newline = buffer.indexOf('\n');
      if (newline < 0) return;
      try {
        finish(null, JSON.parse(buffer.slice(0, newline)) as Response);
      } catch {
        finish(new DaemonUnreachable(`the daemon at ${socket} sent an unreadable answer`, 'EPROTO'));
      }
    });
    conn.on('error', (err: NodeJS.ErrnoException) =>
      finish(new DaemonUnreachable(`cannot reach the daemon at ${socket}: ${err.code ?? err.message}`, err.code)),
    );
    conn.on('close', () => finish(new DaemonUnreachable(`the daemon at ${socket} closed the connection without answering`, 'ECONNRESET')));
  });
}
