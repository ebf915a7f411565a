// The client side of the lifecycle commands: `escd start | stop | restart | status | flush`.
// Each talks to the daemon over its socket; "no daemon" is an answer, not a crash.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { UserError } from '../src/cli/errors.js';
import { DaemonUnreachable, request } from '../src/protocol/client.js';
import type { Method, MethodParams, Response } from '../src/protocol/wire.js';
import type { StatusResult } from './handlers.js';
import { spawnDetachedDaemon } from './spawn-detached.js';
import { formatStatus } from './status-format.js';

/** Exit code of `escd status` (and friends) when no daemon answers, like `systemctl status`. */
export const EXIT_NOT_RUNNING = 3;
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 15_000;

export interface ControlContext {
  readonly socket: string;
  /** Where a daemon started in the background writes its log. */
  readonly logFile: string;
  readonly env: NodeJS.ProcessEnv;
  readonly out: (text: string) => void;
}

function notRunning(socket: string): UserError {
  return new UserError(`no escd daemon is running (socket ${socket}); start it with \`escd start\``, EXIT_NOT_RUNNING);
}

const isGone = (err: unknown): boolean => err instanceof DaemonUnreachable && (err.code === 'ENOENT' || err.code === 'ECONNREFUSED');

/** Sends one request; resolves undefined when nothing listens; throws UserError for a daemon-side error. */
async function call<M extends Method>(socket: string, method: M, params: MethodParams[M], timeoutMs = 10_000): Promise<unknown> {
  let response: Response;
  try {
    response = await request(socket, method, params, timeoutMs);
  } catch (err) {
    if (isGone(err)) return undefined;
    throw new UserError((err as Error).message);
  }
  if (!response.ok) throw new UserError(`the daemon answered: ${response.error.message}`);
  return response.result;
}

export async function ping(socket: string, timeoutMs = 2_000): Promise<{ pid: number; version: string } | undefined> {
  try {
    return (await call(socket, 'ping', {}, timeoutMs)) as { pid: number; version: string } | undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function start(ctx: ControlContext): Promise<void> {
  const running = await ping(ctx.socket);
  if (running) {
    ctx.out(`escd daemon already running (pid ${running.pid}, socket ${ctx.socket})\n`);
    return;
  }
  const logStart = existsSync(ctx.logFile) ? statSync(ctx.logFile).size : 0;
  let exited: number | null | undefined;
  const child = spawnDetachedDaemon({ socket: ctx.socket, logFile: ctx.logFile, env: ctx.env });
  child.on('exit', (code) => (exited = code));
  child.on('error', () => (exited = -1));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const up = await ping(ctx.socket, 1_000);
    if (up) {
      ctx.out(`escd daemon started (pid ${up.pid}, socket ${ctx.socket})\n`);
      return;
    }
    if (exited !== undefined) throw new UserError(`the daemon did not start: ${lastLogLine(ctx.logFile, logStart) ?? `exit code ${exited}`} (log: ${ctx.logFile})`);
    await sleep(50);
  }
  throw new UserError(`the daemon did not answer within ${START_TIMEOUT_MS / 1000} s (log: ${ctx.logFile})`);
}

function lastLogLine(file: string, from: number): string | undefined {
  try {
    const lines = readFileSync(file, 'utf8').slice(from).trim().split('\n');
    // Drop the timestamp and program prefix the daemon puts on each line.
    return lines.at(-1)?.replace(/^(\S+ )?escd: /, '') || undefined;
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Asks the daemon to shut down and waits until it has; returns false when none was running. */
export async function stop(ctx: ControlContext, quiet = false): Promise<boolean> {
  const result = (await call(ctx.socket, 'shutdown', {})) as { pid: number } | undefined;
  if (!result) {
    if (!quiet) ctx.out(`escd daemon is not running (socket ${ctx.socket})\n`);
    return false;
  }
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!processAlive(result.pid) || !(await ping(ctx.socket, 500))) {
      // The socket is gone; give the process a moment to flush and exit.
      while (processAlive(result.pid) && Date.now() < deadline) await sleep(25);
      if (!processAlive(result.pid)) {
        if (!quiet) ctx.out(`escd daemon stopped (pid ${result.pid})\n`);
        return true;
      }
    }
    await sleep(50);
  }
  throw new UserError(`the daemon (pid ${result.pid}) did not stop within ${STOP_TIMEOUT_MS / 1000} s; try \`kill ${result.pid}\``);
}

export async function restart(ctx: ControlContext): Promise<void> {
  await stop(ctx, true);
  await start(ctx);
}

export async function status(ctx: ControlContext, json: boolean): Promise<void> {
  const result = (await call(ctx.socket, 'status', {})) as StatusResult | undefined;
  if (!result) {
    if (json) ctx.out(JSON.stringify({ running: false, socket: ctx.socket }, null, 2) + '\n');
    throw notRunning(ctx.socket);
  }
  ctx.out(json ? JSON.stringify({ running: true, ...result }, null, 2) + '\n' : formatStatus(result));
}

export async function flush(ctx: ControlContext, env: string | undefined): Promise<void> {
  const result = (await call(ctx.socket, 'flush', env === undefined ? {} : { env })) as { flushed: number } | undefined;
  if (!result) {
    ctx.out('no escd daemon is running: nothing cached to flush\n');
    return;
  }
  if (env !== undefined) ctx.out(result.flushed > 0 ? `flushed '${env}'\n` : `'${env}' was not cached\n`);
  else ctx.out(`flushed ${result.flushed} cached environment${result.flushed === 1 ? '' : 's'}\n`);
}
