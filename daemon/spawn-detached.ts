// Starts `escd daemon` in the background with its output appended to the daemon log, for `escd start`
// and for the shim's auto-start. Node built-ins only: the shim loads this file (on its cold path).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI_SCRIPT = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

/**
 * Node options for the daemon, on every way it is started (here, the systemd unit, the LaunchAgent).
 * A small young generation: V8 grows it to 32 MB during a burst of evaluations and never gives it back,
 * which is most of the daemon's memory; requests allocate little, so the extra scavenges cost nothing
 * measurable (bench: RSS with 100 environments 85 → 76 MB).
 */
export const DAEMON_NODE_OPTIONS: readonly string[] = ['--max-semi-space-size=2'];

export function spawnDetachedDaemon(options: { socket: string; logFile: string; env: NodeJS.ProcessEnv }): ChildProcess {
  mkdirSync(dirname(options.logFile), { recursive: true, mode: 0o700 });
  // Never through a link planted in its place: O_NOFOLLOW fails with ELOOP. Created 0600.
  const logFd = openSync(options.logFile, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  try {
    const child = spawn(process.execPath, [...DAEMON_NODE_OPTIONS, CLI_SCRIPT, 'daemon', '--socket', options.socket], {
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: options.env,
    });
    child.unref();
    return child;
  } finally {
    closeSync(logFd); // the child has its own copy
  }
}
