// The shim starts on every `aws` and `kubectl` call: it may load Node built-ins and a few small files of
// this package, never a dependency. Walks the built shim's static and dynamic imports.
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, ROOT, SHIM } from '../support/cli.js';

const DIST = resolve(ROOT, 'dist');
const SPECIFIER = /\b(?:import|export)\s*(?:[^'"()]*?\bfrom\s*)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every module reachable from `entry`: package files by their dist path, everything else as written. */
function importClosure(entry: string): { files: string[]; external: string[] } {
  const files = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const match of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      const specifier = (match[1] ?? match[2])!;
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier));
      else external.add(specifier);
    }
  };
  visit(entry);
  return { files: [...files].map((f) => relative(DIST, f)).sort(), external: [...external].sort() };
}

describe('escd-shim imports', () => {
  beforeAll(() => assertBuilt());

  it('are Node built-ins and dependency-free package files only', () => {
    const { files, external } = importClosure(SHIM);
    expect(external.filter((s) => !s.startsWith('node:'))).toEqual([]);
    expect(files).toEqual([
      'daemon/spawn-detached.js',
      'shim/args.js',
      'shim/main.js',
      'src/config/paths.js',
      'src/protocol/client.js',
      'src/protocol/socket-path.js',
      'src/protocol/wire.js',
    ]);
  });

  it('the walker sees the dependencies of a module that has them', () => {
    expect(importClosure(resolve(DIST, 'src/config/config.js')).external).toContain('yaml');
  });
});
