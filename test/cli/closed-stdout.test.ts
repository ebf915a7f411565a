// `escd … | head`: a reader that goes away before escd has written everything gets no stack trace.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, CLI } from '../support/cli.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

let home: TmpHome;
beforeAll(async () => {
  assertBuilt();
  home = await makeTmpHome();
});
afterAll(() => home.cleanup());

/** Runs the CLI with its stdout pipe closed on our side at once, so its first write fails with EPIPE. */
function runWithClosedStdout(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...home.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('escd with a closed stdout', () => {
  it.each([
    [['service', 'install', '--print']],
    [['completion', 'bash']],
    [['--help']],
  ])('%j ends without a stack trace', async (args) => {
    const result = await runWithClosedStdout(args);
    expect(result.stderr).not.toMatch(/EPIPE|Unhandled|\n\s+at /);
    expect(result.code).not.toBeNull();
  });
});
