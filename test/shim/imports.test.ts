// The shim starts on every `aws` and `kubectl` call: it may load Node built-ins and a few small files of
// this package, never a dependency. Checked on the sources (which files it is made of) and on the
// shipped bundle (dist/shim/main.js, one CommonJS file: what it requires at run time).
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, ROOT, SHIM } from '../support/cli.js';
import { importsOf } from '../support/import-graph.js';

/** Every module reachable from `entry` (TypeScript sources; `import type` does not load anything). */
function sourceClosure(entry: string): { files: string[]; external: string[] } {
  const files = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const ref of importsOf(file)) {
      if (ref.typeOnly) continue;
      if (ref.file !== undefined) visit(ref.file);
      else external.add(ref.specifier);
    }
  };
  visit(entry);
  return { files: [...files].map((f) => relative(ROOT, f)).sort(), external: [...external].sort() };
}

describe('escd-shim imports', () => {
  beforeAll(() => assertBuilt());

  it('are made of Node built-ins and dependency-free package files only', () => {
    const { files, external } = sourceClosure(resolve(ROOT, 'shim/main.ts'));
    expect(external.filter((s) => !s.startsWith('node:'))).toEqual([]);
    expect(files).toEqual([
      'daemon/autostart.ts',
      'daemon/spawn-detached.ts',
      'shim/args.ts',
      'shim/main.ts',
      'src/config/paths.ts',
      'src/protocol/client.ts',
      'src/protocol/socket-path.ts',
      'src/protocol/socket-trust.ts',
      'src/protocol/wire.ts',
    ]);
  });

  it('the walker sees the dependencies of a module that has them', () => {
    expect(sourceClosure(resolve(ROOT, 'src/config/config.ts')).external).toContain('yaml');
  });

  it('ship as one CommonJS file that requires Node built-ins only', () => {
    const bundle = readFileSync(SHIM, 'utf8');
    const required = [...bundle.matchAll(/\brequire\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);
    expect(required.length).toBeGreaterThan(0);
    expect(required.filter((s) => !s.startsWith('node:'))).toEqual([]);
    expect(bundle).not.toMatch(/\bimport\(|^import\s/m);
    expect(JSON.parse(readFileSync(resolve(dirname(SHIM), 'package.json'), 'utf8'))).toEqual({ type: 'commonjs' });
  });
});
