// A cross-process lock as a file created with O_EXCL: the daemon and a CLI command may both try
// to create a key at the same moment, and exactly one of them must win.
import { open, readFile, rm, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { processGone } from '../core/process.js';

export interface LockOptions {
  /** Give up after this long. */
  readonly timeoutMs?: number;
  /** A lock file older than this is left over from a crashed process and is taken over. */
  readonly staleMs?: number;
}

export class LockTimeoutError extends Error {}

// Callers in this process queue here first, so they do not poll the lock file against each other.
const queues = new Map<string, Promise<unknown>>();

export function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const previous = queues.get(lockPath) ?? Promise.resolve();
  const run = previous.then(
    () => lockedRun(lockPath, fn, options),
    () => lockedRun(lockPath, fn, options),
  );
  const tail = run.catch(() => undefined);
  queues.set(lockPath, tail);
  void tail.then(() => {
    if (queues.get(lockPath) === tail) queues.delete(lockPath);
  });
  return run;
}

async function lockedRun<T>(lockPath: string, fn: () => Promise<T>, options: LockOptions): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const staleMs = options.staleMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`).finally(() => handle.close());
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const age = await stat(lockPath).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if (age > staleMs || (await holderIsGone(lockPath, age))) {
      await rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new LockTimeoutError(`timed out waiting for the lock ${lockPath} (remove it if no escd process is running)`);
    await sleep(Math.min(10 * 2 ** Math.min(attempt, 4), 100));
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}

/** A lock file names its holder right after creating it; one still empty this long after was left by a holder killed in between. */
const UNNAMED_GRACE_MS = 1_000;

/** The lock file names its holder's pid: a holder that no longer exists crashed while holding it. */
async function holderIsGone(lockPath: string, age: number): Promise<boolean> {
  const text = (await readFile(lockPath, 'utf8').catch(() => '')).trim();
  if (text === '') return age > UNNAMED_GRACE_MS;
  const pid = Number(text);
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && processGone(pid);
}

