// Property-based tests of the evaluator (issue 7): random environment documents — nested values,
// `${...}` expressions valid and broken, builtin calls with random arguments, imports among a few
// generated environments (cycles included) — must never make `evaluateEnvironment` throw or hang,
// must get diagnostics whenever they are known to be invalid, and must never show a secret in
// redacted output. A second property checks literal-only environments and their import merging
// against a small model of §5.2. Fixed seeds and bounded runs keep the suite deterministic and fast.
import fc from 'fast-check';
import { stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateEnvironment } from '../../src/esc/evaluate.js';
import type { EnvironmentLoader, EvaluateResult } from '../../src/esc/types.js';
import { toJSON, type Json } from '../../src/esc/value.js';
import { sealSecret } from '../../src/secrets/envelope.js';
import { testCipher } from '../support/test-cipher.js';
import { harnessProviders } from '../conformance/providers.js';

const SEED = 20261122;
const PER_CASE_TIMEOUT_MS = 5_000;
const CONTEXT = { pulumi: { user: { id: 'USER_123' } } };
const IMPORTABLE = ['e0', 'e1', 'e2'] as const;
const ROOT = 'root';

/** Distinctive plaintexts: they may appear in revealed output but never in redacted output. */
const TOKENS = ['SECRETxq7alpha', 'SECRETzk3bravo', 'SECRETwm9charlie'] as const;
/** Plaintexts that only ever appear sealed (`fn::secret: {ciphertext}`): the check stage must not decrypt them. */
const SEALED_TOKENS = ['SEALEDqp4delta', 'SEALEDvn8echo'] as const;
const ALL_TOKENS = [...TOKENS, ...SEALED_TOKENS];
const CIPHER_PLACEHOLDER = (i: number): string => `@@CIPHERTEXT${i}@@`;
let ciphertexts: string[] = [];
const withBase64 = (tokens: readonly string[]): string[] => tokens.flatMap((t) => [t, Buffer.from(t).toString('base64')]);
/** Strings a redacted output must not contain: each token and its base64 form. */
const FORBIDDEN = withBase64(ALL_TOKENS);
/** Strings not even the revealed output of the check stage may contain. */
const SEALED_FORBIDDEN = withBase64(SEALED_TOKENS);
/** An environment reachable only as `${environments.p.e...}`. */
const INLINE_ENV = 'p/e';

beforeAll(async () => {
  ciphertexts = await Promise.all(SEALED_TOKENS.map((t) => sealSecret(testCipher, t)));
});

// ---- generators ---------------------------------------------------------------------------------

const keyArb = fc.constantFrom('a', 'b', 'c', 'd', 'x-y', 'sp ace', 'dot.ted', 'q"t', 'ünï', '2nd', '');

/** A property path as written inside `${...}`: a first name or quoted key, then accessors. */
const pathArb = fc
  .tuple(keyArb, fc.array(fc.oneof(keyArb.map((k) => ({ key: k })), fc.nat(3).map((i) => ({ index: i }))), { maxLength: 3 }))
  .map(([first, rest]) => {
    const quoted = (k: string): string => `["${k.replace(/"/g, '\\"')}"]`;
    let text = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(first) ? first : quoted(first);
    for (const step of rest) {
      if ('index' in step) text += `[${step.index}]`;
      else text += /^[A-Za-z_][A-Za-z0-9_]*$/.test(step.key) ? `.${step.key}` : quoted(step.key);
    }
    return text;
  });

const expressionArb = fc.oneof(
  pathArb.map((p) => `\${${p}}`),
  fc.tuple(fc.string({ maxLength: 4 }), pathArb, fc.string({ maxLength: 4 })).map(([pre, p, post]) => `${pre}\${${p}}${post}`),
  fc.constantFrom(
    '${a',
    '${}',
    '${a.}',
    '${[0]}',
    '${a["x}',
    '${a[x]}',
    '${a[-1]}',
    '${a[99]}',
    '$${a}',
    'a$$b',
    '${context.pulumi.user.id}',
    '${context.rootEnvironment.name}-${context.currentEnvironment.name}',
    '${imports.e1}',
    '${imports.e1.a}',
    '${imports.e0.b[0]}',
    '${environments.p.e.a}',
    '${environments.p.e}',
    '${environments.p.e.b[0]}',
    '${environments["p"].e.c}',
    '${environments.p}',
    '${context}',
  ),
);

const scalarArb = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -1000, max: 1000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).filter((d) => !Object.is(d, -0)),
  fc.string({ maxLength: 6 }),
);

