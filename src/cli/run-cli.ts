// Runs the command line once: parses argv with the program built from `deps` and turns a failure
// into an exit status, reported by `report` (escd's one line on stderr by default).
import { CommanderError } from 'commander';
import type { CliDependencies } from './context.js';
import { EvaluationFailed, reportError } from './errors.js';
import { buildProgram } from './program.js';
import { EXIT_USAGE } from './usage.js';

export async function runCli(argv: readonly string[], deps: Partial<CliDependencies> = {}, report: (err: unknown) => number = reportError): Promise<number | undefined> {
  const program = await buildProgram(deps, argv);
  if (argv.length === 0 && deps.rootHelp !== undefined) {
    program.outputHelp();
    return 0;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    // --help and --version end here with status 0; a command group without its subcommand (`escd env`)
    // has printed its help to stderr and is a usage error. Other usage errors are EscdErrors with code usage (usage.ts).
    if (err instanceof CommanderError) return err.code === 'commander.help' && err.exitCode !== 0 ? EXIT_USAGE : err.exitCode;
    // Its lines are already out (compiler style, without the `escd:` prefix).
    if (err instanceof EvaluationFailed) return 1;
    return report(err);
  }
  return undefined;
}
