// The real `escd daemon` (dist/src/cli/main.js) as a child process of the bench, and its memory.
import { readFileSync } from 'node:fs';
import { DAEMON_NODE_OPTIONS } from '../../daemon/spawn-detached.js';
import { request } from '../../src/protocol/client.js';
import { CLI } from '../support/cli.js';
import { spawnOwned, type OwnedChild } from './resources.js';
import { waitForPing, type World } from './world.js';

/** Extra node flags for a daemon whose stdout (where V8 traces go) is read. */
export interface TracedNode {
  readonly flags: readonly string[];
  readonly stdout: (text: string) => void;
}

export interface Daemon {
  readonly pid: number;
  readonly socket: string;
  /** The daemon's stderr so far (its log), for error messages. */
  log(): string;
  /** Asks it to shut down and waits until it has exited (SIGTERM/SIGKILL if it does not). */
  stop(): Promise<void>;
}

/** Spawns `escd daemon` in the world's home; resolves once it answers `ping`. */
export async function startDaemon(world: World, extraEnv: Record<string, string> = {}, traced?: TracedNode): Promise<Daemon> {
  const owned = spawnEscdDaemon(world, extraEnv, traced);
  try {
    await Promise.race([
      waitForPing(world.socket, 15_000),
      owned.exited.then(() => Promise.reject(new Error(`escd daemon exited: ${owned.log().trim()}`))),
    ]);
  } catch (err) {
    await owned.stop();
    throw err;
  }
  return daemonHandle(owned, world.socket);
}

let profileDir: string | undefined;

/** `--cpu-prof DIR`: every daemon the bench starts from now on writes a V8 CPU profile there when it stops. */
export function profileDaemonsInto(dir: string): void {
  profileDir = dir;
}

/** Spawns without waiting (cold-start timing does its own waiting). */
export function spawnEscdDaemon(world: World, extraEnv: Record<string, string> = {}, traced?: TracedNode): OwnedChild & { log(): string } {
  const profiling = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  // As `escd start`, the shim and the service units start it.
  const owned = spawnOwned('escd daemon', process.execPath, [...profiling, ...(traced?.flags ?? []), ...DAEMON_NODE_OPTIONS, CLI, 'daemon'], {
    env: { ...world.env, ...extraEnv },
    stdio: ['ignore', traced ? 'pipe' : 'ignore', 'pipe'],
  });
  if (traced) owned.child.stdout!.setEncoding('utf8').on('data', traced.stdout);
  let stderr = '';
  owned.child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-8_000)));
  return { ...owned, log: () => stderr };
}

export function daemonHandle(owned: OwnedChild & { log(): string }, socket: string): Daemon {
  return {
    pid: owned.child.pid!,
    socket,
    log: owned.log,
    stop: async () => {
      // The orderly way first (what `escd stop` does); the owned child escalates if it hangs.
      await request(socket, 'shutdown', {}, 2_000).catch(() => undefined);
      const timer = setTimeout(() => void owned.stop(), 5_000);
      await owned.exited;
      clearTimeout(timer);
      await owned.stop();
    },
  };
}

/**
 * Anonymous resident memory in MB (heap, JIT code, buffers): what the process itself allocated, as
 * opposed to the node binary's pages that every node process maps and shares (Linux only).
 */
export function anonymousMB(pid: number): number | undefined {
  try {
    const m = /^Anonymous:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Resident set size of a process in MB (Linux /proc; undefined elsewhere). */
export function rssMB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}
