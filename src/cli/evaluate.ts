// What the CLI commands share: building the runtime (the store, keys and config; evaluation is the
// engine's, ./engine.ts), and failing after diagnostics were printed.
import { createRuntime, type Runtime } from '../runtime/runtime.js';
import { cliDependencies } from './context.js';

/** The runtime of a CLI command, built with the program's dependencies (src/cli/context.ts). */
export function openRuntime(): Promise<Runtime> {
  return createRuntime(cliDependencies().runtime);
}

/** Thrown after the diagnostics were printed: the command fails without another message. */
export class DiagnosticsFailure extends Error {
  constructor(readonly count: number) {
    super(`${count} error(s)`);
  }
}

/** Runs a CLI action; a DiagnosticsFailure only sets the exit code (its lines are already out). */
export async function withDiagnostics(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (err instanceof DiagnosticsFailure) {
      process.exitCode = 1;
      return;
    }
    throw err;
  }
}
