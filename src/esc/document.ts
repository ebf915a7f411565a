// Source text → environment declaration plus load problems, memoized by source text: the daemon
// re-evaluates unchanged files often, and parsing dominates a warm evaluation.
import { buildEnvironment, emptyEnvironment, type EnvironmentDecl, type LoadProblem } from './ast.js';
import { parseYaml } from './syntax.js';

export interface LoadedDocument {
  readonly env: EnvironmentDecl;
  readonly problems: readonly LoadProblem[];
  /** A YAML syntax error (the whole document is unusable). */
  readonly fatal?: string;
}

const CACHE_LIMIT = 512;
const cache = new Map<string, LoadedDocument>();

export function loadDocument(source: string): LoadedDocument {
  const hit = cache.get(source);
  if (hit !== undefined) {
    // Refresh recency (Map keeps insertion order).
    cache.delete(source);
    cache.set(source, hit);
    return hit;
  }
  const doc = parse(source);
  cache.set(source, doc);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  return doc;
}

function parse(source: string): LoadedDocument {
  const parsed = parseYaml(source);
  if (parsed.fatal !== undefined) {
    return { env: emptyEnvironment(), problems: [], fatal: parsed.fatal.summary };
  }
  const { env, problems } = buildEnvironment(parsed.root, parsed.nodes);
  const syntaxProblems: LoadProblem[] = parsed.errors.map((e) => ({ severity: 'error', summary: e.summary, pos: e.pos, path: e.path }));
  return { env, problems: [...syntaxProblems, ...problems] };
}
