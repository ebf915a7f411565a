// The layers, one way: src/cli presents and nothing below it imports it; the daemon and the domain
// folders (esc, store, oidc, cache, providers, ...) return data; and no folder depends on itself
// through others. The shim's own, narrower rule is test/shim/imports.test.ts.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';
import { cycles, folderGraph, sourceFiles, type FolderGraph } from '../support/import-graph.js';

const graph = folderGraph(ROOT, ['src', 'daemon', 'shim'].flatMap((dir) => sourceFiles(resolve(ROOT, dir))));

/** Each cycle with the imports that close it, so a failure says which lines to change. */
function explain(g: FolderGraph): string[] {
  return cycles(g).flatMap((component) =>
    component.flatMap((from) => component.flatMap((to) => (g.get(from)?.get(to) ?? []).map((edge) => `${from} -> ${to}: ${edge}`))),
  );
}

describe('folder-level imports', () => {
  it('sees every folder and the edges between them', () => {
    expect([...graph.keys()]).toEqual(expect.arrayContaining(['daemon', 'shim', 'src/cli', 'src/esc', 'src/store', 'src/runtime', 'src/core']));
    expect(graph.get('src/cli')?.has('src/runtime')).toBe(true);
  });

  it('have no cycle', () => {
    expect(explain(graph)).toEqual([]);
  });

  it('reach src/cli only from src/cli', () => {
    const intoCli = [...graph].flatMap(([from, edges]) => (from === 'src/cli' ? [] : (edges.get('src/cli') ?? []).map((edge) => `${from}: ${edge}`)));
    expect(intoCli).toEqual([]);
  });

  it('leave src/core with no dependency at all (errors and progress, for every layer)', () => {
    const core = sourceFiles(resolve(ROOT, 'src/core'));
    expect(core.length).toBeGreaterThan(0);
    expect([...(graph.get('src/core')?.keys() ?? [])]).toEqual([]);
  });

  it('the cycle finder reports a cycle through several folders, and only that one', () => {
    const g: FolderGraph = new Map([
      ['a', new Map([['b', ['a.ts -> ./b']]])],
      ['b', new Map([['c', ['b.ts -> ./c']]])],
      ['c', new Map([['a', ['c.ts -> ./a']], ['d', ['c.ts -> ./d']]])],
      ['d', new Map()],
    ]);
    expect(cycles(g)).toEqual([['a', 'b', 'c']]);
    expect(explain(g)).toEqual(['a -> b: a.ts -> ./b', 'b -> c: b.ts -> ./c', 'c -> a: c.ts -> ./a']);
    g.get('c')!.delete('a');
    expect(cycles(g)).toEqual([]);
  });
});
