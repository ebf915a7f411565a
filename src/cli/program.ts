// The `escd` program: the command of argv registered (every command for help), see commands/index.ts.
import type { Command } from 'commander';
import { packageVersion } from '../service/package-files.js';
import { registerCommands } from './commands/index.js';
import { cliDependencies, setCliDependencies, type CliDependencies } from './context.js';
import { EscdCommand } from './usage.js';

/** The program for `argv` (after `node escd`): without it, every command is registered. */
export async function buildProgram(deps: Partial<CliDependencies> = {}, argv?: readonly string[]): Promise<Command> {
  setCliDependencies(deps);
  const program = new EscdCommand(cliDependencies().programName)
    .description('A local credential daemon for ESC-style environments: short-lived AWS and Kubernetes credentials, no long-lived secret on disk.')
    .version(packageVersion(), '-V, --version')
    .exitOverride();
  await registerCommands(program, argv);
  // After the commands are registered: they keep their own help.
  const { rootHelp } = cliDependencies();
  if (rootHelp !== undefined) return program.configureHelp({ formatHelp: () => rootHelp });
  program.addHelpText(
    'after',
    `
Run \`escd <command> --help\` for a command's options and examples.

Examples:
  $ escd quickstart                                   # first run: config, keys, a sample, the daemon
  $ escd env init myproj/dev && escd env edit myproj/dev
  $ escd open myproj/dev
  $ escd run myproj/dev -- aws sts get-caller-identity
  $ escd setup aws myproj/dev                         # then: aws --profile myproj-dev …
  $ escd status
  $ escd doctor`,
  );
  return program;
}
