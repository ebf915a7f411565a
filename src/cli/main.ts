#!/usr/bin/env node
// The `escd` command line: parses argv with the program of ./program.ts and turns failures into
// one line on stderr and an exit status.
import { CommanderError } from 'commander';
import { reportError } from './errors.js';
import { buildProgram } from './program.js';
import { EXIT_USAGE } from './usage.js';

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    // --help and --version end here with status 0; a command group without its subcommand (`escd env`)
    // has printed its help to stderr and is a usage error. Other usage errors are UserErrors (usage.ts).
    if (err instanceof CommanderError) {
      process.exitCode = err.code === 'commander.help' && err.exitCode !== 0 ? EXIT_USAGE : err.exitCode;
      return;
    }
    process.exitCode = reportError(err);
  }
}

// A reader that went away (`escd service install --print | head`) is not worth a stack trace; as in the
// shim, the command ends with status 1. `escd run` handles its own pipe (see run-command.ts).
process.stdout.on('error', () => (process.exitCode = 1));

await main(process.argv);
