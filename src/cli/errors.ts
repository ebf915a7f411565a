// How the CLI turns a failure into one line on stderr and an exit code. Never a stack trace
// (set ESCD_DEBUG=1 to see one while developing).

/** An expected failure: its message is already the one line the user should read. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
  }
}

export function reportError(err: unknown): number {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`escd: ${message.split('\n')[0]}\n`);
  if (process.env.ESCD_DEBUG && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
  return err instanceof UserError ? err.exitCode : 1;
}