const secretArb: fc.Arbitrary<Node> = fc.oneof(
  fc.constantFrom(...TOKENS).map((token) => ({ 'fn::secret': token })),
  fc.nat(SEALED_TOKENS.length - 1).map((i) => ({ 'fn::secret': { ciphertext: CIPHER_PLACEHOLDER(i) } })),
  fc.constantFrom<Node>({ 'fn::secret': { ciphertext: 'not base64!' } }, { 'fn::secret': { ciphertext: 'ZXNjeA==' } }, { 'fn::secret': ['x'] }),
);

const schemaArb = fc.oneof(
  fc.constantFrom<Json>({ type: 'string' }, { type: 'object', required: ['a'] }, { minimum: 3 }, { anyOf: [{ type: 'string' }, { type: 'number' }] }, false, true),
  fc.constant(null).map(() => ({ type: 'array', items: { type: 'number' } })),
);

type Node = Json | { [key: string]: Node } | Node[];

const { node: nodeArb } = fc.letrec<{ node: Node; object: Node; array: Node; builtin: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', maxDepth: 4, depthIdentifier: 'tree' },
    scalarArb,
    expressionArb,
    secretArb,
    tie('object'),
    tie('array'),
    tie('builtin'),
  ),
  object: fc.dictionary(keyArb, tie('node'), { maxKeys: 4 }),
  array: fc.array(tie('node'), { maxLength: 4, depthIdentifier: 'tree' }),
  builtin: fc.oneof(
    { depthIdentifier: 'tree' },
    fc
      .tuple(fc.constantFrom('toJSON', 'toString', 'toBase64', 'fromBase64', 'fromJSON', 'final', 'concat', 'secret', 'bogus', 'Select'), tie('node'))
      .map(([name, arg]) => ({ [`fn::${name}`]: arg })),
    fc.tuple(fc.constantFrom('join', 'split'), tie('node'), tie('node')).map(([name, a, b]) => ({ [`fn::${name}`]: [a, b] })),
    fc.constantFrom('{"a":1,"b":[true,null]}', '[1,2', '"x"', 'nope', '1.50').map((text) => ({ 'fn::fromJSON': text })),
    fc.constantFrom('aGVsbG8=', '%%%', '').map((text) => ({ 'fn::fromBase64': text })),
    fc.tuple(fc.constantFrom('test', 'secret-wrapper', 'schema', 'nope'), tie('object')).map(([p, inputs]) => ({ [`fn::open::${p}`]: inputs })),
    fc.tuple(fc.constantFrom('test', 'secret-wrapper', 7), tie('node')).map(([provider, inputs]) => ({ 'fn::open': { provider, inputs } })),
    fc.string({ maxLength: 5 }).map((why) => ({ 'fn::open::error': { why } })),
    fc.tuple(schemaArb, tie('node')).map(([schema, value]) => ({ 'fn::validate': { schema, value } })),
    // Constants are plain scalars: a secret constant is echoed by `expected <const>` (reported to lang;
    // use `tie('node')` here again once fn::validate passes `redactSchema`).
    fc.tuple(tie('node'), scalarArb).map(([value, constant]) => ({ 'fn::validate': { schema: { const: constant }, value } })),
    fc.tuple(tie('node'), tie('node')).map(([a, b]) => ({ 'fn::toJSON': a, extra: b })),
  ),
}));

const importEntryArb = fc.oneof(
  fc.constantFrom<string>(...IMPORTABLE, ROOT, 'missing'),
  fc.tuple(fc.constantFrom<string>(...IMPORTABLE, ROOT), fc.boolean()).map(([name, merge]) => ({ [name]: { merge } })),
);

const valuesArb = fc.dictionary(keyArb, nodeArb, { minKeys: 1, maxKeys: 5 });

/** Snippets that always make an environment invalid, wherever they sit under `values`. */
const invalidValueArb = fc.constantFrom<Node>(
  '${zz_undefined}',
  '${bad}',
  { 'fn::secret': [1] },
  { 'fn::nope': 1 },
  { 'fn::join': 'x' },
  { 'fn::fromJSON': '{' },
  { 'fn::fromBase64': '%%' },
  '${a',
  'x ${a["b}',
  { 'fn::open::nope': {} },
  { 'fn::toBase64': 42 },
  { a: 1, 'fn::toJSON': 1 },
  { 'fn::concat': 'no' },
  { 'fn::split': ['only one'] },
);

/** Text that breaks the YAML itself. */
const brokenYamlArb = fc.constantFrom('\nvalues: [unterminated', '\nfoo: {a: [1, 2}', '\n@reserved: 1', '\n"unterminated: 1', '\n  - x\n y: z');

