// The import graph of the sources, read from the text of each .ts file (no compiler needed): what
// test/shim/imports.test.ts and test/architecture/layers.test.ts check.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

// A static import or export starts a line (so the word in a comment is not one) and has no `;` before its `from`.
const SPECIFIER = /^[ \t]*(?:import|export)\s+(type\s+)?(?:[^'"();]*?\bfrom\s*)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;

export interface ImportRef {
  readonly specifier: string;
  /** `import type` / `export type`: checked by the compiler, loads nothing at run time. */
  readonly typeOnly: boolean;
  /** The .ts file a relative specifier names; undefined for a package or a Node built-in. */
  readonly file?: string;
}

/** The static and dynamic imports of one source file. */
export function importsOf(file: string): ImportRef[] {
  const refs: ImportRef[] = [];
  for (const match of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
    const specifier = (match[2] ?? match[3])!;
    const typeOnly = match[1] !== undefined;
    refs.push(specifier.startsWith('.') ? { specifier, typeOnly, file: resolve(dirname(file), specifier.replace(/\.js$/, '.ts')) } : { specifier, typeOnly });
  }
  return refs;
}

/** Every .ts file under `dir` (absolute paths, sorted). */
export function sourceFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) found.push(path);
    }
  };
  walk(dir);
  return found.sort();
}

/** A folder's outgoing edges: target folder → the imports that make the edge (`file -> specifier`). */
export type FolderGraph = Map<string, Map<string, string[]>>;

/**
 * Folder-level graph: a file's folder is `src/<name>` under src/ (so src/esc/schema is src/esc) and its
 * top directory elsewhere (daemon, shim). Type-only imports count: they are dependencies of the design.
 */
export function folderGraph(root: string, files: readonly string[]): FolderGraph {
  const folderOf = (file: string): string => {
    const parts = relative(root, file).split('/');
    return parts[0] === 'src' ? parts.slice(0, 2).join('/') : parts[0]!;
  };
  const graph: FolderGraph = new Map();
  for (const file of files) {
    const from = folderOf(file);
    if (!graph.has(from)) graph.set(from, new Map());
    for (const ref of importsOf(file)) {
      if (ref.file === undefined) continue;
      const to = folderOf(ref.file);
      if (to === from) continue;
      const edges = graph.get(from)!;
      edges.set(to, [...(edges.get(to) ?? []), `${relative(root, file)} -> ${ref.specifier}`]);
    }
  }
  return graph;
}

/** The strongly connected components with more than one folder (Tarjan): each is an import cycle. */
export function cycles(graph: ReadonlyMap<string, ReadonlyMap<string, unknown>>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
  return found;
}
