#!/usr/bin/env node
// The `escd` command line: runs the program of ./program.ts with escd's own dependencies.
import { runCli } from './run-cli.js';

// A reader that went away (`escd service install --print | head`) is not worth a stack trace; as in the
// shim, the command ends with status 1. `escd run` handles its own pipe (see run-command.ts).
process.stdout.on('error', () => (process.exitCode = 1));

const code = await runCli(process.argv.slice(2));
if (code !== undefined) process.exitCode = code;