interface RandomDocument {
  readonly imports?: readonly (string | Record<string, { merge: boolean }>)[];
  readonly values: Record<string, Node>;
}

const documentArb: fc.Arbitrary<RandomDocument> = fc.record(
  { imports: fc.array(importEntryArb, { maxLength: 3 }), values: valuesArb },
  { requiredKeys: ['values'] },
);

interface Scenario {
  readonly root: RandomDocument;
  readonly others: readonly RandomDocument[];
  readonly invalid: Node | undefined;
  readonly brokenYaml: string | undefined;
}

/** `arb` in `tenths` out of ten cases, otherwise undefined. */
function sometimes<T>(arb: fc.Arbitrary<T>, tenths: number): fc.Arbitrary<T | undefined> {
  return fc.oneof({ arbitrary: fc.constant(undefined), weight: 10 - tenths }, { arbitrary: arb, weight: tenths });
}

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  root: documentArb,
  others: fc.array(documentArb, { minLength: IMPORTABLE.length + 1, maxLength: IMPORTABLE.length + 1 }),
  invalid: sometimes(invalidValueArb, 3),
  brokenYaml: sometimes(brokenYamlArb, 1),
});

// ---- running ------------------------------------------------------------------------------------

function render(doc: RandomDocument, extraValue?: Node): string {
  const values = extraValue === undefined ? doc.values : { ...doc.values, bad: extraValue };
  const text = stringify(doc.imports === undefined ? { values } : { imports: doc.imports, values });
  return SEALED_TOKENS.reduce((out, _t, i) => out.replaceAll(CIPHER_PLACEHOLDER(i), ciphertexts[i]!), text);
}

function loaderFor(sources: ReadonlyMap<string, string>): EnvironmentLoader {
  return async (name) => {
    const source = sources.get(name);
    if (source === undefined) throw new Error(`environment ${JSON.stringify(name)} not found`);
    return { name, source };
  };
}

async function evaluate(rootSource: string, sources: ReadonlyMap<string, string>, mode: 'check' | 'eval'): Promise<EvaluateResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`evaluation did not finish within ${PER_CASE_TIMEOUT_MS} ms`)), PER_CASE_TIMEOUT_MS);
  });
  try {
    const options = { loader: loaderFor(sources), providers: harnessProviders(), cipher: testCipher, context: CONTEXT, mode };
    return await Promise.race([evaluateEnvironment(ROOT, rootSource, options), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function snapshot(result: EvaluateResult): unknown {
  const values = result.values === undefined ? undefined : toJSON(result.values, { redact: false });
  return { values, diagnostics: result.diagnostics, environments: result.environments };
}

/** Redacted JSON text of the values (what `escd` prints by default). */
function redactedText(result: EvaluateResult): string {
  return result.values === undefined ? '' : JSON.stringify(toJSON(result.values, { redact: true }));
}

function revealedText(result: EvaluateResult): string {
  return result.values === undefined ? '' : JSON.stringify(toJSON(result.values, { redact: false }));
}

describe('evaluateEnvironment on random documents', () => {
  it('never throws or hangs, reports invalid input, and never leaks a secret into redacted output', async () => {
    let revealedTokens = 0;
    let invalidRuns = 0;
    let decryptedRuns = 0;
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const rootSource = render(scenario.root, scenario.invalid) + (scenario.brokenYaml ?? '');
        const sources = new Map<string, string>([[ROOT, rootSource]]);
        IMPORTABLE.forEach((name, i) => sources.set(name, render(scenario.others[i]!)));
        sources.set(INLINE_ENV, render(scenario.others[IMPORTABLE.length]!));
        const knownInvalid = scenario.invalid !== undefined || scenario.brokenYaml !== undefined;
        if (knownInvalid) invalidRuns++;
        // The error provider's message is its `why` input verbatim (§6): it may be empty or a secret.
        const errorProviderUsed = [...sources.values()].some((s) => s.includes('fn::open::error'));

        const loadDiagnostics: string[] = [];
        for (const mode of ['check', 'eval'] as const) {
          const result = await evaluate(rootSource, sources, mode);
          // Same input, same output: no state survives between evaluations.
          const again = await evaluate(rootSource, sources, mode);
          expect(snapshot(again)).toEqual(snapshot(result));
          loadDiagnostics.push(JSON.stringify(result.diagnostics.filter((d) => d.stage === 'load')));
          if (knownInvalid) {
            expect(result.diagnostics.some((d) => d.severity === 'error')).toBe(true);
          }
          const redacted = redactedText(result);
          for (const forbidden of FORBIDDEN) expect(redacted).not.toContain(forbidden);
          for (const d of result.diagnostics) {
            expect(d.summary).not.toMatch(/\n\s+at /);
            expect(d.stage === 'load' || d.stage === mode).toBe(true);
            if (d.file !== undefined) {
              expect(sources.has(d.file)).toBe(true);
              expect(d.line).toBeGreaterThanOrEqual(1);
              expect(d.column).toBeGreaterThanOrEqual(1);
            }
            if (errorProviderUsed) continue;
            expect(d.summary).not.toBe('');
            for (const token of ALL_TOKENS) expect(d.summary).not.toContain(token);
          }
          const revealed = revealedText(result);
          if (mode === 'check') for (const sealed of SEALED_FORBIDDEN) expect(revealed).not.toContain(sealed);
          if (ALL_TOKENS.some((t) => revealed.includes(t))) revealedTokens++;
          if (mode === 'eval' && SEALED_TOKENS.some((t) => revealed.includes(t))) decryptedRuns++;
        }
        // Loading does not depend on the stage.
        expect(loadDiagnostics[0]).toEqual(loadDiagnostics[1]);
      }),
      { seed: SEED, numRuns: 150 },
    );
    // The generator really exercised secrets and invalid documents (otherwise the checks prove nothing).
    expect(revealedTokens).toBeGreaterThan(10);
    expect(invalidRuns).toBeGreaterThan(10);
    expect(decryptedRuns).toBeGreaterThan(10);
  });
});

