// The `escd` program: every command registered. Each command module loads its implementation lazily,
// so `escd --help` and fast paths do not pay for the whole package.
import type { Command } from 'commander';
import { packageVersion } from '../service/package-files.js';
import { registerCommands } from './commands/index.js';
import { cliDependencies, setCliDependencies, type CliDependencies } from './context.js';
import { EscdCommand } from './usage.js';

export function buildProgram(deps: Partial<CliDependencies> = {}): Command {
  setCliDependencies(deps);
  const program = new EscdCommand(cliDependencies().programName)
    .description('A local credential daemon for ESC-style environments: short-lived AWS and Kubernetes credentials, no long-lived secret on disk.')
    .version(packageVersion(), '-V, --version')
    .exitOverride();
  registerCommands(program);
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
