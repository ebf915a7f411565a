// What the lifecycle commands (./commands/daemon.ts) and the fast `escd status` (./fast-path.ts) hand
// to daemon/control.ts: this user's socket and daemon log, output on stdout, a spinner on a terminal.
import type { Progress } from '../core/progress.js';
import type { ControlContext } from '../../daemon/control.js';

/** The spinner (and node:tty) load only when `start` or `stop` waits for the daemon: `status` never does. */
const progress: Progress = async (label, work) => (await import('./terminal.js')).withProgress(label, work);

export async function control(): Promise<{ control: typeof import('../../daemon/control.js'); ctx: ControlContext }> {
  const [{ resolvePaths }, control] = await Promise.all([import('../config/paths.js'), import('../../daemon/control.js')]);
  const paths = resolvePaths();
  return {
    control,
    ctx: { socket: paths.socket, logFile: paths.daemonLog, env: process.env, out: (text: string) => process.stdout.write(text), progress },
  };
}