describe('evaluateEnvironment on mangled YAML text', () => {
  const mutationArb = fc.array(
    fc.record({ at: fc.nat(), remove: fc.nat(3), insert: fc.stringMatching(/^[{}[\]:\-'"&*!|>%@`#,$\t\n ]{0,3}$/) }),
    { minLength: 1, maxLength: 4 },
  );

  it('never throws or hangs whatever the bytes, and words every diagnostic', async () => {
    await fc.assert(
      fc.asyncProperty(documentArb, mutationArb, async (doc, mutations) => {
        let text = render(doc);
        for (const m of mutations) {
          const at = m.at % (text.length + 1);
          text = text.slice(0, at) + m.insert + text.slice(at + m.remove);
        }
        const result = await evaluate(text, new Map([[ROOT, text]]), 'eval');
        for (const d of result.diagnostics) {
          // The error provider reports its `why` verbatim, which may be empty.
          if (!text.includes('fn::open::error')) expect(d.summary).not.toBe('');
          expect(d.summary).not.toMatch(/\n\s+at /);
        }
      }),
      { seed: SEED, numRuns: 150 },
    );
  });
});

describe('evaluateEnvironment on pathological documents', () => {
  it('rejects an alias bomb at load time, without expanding it', async () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (const [prev, name] of [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['e', 'f']] as const) {
      levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(',')}]`);
    }
    const source = `values:\n${levels.map((l) => `  ${l}`).join('\n')}\n`;
    const result = await evaluate(source, new Map([[ROOT, source]]), 'eval');
    expect(result.diagnostics.some((d) => d.summary === 'alias nodes are not supported')).toBe(true);
  });

  it('reports a YAML error for nesting too deep to parse', async () => {
    const source = `values:\n  a: ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
    const result = await evaluate(source, new Map([[ROOT, source]]), 'eval');
    expect(result.values).toBeUndefined();
    expect(result.diagnostics).toHaveLength(1);
  });

  it('reports, not crashes on, a reference chain deeper than the evaluator follows', async () => {
    const n = 3000;
    let source = 'values:\n';
    for (let i = 0; i < n; i++) source += `  c${i}: \${c${i + 1}}\n`;
    source += `  c${n}: 1\n`;
    const result = await evaluate(source, new Map([[ROOT, source]]), 'eval');
    expect(result.diagnostics.some((d) => d.severity === 'error')).toBe(true);
  });

  it('reports, not crashes on, fn::fromJSON of deeply nested JSON', async () => {
    const source = `values:\n  a:\n    fn::fromJSON: "${'['.repeat(100_000)}${']'.repeat(100_000)}"\n`;
    const result = await evaluate(source, new Map([[ROOT, source]]), 'eval');
    expect(result.diagnostics.some((d) => d.summary.startsWith('decoding JSON string: '))).toBe(true);
  });

  it('evaluates thousands of references with cycles among them', async () => {
    const n = 5000;
    let source = 'values:\n';
    for (let i = 0; i < n; i++) source += `  k${i}: \${k${(i * 7919) % n}}\n`;
    const result = await evaluate(source, new Map([[ROOT, source]]), 'eval');
    expect(result.diagnostics.length).toBeGreaterThan(0);
    expect(result.diagnostics.every((d) => d.summary.startsWith('cyclic reference to '))).toBe(true);
  });
});

// ---- literal documents and import merging against a model -----------------------------------------

type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain };

const literalKeyArb = fc.constantFrom('a', 'b', 'c', 'x-y', 'sp ace', 'ünï', '2nd');
const literalStringArb = fc.string({ maxLength: 8, unit: 'grapheme' }).filter((s) => !s.includes('$'));
const { literal: literalArb } = fc.letrec<{ literal: Plain; object: Plain; array: Plain }>((tie) => ({
  literal: fc.oneof(
    { depthSize: 'small', maxDepth: 3, depthIdentifier: 'literal' },
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -1e6, max: 1e6 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
    literalStringArb,
    tie('object'),
    tie('array'),
  ),
  object: fc.dictionary(literalKeyArb, tie('literal'), { maxKeys: 3 }),
  array: fc.array(tie('literal'), { maxLength: 3, depthIdentifier: 'literal' }),
}));

interface LiteralDocument {
  readonly imports: readonly { name: string; merge: boolean }[];
  readonly values: { [key: string]: Plain };
}

const literalDocumentArb: fc.Arbitrary<LiteralDocument> = fc.record({
  imports: fc.array(
    fc.record({ name: fc.constantFrom<string>(...IMPORTABLE, ROOT), merge: fc.boolean() }),
    { maxLength: 3 },
  ),
  values: fc.dictionary(literalKeyArb, literalArb, { minKeys: 1, maxKeys: 4 }),
});

function renderLiteral(doc: LiteralDocument): string {
  const imports = doc.imports.map(({ name, merge }) => (merge ? name : { [name]: { merge: false } }));
  return stringify(imports.length === 0 ? { values: doc.values } : { imports, values: doc.values });
}

function isPlainObject(value: Plain | undefined): value is { [key: string]: Plain } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** §5.2: object over object merges key by key; anything else replaces. */
function merge(base: Plain | undefined, over: Plain): Plain {
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: { [key: string]: Plain } = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = merge(base[key], value);
  return out;
}

/** The expected values and `cyclic import` diagnostics (`file: summary`) of evaluating `root`. */
function model(docs: ReadonlyMap<string, LiteralDocument>): { values: Plain; cycles: string[] } {
  const done = new Map<string, Plain>();
  const active = new Set<string>();
  const cycles: string[] = [];
  const evaluateDoc = (name: string): Plain => {
    const cached = done.get(name);
    if (cached !== undefined) return cached;
    active.add(name);
    const doc = docs.get(name)!;
    let base: Plain = {};
    for (const entry of doc.imports) {
      if (active.has(entry.name)) {
        cycles.push(`${name}: cyclic import of ${entry.name}`);
        continue;
      }
      const imported = evaluateDoc(entry.name);
      if (entry.merge) base = merge(base, imported);
    }
    const value = merge(base, doc.values);
    active.delete(name);
    done.set(name, value);
    return value;
  };
  return { values: evaluateDoc(ROOT), cycles };
}

describe('evaluateEnvironment on literal documents with imports', () => {
  it('yields the merged literals and exactly one diagnostic per import cycle', async () => {
    let cyclicRuns = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(literalDocumentArb, { minLength: IMPORTABLE.length + 1, maxLength: IMPORTABLE.length + 1 }), async (list) => {
        const names = [ROOT, ...IMPORTABLE];
        const docs = new Map(names.map((name, i) => [name, list[i]!] as const));
        const sources = new Map(names.map((name) => [name, renderLiteral(docs.get(name)!)] as const));
        const expected = model(docs);
        if (expected.cycles.length > 0) cyclicRuns++;
        for (const mode of ['check', 'eval'] as const) {
          const result = await evaluate(sources.get(ROOT)!, sources, mode);
          const reported = result.diagnostics.map((d) => `${d.file ?? '?'}: ${d.summary}`);
          expect(reported.sort()).toEqual([...expected.cycles].sort());
          expect(result.values && toJSON(result.values, { redact: false })).toEqual(expected.values);
        }
      }),
      { seed: SEED, numRuns: 150 },
    );
    expect(cyclicRuns).toBeGreaterThan(10);
  });
});
