// The client side of the lifecycle commands: `escd start | stop | restart | status | flush`.
// Each talks to the daemon over its socket; "no daemon" is an answer, not a crash.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { EscdError, isErrorCode } from '../src/core/errors.js';
import { noProgress, type Progress } from '../src/core/progress.js';
import { processGone } from '../src/core/process.js';
import { DaemonUnreachable, request } from '../src/protocol/client.js';
import { socketProblem } from '../src/protocol/socket-trust.js';
import { ownershipProblems, ownershipRefusal } from '../src/config/ownership.js';
import { resolvePaths } from '../src/config/paths.js';
import type { Method, MethodParams, Response } from '../src/protocol/wire.js';
import type { StatusResult } from './handlers.js';
import { formatStatus } from './status-format.js';

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 15_000;

export interface ControlContext {
  readonly socket: string;
  /** Where a daemon started in the background writes its log. */
  readonly logFile: string;
  readonly env: NodeJS.ProcessEnv;
  readonly out: (text: string) => void;
  /** Shows a progress line while `start` and `stop` wait for the daemon; none by default. */
  readonly progress?: Progress;
}

const json = (value: unknown): string => JSON.stringify(value, null, 2) + '\n';

function notRunning(socket: string): EscdError {
  return new EscdError('not_running', `no escd daemon is running (socket ${socket}); start it with \`escd start\``);
}

const isGone = (err: unknown): boolean => err instanceof DaemonUnreachable && (err.code === 'ENOENT' || err.code === 'ECONNREFUSED');

/** Sends one request; resolves undefined when nothing listens; throws EscdError for a daemon-side error (with the daemon's code). */
async function call<M extends Method>(socket: string, method: M, params: MethodParams[M], timeoutMs = 10_000): Promise<unknown> {
  let response: Response;
  try {
    response = await request(socket, method, params, timeoutMs);
  } catch (err) {
    if (isGone(err)) return undefined;
    throw new EscdError('daemon_failed', (err as Error).message, { cause: err });
  }
  if (!response.ok) throw new EscdError(isErrorCode(response.error.code) ? response.error.code : 'internal', `the daemon answered: ${response.error.message}`);
  return response.result;
}

