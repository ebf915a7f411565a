// Runs one conformance case as the corpus README §1 says and compares it as §2 says.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { inlineEngine, type EvaluationEngine } from '../../src/runtime/engine.js';
import type { Diagnostic, EnvironmentLoader, EvaluateResult, RotateResult } from '../../src/esc/types.js';
import { toJSON, type Json, type JsonObject } from '../../src/esc/value.js';
import { testCipher } from '../support/test-cipher.js';
import { harnessProviders, harnessRotators } from './providers.js';

export type CaseGroup = 'main' | 'rotation-schema';

export interface CaseOutcome {
  readonly name: string;
  readonly group: CaseGroup;
  readonly passed: boolean;
  /** Short human-readable differences (empty when passed). */
  readonly differences: readonly string[];
}

interface Overrides {
  rootEnvironment?: string;
  showSecrets?: boolean;
  rotate?: boolean;
  rotatePaths?: string[];
}

interface ExpectedDiagnostic {
  stage: string;
  severity: string;
  summary: string;
  file?: string;
  line?: number;
  column?: number;
  path?: string;
}

interface Expected {
  evalJsonRedacted?: Json;
  evalJSONRevealed?: Json;
  checkJson?: Json;
  rotateJson?: Json;
  rotatePatches?: { DocPath: string; Replacement: Json }[];
  diagnostics: ExpectedDiagnostic[];
}

export const HARNESS_CONTEXT: JsonObject = { pulumi: { user: { id: 'USER_123' } } };

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...yamlFiles(full));
    else if (entry.endsWith('.yaml')) out.push(full);
  }
  return out;
}

