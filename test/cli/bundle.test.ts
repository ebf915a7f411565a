// The installed `escd` (dist/cli/main.js, src/cli/bundle.mjs) loads only what the command in hand
// needs: a loader runs its fast path (run, open, status), one CommonJS file (dist/cli/escd.js) that
// requires Node built-ins only, and everything else is imported from dist/ when a command asks for it.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, CLI, CLI_BUNDLE, ROOT } from '../support/cli.js';

describe('the escd bundle', () => {
  let bundle = '';
  let loader = '';
  beforeAll(() => {
    assertBuilt();
    bundle = readFileSync(CLI_BUNDLE, 'utf8');
    loader = readFileSync(CLI, 'utf8');
  });

  const required = (code: string): string[] => [...code.matchAll(/\brequire\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);

  it('is what package.json installs as escd: a CommonJS loader beside the bundle', () => {
    const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; files: string[] };
    expect(resolve(ROOT, pkg.bin.escd!)).toBe(CLI);
    expect(pkg.files).toContain('dist/cli');
    expect(loader.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(dirname(CLI_BUNDLE)).toBe(dirname(CLI));
    expect(loader).toContain('"escd.js"');
    expect(JSON.parse(readFileSync(resolve(dirname(CLI), 'package.json'), 'utf8'))).toEqual({ type: 'commonjs' });
  });

  it('requires Node built-ins only (no package is loaded by run, open or status)', () => {
    for (const code of [bundle, loader]) {
      expect(required(code).length).toBeGreaterThan(0);
      expect(required(code).filter((s) => !s.startsWith('node:'))).toEqual([]);
    }
  });

  it("imports only through the loader's import (a script from V8's code cache has no import() of its own)", () => {
    expect(bundle.replace(/^\s*\/\/.*$/gm, '')).not.toMatch(/\bimport\(/);
  });

  it('imports the full program, the in-process engine, the daemon and yaml only when asked', () => {
    const imported = [...bundle.matchAll(/\b__escdImport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!).filter((s) => !s.startsWith('node:'));
    // yaml: the one package, imported by `escd open --format yaml` only.
    expect([...new Set(imported)].sort()).toEqual(['../daemon/entry.js', '../daemon/local.js', '../src/cli/run-cli.js', 'yaml']);
    for (const path of imported.filter((p) => p.startsWith('.'))) expect(existsSync(resolve(dirname(CLI), path)), path).toBe(true);
  });

  it('holds none of the evaluator, the store or commander', () => {
    for (const source of ['src/esc/evaluator.ts', 'src/store/definition.ts', 'src/cli/program.ts', 'node_modules/commander']) {
      expect(bundle, source).not.toContain(`// ${source}`);
    }
    // The markers the check above relies on: esbuild names each module it inlines.
    expect(bundle).toContain('// src/cli/fast-path.ts');
  });
});
