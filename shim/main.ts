#!/usr/bin/env node
// escd-shim: what AWS `credential_process` and the kubectl exec plugin run. It asks the daemon over its
// socket and prints the answer. Node built-ins and the dependency-free src/protocol/* only (and, when it
// must start the daemon, src/config/paths and daemon/spawn-detached, built-ins only too; a test walks the
// imports), and no work at load time beyond reading argv, so each call costs little more than starting node.
// `npm run build` bundles it into one CommonJS file, dist/shim/main.js (shim/bundle.mjs).
//
// It never prints partial or stale output: the answer is validated first and written in one write.
// node:fs and node:path are loaded by Node's own start-up anyway; the rest of the cold path is imported lazily.
import fs from 'node:fs';
import { dirname, join } from 'node:path';
import { DaemonUnreachable, request } from '../src/protocol/client.js';
import { socketPath } from '../src/protocol/socket-path.js';
import { UnsafeSocket } from '../src/protocol/socket-trust.js';
import type { MethodParams, Response } from '../src/protocol/wire.js';
import { awsOutput, execInfoApiVersion, EXIT_USAGE, kubeOutput, parseArgs, ShimError, USAGE } from './args.js';

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

/** Why the daemon this shim started exited at once (its own words from the log), once it has. */
let startFailure: string | undefined;

/** The daemon's last words in its log after `from`: `escd: config.yaml:21:1: Map keys must be unique`. */
function daemonReason(logFile: string, from: number): string {
  let text = '';
  try {
    const fd = fs.openSync(logFile, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const length = Math.min(Math.max(0, size - from), 4096);
      const buffer = Buffer.alloc(length);
      fs.readSync(fd, buffer, 0, length, size - length);
      text = buffer.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // no log to read: the generic reason below
  }
  const last = text.split('\n').map((l) => l.trim()).filter(Boolean).at(-1) ?? '';
  return last.replace(/^\S+Z escd: /, '').replace(/^escd: /, '').replace(/^fatal: /, '') || 'it exited at once';
}

/**
 * Starts `escd daemon` in the background (its output goes to the daemon log, as with `escd start`),
 * unless another shim is already doing so (a lock file beside the socket, considered abandoned after
 * 10 s): 200 shims at once must not start 200 daemons.
 */
async function startDaemon(socket: string): Promise<string | undefined> {
  const [{ resolvePaths }, { spawnDetachedDaemon }] = await Promise.all([
    import('../src/config/paths.js'),
    import('../daemon/spawn-detached.js'),
  ]);
  const dir = dirname(socket);
  const lock = join(dir, 'escd-start.lock');
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      fs.closeSync(fs.openSync(lock, 'wx', 0o600));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (Date.now() - fs.statSync(lock).mtimeMs < 10_000) return undefined; // someone else is starting it
      fs.rmSync(lock, { force: true });
      fs.closeSync(fs.openSync(lock, 'wx', 0o600));
    }
  } catch {
    return undefined; // cannot coordinate (read-only dir, lost a race): just retry the socket
  }
  try {
    const logFile = resolvePaths(process.env).daemonLog;
    const size = fs.statSync(logFile, { throwIfNoEntry: false })?.size ?? 0;
    const child = spawnDetachedDaemon({ socket, logFile, env: process.env });
    child.on('error', () => {});
    // A daemon that exits at once (a broken config.yaml) said why in its log: report that, now.
    child.on('exit', (code) => {
      if (code !== 0) startFailure = daemonReason(logFile, size);
    });
  } catch {
    // No log file (read-only state dir): the retries below report that nothing answers.
  }
  return lock;
}

/** Asks the daemon; if none listens, starts one and retries with backoff for at most START_BUDGET_MS. */
async function ask<M extends 'aws.credentials' | 'kube.credentials'>(socket: string, method: M, params: MethodParams[M]): Promise<unknown> {
  let deadline = Date.now() + START_BUDGET_MS;
  let lock: string | undefined;
  let started = false;
  let retriedSilence = false;
  let resets = 0;
  let delay = 25;
  /** Waits, then doubles the next wait (capped): between attempts of every kind. */
  const backOff = async (): Promise<void> => {
    await sleep(delay);
    delay = Math.min(delay * 2, 500);
  };
  try {
    for (;;) {
      let response: Response;
      try {
        response = await request(socket, method, params, REQUEST_TIMEOUT_MS);
      } catch (err) {
        if (err instanceof UnsafeSocket) throw new ShimError(err.message);
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
        if (startFailure !== undefined && nobodyListens(err)) throw new ShimError(`the escd daemon did not start: ${startFailure}`);
        if (!nobodyListens(err) || Date.now() + delay > deadline) {
          const why = err instanceof DaemonUnreachable ? (err.code ?? 'no answer') : String(err);
          throw new ShimError(`cannot reach escd daemon at ${socket}: ${why} — run \`escd start\` or \`escd status\``);
        }
        if (!started) {
          started = true;
          lock = await startDaemon(socket);
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
        throw new ShimError(`${params.env}: ${response.error.message.split('\n')[0]}`);
      }
      return response.result;
    }
  } finally {
    if (lock) fs.rmSync(lock, { force: true });
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const invocation = parseArgs(argv);
  if (invocation.kind === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const socket = socketPath(process.env);
  let output: string;
  if (invocation.kind === 'aws') {
    output = awsOutput(await ask(socket, 'aws.credentials', { env: invocation.env }), Date.now());
  } else {
    const apiVersion = execInfoApiVersion(process.env.KUBERNETES_EXEC_INFO);
    output = kubeOutput(await ask(socket, 'kube.credentials', { ...invocation.params, apiVersion }), apiVersion, Date.now());
  }
  process.stdout.write(output);
  return 0;
}

// A reader that went away (EPIPE) is not worth a stack trace.
process.stdout.on('error', () => (process.exitCode = 1));

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const message = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
    process.stderr.write(`escd-shim: ${message}\n`);
    if (err instanceof ShimError && err.exitCode === EXIT_USAGE) process.stderr.write(USAGE);
    process.exitCode = err instanceof ShimError ? err.exitCode : 1;
  },
);
