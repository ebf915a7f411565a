// The conformance runner end to end (dist/test/conformance/run.js) on a small synthetic corpus.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const runner = join(process.cwd(), 'dist', 'test', 'conformance', 'run.js');
let corpus: string;

function addCase(name: string, files: Record<string, string>): void {
  const dir = join(corpus, 'cases', name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
}

function runRunner(...args: string[]) {
  const env = { ...process.env };
  delete env['ESC_CONFORMANCE_DIR'];
  return spawnSync(process.execPath, [runner, ...args], { encoding: 'utf8', env });
}

beforeAll(() => {
  corpus = mkdtempSync(join(tmpdir(), 'escd-corpus-'));
  const values = { a: 'x' };
  addCase('passes', {
    'env.yaml': 'values:\n  a: x\n',
    'expected.json': JSON.stringify({ evalJsonRedacted: values, evalJSONRevealed: values, checkJson: values, diagnostics: [] }),
  });
  addCase('fails', {
    'env.yaml': 'values:\n  a: ${b}\n',
    'expected.json': JSON.stringify({ evalJsonRedacted: { a: 'y' }, evalJSONRevealed: { a: 'y' }, diagnostics: [] }),
  });
  addCase('rotation', {
    'env.yaml': 'values:\n  r:\n    fn::rotate::swap:\n      inputs: {}\n      state: {a: "1", b: "2"}\n',
    'overrides.json': '{"rotate": true}',
    'expected.json': JSON.stringify({
      evalJsonRedacted: { r: { a: '1', b: '2' } },
      evalJSONRevealed: { r: { a: '1', b: '2' } },
      rotateJson: { r: { a: '2', b: '1' } },
      rotatePatches: [{ DocPath: 'values.r["fn::rotate::swap"].state', Replacement: { value: { a: { value: '2' }, b: { value: '1' } } } }],
      diagnostics: [],
    }),
  });
});

afterAll(() => rmSync(corpus, { recursive: true, force: true }));

describe('conformance runner', () => {
  it('reports failing cases with a diff, both summary lines, and exits 1 on main-group failures', () => {
    const result = runRunner(corpus);
    const lines = result.stdout.trim().split('\n');
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('FAIL fails');
    expect(result.stdout).toContain('evalJsonRedacted .a: expected "y", got "[unknown]"');
    expect(result.stdout).toContain('unexpected diagnostic: eval error fails:2:8 values.a unknown property "b"');
    expect(result.stdout).not.toContain('FAIL passes');
    expect(result.stdout).not.toContain('FAIL rotation');
    expect(lines.slice(-2)).toEqual(['conformance: 1 passed, 1 failed', 'conformance (rotation, schema): 1 passed, 0 failed']);
  });

  it('exits 0 when the main group passes', () => {
    rmSync(join(corpus, 'cases', 'fails'), { recursive: true });
    const result = runRunner(corpus);
    expect(result.status).toBe(0);
    expect(result.stdout.trim().split('\n').slice(-2)).toEqual(['conformance: 1 passed, 0 failed', 'conformance (rotation, schema): 1 passed, 0 failed']);
  });

  it('says so and exits non-zero without a corpus', () => {
    const result = runRunner(join(corpus, 'missing'));
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('conformance: no corpus at');
  });
});
