// What the CLI commands share: building the runtime, and evaluating with diagnostics printed the
// way compilers print them (warnings go to stderr and the command goes on; errors stop it).
import { diagnosticLines, hasErrors } from '../runtime/diagnostic-lines.js';
import { withProgress } from './terminal.js';
import { createRuntime, type EvaluationOptions, type Runtime, type RuntimeEvaluation } from '../runtime/runtime.js';
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

/**
 * Evaluates (with a progress line on a terminal: providers may call STS) and prints every diagnostic
 * to stderr once the line is gone; throws DiagnosticsFailure when any is an error.
 */
export async function evaluateOrFail(runtime: Runtime, name: string, options: EvaluationOptions): Promise<RuntimeEvaluation> {
  const evaluation = await withProgress(`opening ${name}…`, () => runtime.evaluate(name, options));
  for (const line of diagnosticLines(runtime, evaluation)) process.stderr.write(line + '\n');
  if (hasErrors(evaluation.diagnostics)) throw new DiagnosticsFailure(evaluation.diagnostics.filter((d) => d.severity === 'error').length);
  return evaluation;
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
