#!/usr/bin/env node
// The `escd` command line: runs the program of ./program.ts with escd's own dependencies; the plain
// forms of run, open and status take the fast path (./fast-path.ts) with the same actions.
import { fastCommand } from './fast-path.js';

// A reader that went away (`escd service install --print | head`) is not worth a stack trace; as in the
// shim, the command ends with status 1. `escd run` handles its own pipe (see run-command.ts).
process.stdout.on('error', () => (process.exitCode = 1));

const argv = process.argv.slice(2);
const fast = fastCommand(argv);
if (fast) {
  try {
    await fast();
  } catch (err) {
    const [{ EvaluationFailed }, { reportError }] = await Promise.all([import('./engine.js'), import('./errors.js')]);
    // An evaluation error's lines are already out (compiler style, without the `escd:` prefix).
    process.exitCode = err instanceof EvaluationFailed ? 1 : reportError(err);
  }
} else {
  const { runCli } = await import('./run-cli.js');
  const code = await runCli(argv);
  if (code !== undefined) process.exitCode = code;
}