/** Group from the case's content, never its name: rotation (override or fn::rotate) or the schema provider. */
export function caseGroup(dir: string, overrides: Overrides): CaseGroup {
  if (overrides.rotate === true || overrides.rotatePaths !== undefined) return 'rotation-schema';
  for (const file of yamlFiles(dir)) {
    const text = readFileSync(file, 'utf8');
    if (/fn::rotate\b/.test(text)) return 'rotation-schema';
    if (/fn::open::schema\s*:/.test(text) || /provider:\s*["']?schema["']?\s*$/m.test(text)) return 'rotation-schema';
  }
  return 'main';
}

export function caseLoader(dir: string, caseName: string): EnvironmentLoader {
  return async (name) => {
    const file = join(dir, `${name}.yaml`);
    // Names must stay inside the case folder.
    const inside = !relative(dir, file).startsWith(`..${sep}`);
    if (!inside || !existsSync(file) || !statSync(file).isFile()) {
      throw new Error(`open testdata/eval/${caseName}/${name}.yaml: no such file or directory`);
    }
    return { name, source: readFileSync(file, 'utf8') };
  };
}

export interface CaseRun {
  readonly check: EvaluateResult;
  readonly eval: EvaluateResult;
  readonly rotate?: RotateResult;
}

/** `engine`: where to evaluate (default this thread; the daemon's worker-thread engine must give the same). */
export async function runCase(dir: string, caseName: string, overrides: Overrides, engine: EvaluationEngine = inlineEngine): Promise<CaseRun> {
  const rootName = overrides.rootEnvironment ?? caseName;
  const source = readFileSync(join(dir, 'env.yaml'), 'utf8');
  const base = {
    loader: caseLoader(dir, caseName),
    providers: harnessProviders(),
    rotators: harnessRotators(),
    cipher: testCipher,
    context: HARNESS_CONTEXT,
  };
  const check = await engine.evaluate(rootName, source, { ...base, mode: 'check', showSecrets: overrides.showSecrets === true });
  const evaluated = await engine.evaluate(rootName, source, { ...base, mode: 'eval' });
  if (overrides.rotate !== true) return { check, eval: evaluated };
  const rotate = await engine.rotate(rootName, source, { ...base, paths: overrides.rotatePaths });
  return { check, eval: evaluated, rotate };
}

/** Structural equality of JSON values; numbers compared as numbers, object keys unordered. */
function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  const ak = Object.keys(a);
  const bk = Object.keys(b);
  return ak.length === bk.length && ak.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
}

/** The first few JSON paths where two values differ. */
function jsonDiff(expected: Json | undefined, actual: Json | undefined, path = '', out: string[] = []): string[] {
  if (out.length >= 5 || jsonEqual(expected, actual)) return out;
  if (
    expected !== null &&
    actual !== null &&
    typeof expected === 'object' &&
    typeof actual === 'object' &&
    !Array.isArray(expected) &&
    !Array.isArray(actual)
  ) {
    for (const k of new Set([...Object.keys(expected), ...Object.keys(actual)])) jsonDiff(expected[k], actual[k], `${path}.${k}`, out);
    return out;
  }
  if (Array.isArray(expected) && Array.isArray(actual) && expected.length === actual.length) {
    expected.forEach((item, i) => jsonDiff(item, actual[i], `${path}[${i}]`, out));
    return out;
  }
  out.push(`${path || '.'}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  return out;
}

const diagKey = (d: { severity: string; summary: string; file?: string; line?: number; column?: number; path?: string; stage: string }): string =>
  `${d.stage} ${d.severity} ${d.file ?? '-'}:${d.line ?? '-'}:${d.column ?? '-'} ${d.path ?? ''} ${d.summary}`;

function values(result: EvaluateResult, redact: boolean): Json | undefined {
  return result.values === undefined ? undefined : toJSON(result.values, { redact });
}

/** The plain value of a reference value tree (`{"value": V, "secret"?, "unknown"?, "trace"}`). */
function plainReplacement(tree: Json): Json {
  if (tree === null || typeof tree !== 'object' || Array.isArray(tree)) return tree;
  const v = tree['value'];
  if (v === undefined || v === null) return null;
  if (Array.isArray(v)) return v.map(plainReplacement);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, plainReplacement(item)]));
  return v;
}

/**
 * Diagnostics of the given stages as multisets of (stage, severity, summary, file, line), plus
 * column and path when strict; `yaml:` load errors match any range-less one.
 */
function compareDiagnostics(want: readonly ExpectedDiagnostic[], got: readonly Diagnostic[], differences: string[], strict = false): void {
  const remaining = [...got];
  for (const w of want) {
    const i = remaining.findIndex((g) =>
      w.stage === 'load' && w.summary.startsWith('yaml:') && w.line === undefined
        ? g.stage === 'load' && g.severity === w.severity && g.line === undefined
        : g.stage === w.stage &&
          g.severity === w.severity &&
          g.summary === w.summary &&
          g.file === w.file &&
          g.line === w.line &&
          (!strict || (g.column === w.column && g.path === w.path)),
    );
    if (i >= 0) remaining.splice(i, 1);
    else differences.push(`missing diagnostic: ${diagKey(w)}`);
  }
  for (const e of remaining) differences.push(`unexpected diagnostic: ${diagKey(e)}`);
}

/**
 * Compares a run with expected.json (§2): values deep-equal, load+eval diagnostics as multisets;
 * rotation too when run. `strict` also compares checkJson, check diagnostics, columns and paths
 * (which §2 reports only for reference).
 */
export function compareCase(expected: Expected, run: CaseRun, strict = false): string[] {
  const differences: string[] = [];
  if (strict) {
    for (const d of jsonDiff(expected.checkJson, values(run.check, true))) differences.push(`checkJson ${d}`);
    compareDiagnostics(
      expected.diagnostics.filter((d) => d.stage === 'check'),
      run.check.diagnostics.filter((d) => d.stage === 'check'),
      differences,
      true,
    );
  }
  if (run.rotate !== undefined) {
    for (const d of jsonDiff(expected.rotateJson, values(run.rotate, true))) differences.push(`rotateJson ${d}`);
    const wantPatches = (expected.rotatePatches ?? []).map((p) => ({ docPath: p.DocPath, value: plainReplacement(p.Replacement) }));
    const gotPatches = run.rotate.patches.map((p) => ({ docPath: p.docPath, value: toJSON(p.replacement, { redact: false }) }));
    if (!jsonEqual(wantPatches as unknown as Json, gotPatches as unknown as Json)) {
      differences.push(`rotatePatches: expected ${JSON.stringify(wantPatches)}, got ${JSON.stringify(gotPatches)}`);
    }
    compareDiagnostics(
      expected.diagnostics.filter((d) => d.stage === 'rotate'),
      run.rotate.diagnostics.filter((d) => d.stage === 'rotate'),
      differences,
      strict,
    );
  }
  for (const [label, want, got] of [
    ['evalJsonRedacted', expected.evalJsonRedacted, values(run.eval, true)],
    ['evalJSONRevealed', expected.evalJSONRevealed, values(run.eval, false)],
  ] as const) {
    for (const d of jsonDiff(want, got)) differences.push(`${label} ${d}`);
  }

  const relevant = (d: { stage: string }) => d.stage === 'load' || d.stage === 'eval';
  compareDiagnostics(expected.diagnostics.filter(relevant), run.eval.diagnostics.filter(relevant), differences, strict);
  return differences;
}

export async function runAndCompare(casesDir: string, name: string, strict = false, engine?: EvaluationEngine): Promise<CaseOutcome> {
  const dir = join(casesDir, name);
  const overridesFile = join(dir, 'overrides.json');
  const overrides: Overrides = existsSync(overridesFile) ? (JSON.parse(readFileSync(overridesFile, 'utf8')) as Overrides) : {};
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
  const group = caseGroup(dir, overrides);
  try {
    const run = await runCase(dir, name, overrides, engine);
    const differences = compareCase(expected, run, strict);
    return { name, group, passed: differences.length === 0, differences };
  } catch (err) {
    return { name, group, passed: false, differences: [`evaluation threw: ${err instanceof Error ? err.message : String(err)}`] };
  }
}

export function listCases(casesDir: string): string[] {
  return readdirSync(casesDir)
    .filter((name) => existsSync(join(casesDir, name, 'env.yaml')) && existsSync(join(casesDir, name, 'expected.json')))
    .sort();
}
