#!/usr/bin/env node
// The `escd` command line. Each command module registers itself and loads its implementation lazily,
// so `escd --help` and fast paths do not pay for the whole package.
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { registerCommands } from './commands/index.js';
import { reportError } from './errors.js';

const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command('escd')
    .description('A local credential daemon for ESC-style environments: short-lived AWS and Kubernetes credentials, no long-lived secret on disk.')
    .version(version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerCommands(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    process.exitCode = reportError(err);
  }
}

// A reader that went away (`escd service install --print | head`) is not worth a stack trace; as in the
// shim, the command ends with status 1. `escd run` handles its own pipe (see run-command.ts).
process.stdout.on('error', () => (process.exitCode = 1));

await main(process.argv);