export async function ping(socket: string, timeoutMs = 2_000): Promise<{ pid: number; version: string } | undefined> {
  // Another user's socket is no reason to start a daemon beside it: say so.
  const problem = socketProblem(socket);
  if (problem) throw new EscdError('io', problem);
  try {
    return (await call(socket, 'ping', {}, timeoutMs)) as { pid: number; version: string } | undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface StartResult {
  readonly pid: number;
  readonly socket: string;
  /** false: a daemon was already running. */
  readonly started: boolean;
}

/** Starts a daemon in the background unless one answers; waits until it does. */
/** `deliberate`: an explicit `escd start`/`restart`, whose shell settings the daemon takes (spawn-detached.ts). */
export async function launch(ctx: ControlContext, options: { deliberate?: boolean } = {}): Promise<StartResult> {
  const running = await ping(ctx.socket);
  if (running) return { pid: running.pid, socket: ctx.socket, started: false };
  // The daemon would refuse them too; saying it here names the real problem, not a side effect.
  const refusal = ownershipRefusal(ownershipProblems(resolvePaths(ctx.env), ctx.env));
  if (refusal) throw new EscdError('bad_request', refusal);
  const logStart = existsSync(ctx.logFile) ? statSync(ctx.logFile).size : 0;
  let exited: number | null | undefined;
  let child;
  // Loaded here: node:child_process is not worth loading for `escd status`.
  const { spawnDetachedDaemon } = await import('./spawn-detached.js');
  try {
    child = spawnDetachedDaemon({ socket: ctx.socket, logFile: ctx.logFile, env: ctx.env, deliberate: options.deliberate ?? false });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new EscdError('bad_request', code === 'ELOOP' ? `refusing to write the daemon log ${ctx.logFile}: it is a symbolic link; \`rm ${ctx.logFile}\`` : `cannot open the daemon log ${ctx.logFile}: ${code ?? (err as Error).message}`);
  }
  child.on('exit', (code) => (exited = code));
  child.on('error', () => (exited = -1));
  const pid = await (ctx.progress ?? noProgress)('starting the daemon…', async () => {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const up = await ping(ctx.socket, 1_000);
      if (up) return up.pid;
      if (exited !== undefined) throw new EscdError('daemon_failed', `the daemon did not start: ${lastLogLine(ctx.logFile, logStart) ?? `exit code ${exited}`} (log: ${ctx.logFile})`);
      await sleep(50);
    }
    throw new EscdError('daemon_failed', `the daemon did not answer within ${START_TIMEOUT_MS / 1000} s (log: ${ctx.logFile})`);
  });
  return { pid, socket: ctx.socket, started: true };
}

/** One request to the daemon, starting it first when none runs (as the shim does); a daemon-side error is an EscdError with the daemon's code. */
export async function ask<M extends Method>(ctx: ControlContext, method: M, params: MethodParams[M]): Promise<unknown> {
  await launch(ctx);
  const result = await call(ctx.socket, method, params);
  if (result === undefined) throw notRunning(ctx.socket);
  return result;
}

const startLine = (r: StartResult): string => `escd daemon ${r.started ? 'started' : 'already running'} (pid ${r.pid}, socket ${r.socket})\n`;

export async function start(ctx: ControlContext, asJson = false): Promise<void> {
  const result = await launch(ctx, { deliberate: true });
  ctx.out(asJson ? json(result) : startLine(result));
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

/** Asks the daemon to shut down and waits until it has; the pid it had, or undefined when none was running. */
export async function halt(ctx: ControlContext): Promise<number | undefined> {
  const result = (await call(ctx.socket, 'shutdown', {})) as { pid: number } | undefined;
  if (!result) return undefined;
  const { pid } = result;
  const gone = await (ctx.progress ?? noProgress)('stopping the daemon…', async () => {
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (processGone(pid) || !(await ping(ctx.socket, 500))) {
        // The socket is gone; give the process a moment to flush and exit.
        while (!processGone(pid) && Date.now() < deadline) await sleep(25);
        if (processGone(pid)) return true;
      }
      await sleep(50);
    }
    return false;
  });
  if (!gone) throw new EscdError('daemon_failed', `the daemon (pid ${pid}) did not stop within ${STOP_TIMEOUT_MS / 1000} s; try \`kill ${pid}\``);
  return pid;
}

export async function stop(ctx: ControlContext, asJson = false): Promise<void> {
  const pid = await halt(ctx);
  if (asJson) ctx.out(json({ stopped: pid !== undefined, socket: ctx.socket, ...(pid !== undefined ? { pid } : {}) }));
  else ctx.out(pid === undefined ? `escd daemon is not running (socket ${ctx.socket})\n` : `escd daemon stopped (pid ${pid})\n`);
}

/** Stops the daemon (when one runs) and starts a new one; JSON adds whether one was stopped. */
export async function restart(ctx: ControlContext, asJson = false): Promise<void> {
  const stopped = await halt(ctx);
  const result = await launch(ctx, { deliberate: true });
  ctx.out(asJson ? json({ ...result, stopped: stopped !== undefined }) : startLine(result));
}

export async function status(ctx: ControlContext, asJson: boolean): Promise<void> {
  const result = (await call(ctx.socket, 'status', {})) as StatusResult | undefined;
  if (!result) {
    if (asJson) ctx.out(json({ running: false, socket: ctx.socket }));
    throw notRunning(ctx.socket);
  }
  ctx.out(asJson ? json({ running: true, ...result }) : formatStatus(result));
}

/** JSON: `{running, flushed, env?}` (nothing to flush when no daemon runs; not an error). */
export async function flush(ctx: ControlContext, env: string | undefined, asJson = false): Promise<void> {
  const result = (await call(ctx.socket, 'flush', env === undefined ? {} : { env })) as { flushed: number } | undefined;
  if (asJson) {
    ctx.out(json({ running: result !== undefined, flushed: result?.flushed ?? 0, ...(env !== undefined ? { env } : {}) }));
    return;
  }
  if (!result) {
    ctx.out('no escd daemon is running: nothing cached to flush\n');
    return;
  }
  if (env !== undefined) ctx.out(result.flushed > 0 ? `flushed '${env}'\n` : `'${env}' was not cached\n`);
  else ctx.out(`flushed ${result.flushed} cached environment${result.flushed === 1 ? '' : 's'}\n`);
}
