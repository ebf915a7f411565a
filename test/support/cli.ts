// Runs the built `escd` and `escd-shim` (dist/) as real child processes. `npm test` builds first.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The repository root, whether this file runs from test/support/ (vitest) or dist/test/support/ (the bench).
export const ROOT = fileURLToPath(new URL('../..', import.meta.url).href.replace(/dist\/$/, ''));
/** `escd` as installed (package.json bin): the loader (src/cli/loader.cts) of CLI_BUNDLE. */
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');
/** The bundle of src/cli/start.ts (src/cli/bundle.mjs) that CLI runs from V8's code cache for every command but status, open and run (each has a bundle of its own beside it). */
export const CLI_BUNDLE = join(ROOT, 'dist', 'cli', 'escd.js');
/** The same entry point as tsc emitted it, an ES module importing the others (what the daemon is started with). */
export const CLI_MODULE = join(ROOT, 'dist', 'src', 'cli', 'main.js');
export const SHIM = join(ROOT, 'dist', 'shim', 'main.js');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function assertBuilt(): void {
  if (!existsSync(CLI) || !existsSync(SHIM)) throw new Error(`dist/ is missing: run \`npm run build\` first (looked for ${CLI})`);
}

/** Runs `command` to completion with only PATH and `options.env` in its environment, collecting its output. */
export function runProcess(
  command: string,
  args: readonly string[],
  options: { env?: Record<string, string>; input?: string; timeoutMs?: number; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { PATH: process.env.PATH ?? '', ...options.env },
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

export const runNode = (script: string, args: readonly string[], options: Parameters<typeof runProcess>[2] = {}): Promise<RunResult> =>
  runProcess(process.execPath, [script, ...args], options);

export const runCli = (args: readonly string[], options?: Parameters<typeof runNode>[2]) => runNode(CLI, args, options);
export const runShim = (args: readonly string[], options?: Parameters<typeof runNode>[2]) => runNode(SHIM, args, options);
