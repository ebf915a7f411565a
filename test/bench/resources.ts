// Everything the bench starts (daemons, servers, load generators) is registered here with how to stop
// it, so a normal end, a failed measurement and Ctrl-C all leave nothing running.
import { fork, spawn, type ChildProcess, type ForkOptions, type SpawnOptions } from 'node:child_process';

interface Resource {
  readonly name: string;
  /** Orderly stop; may take a moment. */
  readonly stop: () => Promise<void>;
  /** Last resort from the 'exit' handler, where nothing asynchronous runs any more. */
  readonly kill?: () => void;
}

const resources = new Set<Resource>();
let interrupted = false;

/** True once Ctrl-C/SIGTERM arrived: nothing new may start (a shim run now would start a daemon of its own). */
export function isInterrupted(): boolean {
  return interrupted;
}

/** Registers a resource; the returned function stops it now and forgets it. */
export function own(name: string, stop: () => Promise<void>, kill?: () => void): () => Promise<void> {
  const resource: Resource = { name, stop, ...(kill ? { kill } : {}) };
  resources.add(resource);
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= (async () => {
      try {
        await withTimeout(resource.stop(), 10_000, `stopping ${name}`);
      } finally {
        resources.delete(resource);
      }
    })();
    return stopping;
  };
}

/** Stops everything still registered, newest first; reports but survives individual failures. */
export async function stopAll(log: (message: string) => void): Promise<void> {
  for (const resource of [...resources].reverse()) {
    try {
      await withTimeout(resource.stop(), 10_000, `stopping ${resource.name}`);
    } catch (err) {
      log(`could not stop ${resource.name}: ${err instanceof Error ? err.message : String(err)}`);
      resource.kill?.();
    }
    resources.delete(resource);
  }
}

/** Ctrl-C / SIGTERM: stop everything, then exit 130/143. Process exit: SIGKILL whatever is left. */
export function installCleanupHandlers(log: (message: string) => void): void {
  const onSignal = (signal: NodeJS.Signals, code: number): void => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping what the bench started`);
    void stopAll(log).finally(() => process.exit(code));
  };
  process.on('SIGINT', () => onSignal('SIGINT', 130));
  process.on('SIGTERM', () => onSignal('SIGTERM', 143));
  process.on('exit', () => {
    for (const resource of resources) resource.kill?.();
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

export interface OwnedChild {
  readonly child: ChildProcess;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it is gone. */
  stop(): Promise<void>;
}

function ownChild(name: string, child: ChildProcess, graceMs = 5_000): OwnedChild {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const stop = own(
    name,
    async () => {
      if (gone()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    () => {
      if (!gone()) child.kill('SIGKILL');
    },
  );
  void exited.then(() => stop()); // exited on its own: nothing left to stop
  return { child, exited, stop };
}

function refuseWhenInterrupted(name: string): void {
  if (interrupted) throw new Error(`interrupted: not starting ${name}`);
}

/** `spawn`, registered: stopped at the end whatever happens. */
export function spawnOwned(name: string, command: string, args: readonly string[], options: SpawnOptions): OwnedChild {
  refuseWhenInterrupted(name);
  return ownChild(name, spawn(command, args, options));
}

/** `fork` (with an IPC channel), registered. */
export function forkOwned(name: string, module: string, args: readonly string[], options: ForkOptions): OwnedChild {
  refuseWhenInterrupted(name);
  return ownChild(name, fork(module, args, options));
}
