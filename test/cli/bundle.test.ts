// The installed `escd` (dist/cli/main.js, src/cli/bundle.mjs) loads only what the command in hand
// needs: a loader runs one CommonJS bundle that requires Node built-ins only — dist/cli/escd-<command>.js
// with the fast path of status, open or run, dist/cli/escd.js for every other command — and everything
// else is imported from dist/ when a command asks for it.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, CLI, CLI_BUNDLE, ROOT } from '../support/cli.js';

const FAST = ['status', 'open', 'run'] as const;
/** What each bundle must not hold (esbuild names every module it inlines: `// src/…`). */
const NEVER = ['src/esc/evaluator.ts', 'src/store/definition.ts', 'src/cli/program.ts', 'node_modules/commander'];
const OTHER_COMMANDS: Record<(typeof FAST)[number], string[]> = {
  // Nor, for status, the engine that starts a daemon, the lifecycle commands' registration or the spinner's terminal code.
  status: ['src/cli/commands/open.ts', 'src/cli/commands/run.ts', 'src/run/run-command.ts', 'src/cli/engine.ts', 'src/cli/commands/daemon.ts', 'daemon/autostart.ts'],
  open: ['src/cli/commands/run.ts', 'src/run/run-command.ts', 'daemon/status-format.ts'],
  run: ['src/cli/commands/open.ts', 'src/cli/format/values.ts'],
};

describe('the escd bundles', () => {
  const bundles = new Map<string, string>();
  let loader = '';
  beforeAll(() => {
    assertBuilt();
    bundles.set('escd.js', readFileSync(CLI_BUNDLE, 'utf8'));
    for (const command of FAST) bundles.set(`escd-${command}.js`, readFileSync(join(dirname(CLI), `escd-${command}.js`), 'utf8'));
    loader = readFileSync(CLI, 'utf8');
  });

  const required = (code: string): string[] => [...code.matchAll(/\brequire\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);
  const imported = (code: string): string[] => [...code.matchAll(/\b__escdImport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);

  it('is what package.json installs as escd: a CommonJS loader beside its bundles', () => {
    const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; files: string[] };
    expect(resolve(ROOT, pkg.bin.escd!)).toBe(CLI);
    expect(pkg.files).toContain('dist/cli');
    expect(loader.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(dirname(CLI_BUNDLE)).toBe(dirname(CLI));
    expect(loader).toContain('"escd.js"');
    for (const command of FAST) expect(loader).toContain(`"${command}"`);
    expect(JSON.parse(readFileSync(resolve(dirname(CLI), 'package.json'), 'utf8'))).toEqual({ type: 'commonjs' });
  });

  it('require Node built-ins only (no package is loaded by run, open or status)', () => {
    for (const [name, code] of [...bundles, ['main.js', loader] as const]) {
      expect(required(code).length, name).toBeGreaterThan(0);
      expect(required(code).filter((s) => !s.startsWith('node:')), name).toEqual([]);
    }
  });

  it("import only through the loader's import (a script from V8's code cache has no import() of its own)", () => {
    for (const [name, code] of bundles) expect(code.replace(/^\s*\/\/.*$/gm, ''), name).not.toMatch(/\bimport\(/);
  });

  it('import the full program, the in-process engine and yaml only when asked', () => {
    const lazy = ['../daemon/local.js', '../src/cli/run-cli.js', 'yaml'];
    const everywhere = new Set<string>();
    for (const [name, code] of bundles) {
      const paths = imported(code).filter((s) => !s.startsWith('node:'));
      // Every bundle falls back to the full program for what its fast path does not take.
      expect(paths, name).toContain('../src/cli/run-cli.js');
      for (const path of paths) {
        everywhere.add(path);
        expect(lazy, `${name}: ${path}`).toContain(path);
        if (path.startsWith('.')) expect(existsSync(resolve(dirname(CLI), path)), path).toBe(true);
      }
    }
    // yaml: the one package, imported by `escd open --format yaml` only.
    expect([...everywhere].sort()).toEqual(lazy);
  });

  it('hold none of the evaluator, the store or commander, and each fast bundle none of the other commands', () => {
    for (const [name, code] of bundles) {
      for (const source of NEVER) expect(code, `${name}: ${source}`).not.toContain(`// ${source}`);
      // The markers the checks rely on: esbuild names each module it inlines.
      expect(code, name).toContain('// src/cli/fast-path.ts');
    }
    for (const command of FAST) {
      const code = bundles.get(`escd-${command}.js`)!;
      for (const source of OTHER_COMMANDS[command]) expect(code, `escd-${command}.js: ${source}`).not.toContain(`// ${source}`);
    }
    // escd.js serves every other command through the full program: none of the three.
    for (const source of new Set(Object.values(OTHER_COMMANDS).flat())) expect(bundles.get('escd.js'), source).not.toContain(`// ${source}`);
  });
});
