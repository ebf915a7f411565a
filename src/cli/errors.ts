// How the CLI turns a failure into one line on stderr and an exit code. Never a stack trace
// (set ESCD_DEBUG=1 to see one while developing).
import { UserError } from '../core/errors.js';

export function reportError(err: unknown): number {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`escd: ${message.split('\n')[0]}\n`);
  if (process.env.ESCD_DEBUG && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
  return err instanceof UserError ? err.exitCode : 1;
}
