// `escd daemon`: the real daemon — configuration, runtime and issuer wired into runDaemon.
import { createRequire } from 'node:module';
import { systemClock } from '../src/clock/clock.js';
import { resolvePaths } from '../src/config/paths.js';
import { createBackend } from './backend.js';
import { runDaemon } from './main.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export async function runForeground(options: { socket?: string }): Promise<number> {
  const env = process.env;
  const paths = resolvePaths(env);
  const backend = await createBackend({ env, clock: systemClock });
  return runDaemon({
    socketPath: options.socket ?? paths.socket,
    auditFile: paths.auditLog,
    backend,
    clock: systemClock,
    version,
    env,
  });
}
