// The daemon's view of the real runtime. Pending: src/runtime (createRuntime) is not in the tree yet.
import type { Clock } from '../src/clock/clock.js';
import { UserError } from '../src/cli/errors.js';
import type { DaemonBackend } from './main.js';

export async function createBackend(_options: { env: NodeJS.ProcessEnv; clock: Clock }): Promise<DaemonBackend> {
  throw new UserError('this build has no evaluator runtime yet (src/runtime); the daemon cannot serve environments');
}
