// Runs one conformance case as the corpus README §1 says and compares it as §2 says.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { evaluateEnvironment } from '../../src/esc/evaluate.js';
import type { Diagnostic, EnvironmentLoader, EvaluateResult } from '../../src/esc/types.js';
import { toJSON, type Json, type JsonObject } from '../../src/esc/value.js';
import { testCipher } from '../../src/secrets/test-cipher.js';
import { harnessProviders } from './providers.js';

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
}

export async function runCase(dir: string, caseName: string, overrides: Overrides): Promise<CaseRun> {
  const rootName = overrides.rootEnvironment ?? caseName;
  const source = readFileSync(join(dir, 'env.yaml'), 'utf8');
  const base = { loader: caseLoader(dir, caseName), providers: harnessProviders(), cipher: testCipher, context: HARNESS_CONTEXT };
  const check = await evaluateEnvironment(rootName, source, { ...base, mode: 'check', showSecrets: overrides.showSecrets === true });
  const evaluated = await evaluateEnvironment(rootName, source, { ...base, mode: 'eval' });
  return { check, eval: evaluated };
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

const diagKey = (d: { severity: string; summary: string; file?: string; line?: number; stage: string }): string =>
  `${d.stage} ${d.severity} ${d.file ?? '-'}:${d.line ?? '-'} ${d.summary}`;

function values(result: EvaluateResult, redact: boolean): Json | undefined {
  return result.values === undefined ? undefined : toJSON(result.values, { redact });
}

/** Compares a run with expected.json (§2): values deep-equal, load+eval diagnostics as multisets. */
export function compareCase(expected: Expected, run: CaseRun): string[] {
  const differences: string[] = [];
  for (const [label, want, got] of [
    ['evalJsonRedacted', expected.evalJsonRedacted, values(run.eval, true)],
    ['evalJSONRevealed', expected.evalJSONRevealed, values(run.eval, false)],
  ] as const) {
    for (const d of jsonDiff(want, got)) differences.push(`${label} ${d}`);
  }

  const relevant = (d: { stage: string }) => d.stage === 'load' || d.stage === 'eval';
  const want = expected.diagnostics.filter(relevant);
  const got: Diagnostic[] = run.eval.diagnostics.filter(relevant);
  const remaining = [...got];
  const missing: ExpectedDiagnostic[] = [];
  for (const w of want) {
    const i = remaining.findIndex((g) =>
      w.stage === 'load' && w.summary.startsWith('yaml:') && w.line === undefined
        ? g.stage === 'load' && g.severity === w.severity && g.line === undefined
        : g.stage === w.stage && g.severity === w.severity && g.summary === w.summary && g.file === w.file && g.line === w.line,
    );
    if (i >= 0) remaining.splice(i, 1);
    else missing.push(w);
  }
  for (const m of missing) differences.push(`missing diagnostic: ${diagKey(m)}`);
  for (const e of remaining) differences.push(`unexpected diagnostic: ${diagKey(e)}`);
  return differences;
}

export async function runAndCompare(casesDir: string, name: string): Promise<CaseOutcome> {
  const dir = join(casesDir, name);
  const overridesFile = join(dir, 'overrides.json');
  const overrides: Overrides = existsSync(overridesFile) ? (JSON.parse(readFileSync(overridesFile, 'utf8')) as Overrides) : {};
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
  const group = caseGroup(dir, overrides);
  try {
    const run = await runCase(dir, name, overrides);
    const differences = compareCase(expected, run);
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
