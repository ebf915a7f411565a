// `escd daemon`: the real daemon — configuration, runtime and issuer wired into runDaemon.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { systemClock } from '../src/clock/clock.js';
import { resolvePaths } from '../src/config/paths.js';
import { createBackend } from './backend.js';
import { runDaemon, stderrLog } from './main.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export async function runForeground(options: { socket?: string }): Promise<number> {
  // A bug must not print a stack into the user's log or leave a half-working daemon: one line, exit 1
  // (the service manager or the next shim starts a fresh one). ESCD_DEBUG=1 shows the stack.
  const fatal = (err: unknown): void => {
    stderrLog(`fatal: ${err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err)}`);
    if (process.env.ESCD_DEBUG && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
    process.exit(1);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  const env = process.env;
  const paths = resolvePaths(env);
  const backend = await createBackend({ env, clock: systemClock, isolate: true });
  return runDaemon({
    socketPath: options.socket ?? paths.socket,
    auditFile: paths.auditLog,
    tokenFilesRegistry: join(paths.stateDir, 'token-files.json'),
    backend,
    clock: systemClock,
    version,
    env,
  });
}
