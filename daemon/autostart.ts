// Asking the daemon, and starting it when none answers: the one way the shim and the CLI reach it.
// Node built-ins and the dependency-free protocol files only: the shim loads this file.
// Named imports: a default import of node:fs makes a bundle copy every fs export on each start.
import { closeSync, fstatSync, mkdirSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DaemonUnreachable, request } from '../src/protocol/client.js';
import { UnsafeSocket } from '../src/protocol/socket-trust.js';
import type { ErrorBody, Method, MethodParams, Response } from '../src/protocol/wire.js';

/** How long to keep trying while a daemon we started comes up. */
const START_BUDGET_MS = 5_000;
/**
 * One attempt, once connected. The daemon answers within ~8 s even while STS is slow (it then says it
 * is still trying), so silence beyond this means the request was lost: ask once more on a new connection.
 */
const REQUEST_TIMEOUT_MS = 15_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const nobodyListens = (err: unknown): err is DaemonUnreachable =>
  err instanceof DaemonUnreachable && (err.code === 'ENOENT' || err.code === 'ECONNREFUSED');

/** No daemon could be reached (and none could be started). The message is one line for people. */
export class NoDaemon extends Error {}

/** The daemon answered with an error. */
export class DaemonRefused extends Error {
  constructor(
    readonly error: ErrorBody,
    readonly warning: string | undefined,
  ) {
    super(error.message.split('\n')[0] ?? error.code);
  }
}

export interface AskOptions {
  /** Where a daemon started here writes its log. */
  readonly logFile: string;
  /** Whose environment the daemon is started from (it keeps only the allowlist of spawn-detached.ts). */
  readonly env: NodeJS.ProcessEnv;
  readonly requestTimeoutMs?: number;
  /**
   * The request changes something (a rotation): once it may have reached a daemon, it is never sent
   * again. Only "nobody listens" (nothing was sent) starts a daemon and asks.
   */
  readonly once?: boolean;
}

/** The daemon's last words in its log after `from`: `escd: config.yaml:21:1: Map keys must be unique`. */
function daemonReason(logFile: string, from: number): string {
  let text = '';
  try {
    const fd = openSync(logFile, 'r');
    try {
      const size = fstatSync(fd).size;
      const length = Math.min(Math.max(0, size - from), 4096);
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, size - length);
      text = buffer.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    // no log to read: the generic reason below
  }
  const last = text.split('\n').map((l) => l.trim()).filter(Boolean).at(-1) ?? '';
  return last.replace(/^\S+Z escd: /, '').replace(/^escd: /, '').replace(/^fatal: /, '') || 'it exited at once';
}

/**
 * Starts `escd daemon` in the background (its output goes to the daemon log, as with `escd start`),
 * unless another client is already doing so (a lock file beside the socket, considered abandoned after
 * 10 s): 200 shims at once must not start 200 daemons.
 */
async function startDaemon(socket: string, options: AskOptions, onFailure: (reason: string) => void): Promise<string | undefined> {
  const { spawnDetachedDaemon } = await import('./spawn-detached.js');
  const dir = dirname(socket);
  const lock = join(dir, 'escd-start.lock');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      closeSync(openSync(lock, 'wx', 0o600));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (Date.now() - statSync(lock).mtimeMs < 10_000) return undefined; // someone else is starting it
      rmSync(lock, { force: true });
      closeSync(openSync(lock, 'wx', 0o600));
    }
  } catch {
    return undefined; // cannot coordinate (read-only dir, lost a race): just retry the socket
  }
  try {
    const size = statSync(options.logFile, { throwIfNoEntry: false })?.size ?? 0;
    const child = spawnDetachedDaemon({ socket, logFile: options.logFile, env: options.env });
    child.on('error', () => {});
    // A daemon that exits at once (a broken config.yaml) said why in its log: report that, now.
    child.on('exit', (code) => {
      if (code !== 0) onFailure(daemonReason(options.logFile, size));
    });
  } catch {
    // No log file (read-only state dir): the retries below report that nothing answers.
  }
  return lock;
}

/**
 * Asks the daemon; if none listens, starts one and retries with backoff for at most 5 s. Resolves with
 * the whole answer (result and warning); rejects with NoDaemon or DaemonRefused.
 */
export async function askDaemon<M extends Method>(socket: string, method: M, params: MethodParams[M], options: AskOptions): Promise<Extract<Response, { ok: true }>> {
  let deadline = Date.now() + START_BUDGET_MS;
  let lock: string | undefined;
  let started = false;
  let retriedSilence = false;
  let resets = 0;
  let delay = 25;
  /** Why the daemon started here exited at once (its own words from the log), once it has. */
  let startFailure: string | undefined;
  /** Waits, then doubles the next wait (capped): between attempts of every kind. */
  const backOff = async (): Promise<void> => {
    await sleep(delay);
    delay = Math.min(delay * 2, 500);
  };
  try {
    for (;;) {
      let response: Response;
      try {
        response = await request(socket, method, params, options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS);
      } catch (err) {
        // Someone else's socket, or a directory others can enter: refused by name, never retried or started.
        if (err instanceof UnsafeSocket) throw err;
        if (options.once && err instanceof DaemonUnreachable && err.code !== 'ENOENT' && err.code !== 'ECONNREFUSED') {
          throw new NoDaemon(`no answer from the escd daemon at ${socket} (${err.code ?? 'no answer'}): it may have done the ${method} — look before asking again`);
        }
        if (err instanceof DaemonUnreachable && err.code === 'ETIMEDOUT' && !retriedSilence) {
          retriedSilence = true;
          continue;
        }
        // A daemon that died mid-request (a crash, SIGKILL) reset the connection. The request was only
        // a read: ask again, after a moment (a dying daemon's listener can still reset a connection or
        // two). That reaches a successor, or finds nobody and starts one, with the full time for it.
        if (err instanceof DaemonUnreachable && (err.code === 'ECONNRESET' || err.code === 'EPIPE') && resets < 3) {
          resets++;
          deadline = Math.max(deadline, Date.now() + START_BUDGET_MS);
          await backOff();
          continue;
        }
        if (startFailure !== undefined && nobodyListens(err)) throw new NoDaemon(`the escd daemon did not start: ${startFailure}`);
        if (!nobodyListens(err) || Date.now() + delay > deadline) {
          const why = err instanceof DaemonUnreachable ? (err.code ?? 'no answer') : String(err);
          throw new NoDaemon(`cannot reach escd daemon at ${socket}: ${why} — run \`escd start\` or \`escd status\``);
        }
        if (!started) {
          started = true;
          lock = await startDaemon(socket, options, (reason) => (startFailure = reason));
        }
        await backOff();
        continue;
      }
      if (!response.ok) {
        // A daemon on its way out (stop, restart, upgrade): wait for it to go, then start or reach the next one.
        if (response.error.code === 'shutting_down' && Date.now() + delay <= deadline) {
          await backOff();
          continue;
        }
        throw new DaemonRefused(response.error, response.warning);
      }
      return response;
    }
  } finally {
    if (lock) rmSync(lock, { force: true });
  }
}
