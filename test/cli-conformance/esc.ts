// The `esc` of the CLI corpus: escd's command line built with the test profile (./profile.ts).
// Usage: node esc.js <program name> [args...]. Failures print as the reference's main.go does
// (`Error: <message>`, exit status 1).
import { runCli } from '../../src/cli/run-cli.js';
import { testProfile } from './profile.js';

const [programName = 'esc', ...args] = process.argv.slice(2);
process.stdout.on('error', () => (process.exitCode = 1));

const report = (err: unknown): number => {
  process.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
};

const code = await runCli(args, testProfile(programName), report);
if (code !== undefined) process.exitCode = code === 0 ? 0 : 1;
