// The error every layer may throw for an expected failure. No dependencies, so domain folders and
// the daemon can use it without importing the CLI (which reports it: src/cli/errors.ts).

/** An expected failure: its message is already the one line the user should read. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
  }
}
