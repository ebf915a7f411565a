// The `escd` command line: runs the program of ./program.ts with escd's own dependencies; the plain
// forms of the fast commands it is given (./fast-path.ts) take the same actions without it.
import { fastCommand, type FastCommands } from './fast-path.js';

// No top-level await: `npm run build` also bundles this file into CommonJS (bundle.mjs).
async function main(argv: readonly string[], commands: FastCommands): Promise<void> {
  const fast = fastCommand(argv, commands);
  // A reader that went away (`escd service install --print | head`) is not worth a stack trace; as in
  // the shim, the command ends with status 1. A plain `escd run` handles its own pipe (run-command.ts)
  // and builds no stdout stream at all when the command prints nothing.
  if (!(fast && argv[0] === 'run')) process.stdout.on('error', () => (process.exitCode = 1));
  if (fast) {
    try {
      await fast();
    } catch (err) {
      const { EvaluationFailed, reportError } = await import('./errors.js');
      // An evaluation error's lines are already out (compiler style, without the `escd:` prefix).
      process.exitCode = err instanceof EvaluationFailed ? 1 : reportError(err);
    }
  } else {
    const { runCli } = await import('./run-cli.js');
    const code = await runCli(argv);
    if (code !== undefined) process.exitCode = code;
  }
}

export function startCli(commands: FastCommands): void {
  main(process.argv.slice(2), commands).catch((err: unknown) => {
    // Only a failure to load the program itself ends here: commands report their own errors.
    process.stderr.write(`escd: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
