import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateEnvironment } from '../../src/esc/evaluate.js';
import type { Provider } from '../../src/esc/provider.js';
import { EscNumber, escValue, toJSON, type EscValue } from '../../src/esc/value.js';
import { testCipher } from '../support/test-cipher.js';
import { harnessProviders } from '../conformance/providers.js';
import { loaderFor, rotate, run } from './support.js';

describe('documents', () => {
  it('evaluates an empty document or one without values/imports to nothing', async () => {
    for (const src of ['', '# just a comment\n', 'description: x\n', 'values: {}\n']) {
      const r = await run(src);
      expect(r.result.values, src).toBeUndefined();
      expect(r.diags, src).toEqual([]);
    }
  });

  it('reports a YAML syntax error alone, with its line, and no values', async () => {
    const r = await run('values:\n  a: [1, 2\n');
    expect(r.result.values).toBeUndefined();
    expect(r.result.diagnostics).toHaveLength(1);
    expect(r.result.diagnostics[0]!.summary).toMatch(/^yaml: line \d+: /);
  });

  it('rejects aliases, reserved keys, top-level builtins and unknown top-level fields', async () => {
    const r = await run('extra: 1\nvalues:\n  a: &x 1\n  b: *x\n  imports: 2\n  fn::secret: 3\n');
    expect(r.diags).toEqual([
      "root:1:1 Field 'extra' does not exist on Object 'environment'. Existing fields are: 'imports', 'values', 'description'",
      'root:4:6 alias nodes are not supported',
      'root:6:3 builtin function call "fn::secret" not allowed at the top level',
      'root:5:3 "imports" is a reserved key',
    ]);
    expect(r.result.diagnostics[0]!.severity).toBe('warning');
  });

  it('keeps the first of duplicate keys under values and warns on duplicate top-level keys (last wins)', async () => {
    const r = await run('values:\n  a: 1\nvalues:\n  a: 2\n  a: 3\n');
    expect(r.revealed).toEqual({ a: 2 });
    expect(r.diags).toEqual(['root:3:1 duplicate key "values"', 'root:5:3 duplicate key "a"']);
  });
});

describe('references and templates', () => {
  it('resolves forward, nested and quoted references with their types', async () => {
    const r = await run('values:\n  a: ${b.c}\n  b:\n    c: [1, {x: true}]\n  "k.y": v\n  t: "${[\\"k.y\\"]}-${b.c[1].x}-${b.c}"\n  e: $${a}\n');
    expect(r.diags).toEqual([]);
    expect(r.revealed).toEqual({ a: [1, { x: true }], b: { c: [1, { x: true }] }, 'k.y': 'v', t: 'v-true-"1","\\"x\\"=\\"true\\""', e: '${a}' });
  });

  it('reports access errors on the accessor, with a suggestion when one is close', async () => {
    const r = await run('values:\n  obj: {hello: 1}\n  s: str\n  l: [1]\n  e1: ${obj.helo}\n  e2: ${s.x}\n  e3: ${l[5]}\n  e4: ${obj[0]}\n  e5: ${l.x}\n');
    expect(r.diags).toEqual([
      'root:5:12 unknown property "helo"; did you mean "hello"?',
      'root:6:10 receiver must be an array or an object',
      'root:7:10 array index 5 out-of-bounds for array of length 1',
      'root:8:12 cannot access an object property using an integer index',
      'root:9:10 cannot access an array element using a property name',
    ]);
    expect(r.revealed).toMatchObject({ e1: '[unknown]', e2: '[unknown]', e3: '[unknown]', e4: '[unknown]', e5: '[unknown]' });
  });

  it('reports one diagnostic per reference cycle and makes its members unknown', async () => {
    const r = await run('values:\n  a: ${b}\n  b: ${c}\n  c: ${a}\n  self: ${self}\n  ok: 1\n');
    expect(r.revealed).toEqual({ a: '[unknown]', b: '[unknown]', c: '[unknown]', self: '[unknown]', ok: 1 });
    expect(r.diags).toEqual(['root:2:6 cyclic reference to a', 'root:5:9 cyclic reference to self']);
  });

  it('spreads unknown silently and secrets to every template using them', async () => {
    const r = await run('values:\n  s: {fn::secret: pw}\n  u: {fn::open::error: {why: boom}}\n  t1: "x ${s}"\n  t2: "x ${u}"\n  o: {k: "${s}"}\n');
    expect(r.redacted).toEqual({ s: '[secret]', u: '[unknown]', t1: '[secret]', t2: '[unknown]', o: { k: '[secret]' } });
    expect(r.diags).toEqual(['root:3:6 boom']);
  });

  it('reads the execution context', async () => {
    const r = await run('values:\n  c: ${context.currentEnvironment.name}/${context.rootEnvironment.name}/${context.pulumi.user.id}\n', {}, {}, 'proj/dev');
    expect(r.revealed).toEqual({ c: 'proj/dev/proj/dev/u1' });
  });
});

describe('imports and merging', () => {
  const files = {
    a: 'values:\n  obj: {x: 1, keep: a}\n  list: [1, 2]\n  scalar: a\n  gone: a\n',
    b: 'imports: [a]\nvalues:\n  obj: {x: 2}\n',
    c: 'values:\n  only: c\n',
  };

  it('merges objects key by key, replaces everything else, and lets null override', async () => {
    const r = await run('imports:\n  - b\n  - c: {merge: false}\nvalues:\n  list: [3]\n  gone: null\n  direct: ${imports.c.only}\n  through: ${obj.keep}\n', files);
    expect(r.diags).toEqual([]);
    expect(r.revealed).toEqual({ obj: { x: 2, keep: 'a' }, list: [3], scalar: 'a', gone: null, direct: 'c', through: 'a' });
  });

  it('merges a referenced object again at its new place without changing the original', async () => {
    const r = await run(
      'imports: [base]\nvalues:\n  some: {foo: baz}\n  other: ${some}\n',
      { base: 'values:\n  some: {bar: 1}\n  other: {extra: 2}\n' },
    );
    expect(r.revealed).toEqual({ some: { foo: 'baz', bar: 1 }, other: { foo: 'baz', bar: 1, extra: 2 } });
  });

  it('keeps final values and warns on the overriding expression', async () => {
    const r = await run('imports: [a]\nvalues:\n  f: mine\n  o:\n    k: mine\n    free: mine\n', {
      a: 'values:\n  f: {fn::final: theirs}\n  o:\n    k: {fn::final: theirs}\n    free: theirs\n',
    });
    expect(r.revealed).toEqual({ f: 'theirs', o: { k: 'theirs', free: 'mine' } });
    expect(r.diags).toEqual(['root:3:6 cannot override final value', 'root:5:8 cannot override final value']);
    expect(r.result.diagnostics.every((d) => d.severity === 'warning')).toBe(true);
  });

  it('evaluates each environment once per evaluation (a diamond opens its provider once)', async () => {
    let opened = 0;
    const counting: Provider = { inputSchema: true, outputSchema: true, open: async () => escValue(new EscNumber(String(++opened))) };
    const providers = new Map([...harnessProviders(), ['count', counting]]);
    const r = await run(
      'imports: [left, right]\nvalues:\n  n: ${imports.left.n}\n',
      { left: 'imports: [shared]\n', right: 'imports: [shared]\n', shared: 'values:\n  n: {fn::open::count: {}}\n' },
      { providers },
    );
    expect(opened).toBe(1);
    expect(r.revealed).toEqual({ n: 1 });
    expect(r.result.environments).toEqual(['root', 'left', 'shared', 'right']);
  });

  it('reports import cycles on the import entry of the importing environment', async () => {
    const r = await run('imports: [a]\n', { a: 'imports: [b]\n', b: 'imports:\n  - a\n' });
    expect(r.diags).toEqual(['b:2:5 cyclic import of a']);
    expect(r.revealed).toEqual({});
  });

  it('reports the loader error verbatim and skips imports with load errors', async () => {
    const r = await run('imports: [missing, bad]\nvalues:\n  x: 1\n', { bad: 'values:\n  fn::open: 1\n  y: 2\n' });
    expect(r.diags).toEqual(['bad:2:3 builtin function call "fn::open" not allowed at the top level', 'root:1:11 environment missing not found']);
    expect(r.revealed).toEqual({ x: 1 });
  });

  it('imports environments.P.E on the fly without merging them', async () => {
    const r = await run('values:\n  x: ${environments.proj.dev.v}\n  short: ${environments.proj}\n', { 'proj/dev': 'values:\n  v: 42\n' });
    expect(r.revealed).toEqual({ x: 42, short: '[unknown]' });
    expect(r.diags).toEqual([]);
  });

  it('gives an anonymous root\'s imports themselves as root', async () => {
    const r = await run('imports: [a]\nvalues:\n  r: ${context.rootEnvironment.name}\n', { a: 'values:\n  ar: ${context.rootEnvironment.name}\n' }, {}, '<yaml>');
    expect(r.revealed).toEqual({ r: '<yaml>', ar: 'a' });
  });
});

describe('providers', () => {
  it('checks inputs against the provider schema and does not call it on failure', async () => {
    const r = await run('values:\n  e:\n    fn::open::error:\n      why: 1\n');
    expect(r.diags).toEqual(['root:4:12 expected string, got number']);
  });

  it('reports an unknown provider and never calls providers in the check stage', async () => {
    const r = await run('values:\n  x: {fn::open::nope: {}}\n  t: {fn::open::test: {a: 1}}\n', {}, { mode: 'check' });
    expect(r.diags).toEqual(['root:2:6 unknown provider "nope"']);
    expect(r.revealed).toEqual({ x: '[unknown]', t: '[unknown]' });
  });

  it('reports the earliest expiry any provider notes', async () => {
    const at = (ms: number): Provider => ({
      inputSchema: true,
      outputSchema: true,
      open: async (_i, ctx) => {
        ctx.noteExpiry(new Date(ms));
        return escValue('x');
      },
    });
    const r = await run('values:\n  a: {fn::open::late: {}}\n  b: {fn::open::early: {}}\n', {}, { providers: new Map([['late', at(2000)], ['early', at(1000)]]) });
    expect(r.result.expiresAt?.getTime()).toBe(1000);
  });
});

describe('rotation', () => {
  it('rotates selected calls of the root and returns sorted patches', async () => {
    const src = 'values:\n  a:\n    fn::rotate::swap:\n      inputs: {}\n      state: {a: x, b: y}\n  b:\n    fn::rotate::swap:\n      inputs: {}\n      state: {a: x, b: y}\n';
    const all = await rotate(src);
    expect(all.json).toEqual({ a: { a: 'y', b: 'x' }, b: { a: 'y', b: 'x' } });
    expect(all.patches.map((p) => p.docPath)).toEqual(['values.a["fn::rotate::swap"].state', 'values.b["fn::rotate::swap"].state']);
    const one = await rotate(src, ['b']);
    expect(one.json).toEqual({ a: { a: 'x', b: 'y' }, b: { a: 'y', b: 'x' } });
    expect(one.patches).toHaveLength(1);
  });

  it('reports an unknown rotator', async () => {
    const r = await run('values:\n  a:\n    fn::rotate::nope:\n      inputs: {}\n');
    expect(r.diags).toEqual(['root:3:5 unknown rotator "nope"']);
  });
});

describe('robustness', () => {
  it('never rejects for arbitrary YAML-ish input', async () => {
    const pieces = ['values:', 'imports:', '  - a', '  a: ${b}', '  b: ${a.', '  c: {fn::join: [1]}', '  d: [', '  "${', '  e: {fn::open::test: ${x}}', '  f: &x 1', '  g: *x', 'fn::x: 1', '  - {a: 1, b: 2}', '\t', ': :'];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string()), { maxLength: 12 }), async (lines) => {
        const source = lines.join('\n');
        const result = await evaluateEnvironment('root', source, {
          loader: loaderFor({ a: source }),
          providers: harnessProviders(),
          cipher: testCipher,
          context: {},
          mode: 'eval',
        });
        expect(Array.isArray(result.diagnostics)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('provider concurrency', () => {
  it('opens independent providers concurrently and each exactly once', async () => {
    const started = new Set<string>();
    let calls = 0;
    let release!: () => void;
    const bothStarted = new Promise<void>((resolve) => (release = resolve));
    const gate: Provider = {
      inputSchema: true,
      outputSchema: true,
      open: async (inputs) => {
        calls++;
        const name = inputs.data instanceof Map ? String(inputs.data.get('n')?.data) : '';
        started.add(name);
        if (started.size === 2) release();
        // Sequential opening would never see the second call start: give up after a while.
        const outcome = await Promise.race([bothStarted.then(() => 'together'), new Promise((r) => setTimeout(() => r('alone'), 2000))]);
        return escValue(String(outcome));
      },
    };
    const r = await run(
      'values:\n  a: {fn::open::gate: {n: a}}\n  b: {fn::open::gate: {n: b}}\n  c: {fn::open::test: {from: "${a}"}}\n',
      {},
      { providers: new Map([...harnessProviders(), ['gate', gate]]) },
    );
    expect(r.revealed).toEqual({ a: 'together', b: 'together', c: { from: 'together' } });
    expect(calls).toBe(2);
  });
});

describe('limits', () => {
  it('reports over-long reference chains instead of exhausting the stack', async () => {
    let src = 'values:\n';
    for (let i = 0; i < 3000; i++) src += `  k${i}: \${k${i + 1}}\n`;
    src += '  k3000: end\n';
    const r = await run(src);
    expect(r.result.diagnostics.map((d) => d.summary)).toContain('expressions are nested too deeply (more than 400 levels)');
  });

  it('reports deeply nested YAML and JSON as errors', async () => {
    const yaml = await run(`values:\n  a: ${'['.repeat(5000)}${']'.repeat(5000)}\n`);
    expect(yaml.result.diagnostics.map((d) => d.summary)).toEqual([expect.stringMatching(/^yaml: line \d+: /)]);
    const json = await run(`values:\n  a: {fn::fromJSON: "${'['.repeat(5000)}"}\n`);
    expect(json.diags).toEqual(['root:2:6 decoding JSON string: exceeded max depth']);
  });
});

describe('final values imported twice', () => {
  it('does not warn when the same environment is imported twice', async () => {
    const r = await run('imports: [a, a]\n', { a: 'values:\n  f: {fn::final: x}\n' });
    expect(r.diags).toEqual([]);
    expect(r.revealed).toEqual({ f: 'x' });
  });
});

describe('misbehaving providers', () => {
  it('turns a synchronous throw or a malformed answer into a diagnostic', async () => {
    const throwing = { inputSchema: true, outputSchema: true, open: (): Promise<never> => { throw new Error('sync boom'); } } as Provider;
    const garbage = { inputSchema: true, outputSchema: true, open: async () => ({ nope: 1 }) } as unknown as Provider;
    const r = await run('values:\n  a: {fn::open::throwing: {}}\n  b: {fn::open::garbage: {}}\n', {}, {
      providers: new Map([['throwing', throwing], ['garbage', garbage]]),
    });
    expect(r.revealed).toEqual({ a: '[unknown]', b: '[unknown]' });
    expect(r.diags).toEqual(['root:2:6 sync boom', 'root:3:6 provider "garbage" returned a malformed value']);
  });

  it('never lets a provider quote a secret input in its error', async () => {
    // aws-login does this: `oidc.roleArn: "<the value>" is not an IAM role ARN`.
    const quoting = {
      inputSchema: true,
      outputSchema: true,
      open: async (inputs: EscValue) => {
        throw new Error(`bad input ${JSON.stringify(toJSON(inputs, { redact: false }))}`);
      },
    } as unknown as Provider;
    const r = await run('values:\n  pw: {fn::secret: hunter2-secret}\n  n: {fn::secret: "12345"}\n  a: {fn::open::quoting: {arn: "${pw}", nested: ["x-${pw}-y", "${n}"], plain: visible}}\n', {}, {
      providers: new Map([['quoting', quoting]]),
    });
    expect(r.diags).toHaveLength(1);
    expect(r.diags[0]).not.toContain('hunter2');
    expect(r.diags[0]).not.toContain('12345');
    expect(r.diags[0]).toBe('root:4:6 bad input {"arn":"[secret]","nested":["[secret]","[secret]"],"plain":"visible"}');
  });

  it('leaves no fragment of two secret inputs that overlap in the message', async () => {
    const gluing = {
      inputSchema: true,
      outputSchema: true,
      open: async (inputs: EscValue) => {
        const { a, b } = toJSON(inputs, { redact: false }) as { a: string; b: string };
        throw new Error(`cannot use ${a.slice(0, 4)}${b}`); // "abcd" + "1234efgh": holds a = "abcd1234" and b
      },
    } as unknown as Provider;
    const r = await run('values:\n  x:\n    fn::open::gluing: {a: {fn::secret: abcd1234}, b: {fn::secret: 1234efgh}}\n', {}, {
      providers: new Map([['gluing', gluing]]),
    });
    expect(r.diags).toEqual(['root:3:5 cannot use [secret]']);
  });
});

describe('fn::validate', () => {
  it('reports violations and keeps the value', async () => {
    const r = await run('values:\n  v:\n    fn::validate:\n      schema: {type: object, required: [a, b]}\n      value: {a: 1}\n');
    expect(r.revealed).toEqual({ v: { a: 1 } });
    expect(r.diags).toEqual(['root:5:14 missing required properties: b']);
  });

  it('survives a self-referencing schema', async () => {
    const r = await run('values:\n  v:\n    fn::validate:\n      schema: {$ref: "#", type: object}\n      value: {}\n');
    expect(r.result.values).toBeDefined();
  });
});

describe('fn::validate argument errors', () => {
  it('reports them at load and still returns a value that has no schema', async () => {
    const r = await run('values:\n  a:\n    fn::validate:\n      value: test\n  b:\n    fn::validate:\n      schema: {type: string}\n  c:\n    fn::validate: x\n');
    expect(r.revealed).toEqual({ a: 'test', b: '[unknown]', c: '[unknown]' });
    expect(r.result.diagnostics.map((d) => `${d.stage} ${d.line}:${d.column} ${d.path} ${d.summary}`)).toEqual([
      `load 4:7 values.a["fn::validate"] missing required property 'schema'`,
      `load 7:7 values.b["fn::validate"] missing required property 'value'`,
      `load 9:19 values.c["fn::validate"] the argument to fn::validate must be an object containing 'schema' and 'value'`,
    ]);
  });
});

describe('a parsed document evaluated again', () => {
  // Evaluations of one cached document share each node's site and each literal's value (evaluator.ts
  // NodeMemo): they must still name the environment they evaluate, and give equal results each time.
  it('names the environment it is evaluated as, as the root or as an import', async () => {
    const shared = 'values:\n  a: 1\n  b: ${a}-x\n  c: ${nope}\n  d:\n    - e: ${a}\n';
    const asA = await run(shared, {}, {}, 'envA');
    const asB = await run(shared, {}, {}, 'envB');
    const imported = await run('imports:\n  - lib\nvalues:\n  z: ${b}\n', { lib: shared });
    const again = await run(shared, {}, {}, 'envA');
    expect(asA.diags).toEqual(['envA:4:8 unknown property "nope"']);
    expect(asB.diags).toEqual(['envB:4:8 unknown property "nope"']);
    expect(imported.diags).toEqual(['lib:4:8 unknown property "nope"']);
    expect(again.diags).toEqual(asA.diags);
    expect(asA.revealed).toEqual({ a: 1, b: '1-x', c: '[unknown]', d: [{ e: 1 }] });
    expect(again.revealed).toEqual(asA.revealed);
    expect(imported.revealed).toMatchObject({ a: 1, b: '1-x', z: '1-x' });
  });

  it('traces its values to the environment it is evaluated as', async () => {
    const shared = 'values:\n  a: 1\n  b: ${a}\n';
    const traced = async (name: string) => (await run(shared, {}, { traces: true }, name)).result.values!;
    const environments = (v: EscValue): string[] => [...(v.data as Map<string, EscValue>).values()].map((item) => item.trace!.def.environment!);
    expect(environments(await traced('one'))).toEqual(['one', 'one']);
    expect(environments(await traced('two'))).toEqual(['two', 'two']);
  });
});

describe('imports the scout pass finished (SharedPasses.settled)', () => {
  // The final pass takes the scout's imports that were evaluated before any provider call was
  // deferred; one that read a deferred call's output must be evaluated again.
  it('gives an import that read an earlier import’s provider output that output, not unknown', async () => {
    const r = await run('imports:\n  - a\n  - x\nvalues:\n  r: ${fromA}\n', {
      a: 'values:\n  o: {fn::open::test: {v: opened}}\n',
      x: 'imports:\n  - a\nvalues:\n  fromA: ${o.v}-seen\n',
    });
    expect(r.diags).toEqual([]);
    expect(r.revealed).toEqual({ o: { v: 'opened' }, fromA: 'opened-seen', r: 'opened-seen' });
    expect(r.result.environments).toEqual(['root', 'a', 'x']);
  });

  it('keeps the diagnostics, load order and secrets of imports taken from the scout, once each', async () => {
    const files = {
      a: 'imports:\n  - b\nvalues:\n  s: {fn::secret: pw}\n  bad: ${nope}\n',
      b: 'values:\n  t: ${missing}\n',
      c: 'imports:\n  - b\n  - gone\n',
    };
    const r = await run('imports:\n  - a\n  - c\nvalues:\n  o:\n    fn::open::test:\n      v: ${s}\n', files);
    expect(r.diags).toEqual([
      'a:5:10 unknown property "nope"',
      'b:2:8 unknown property "missing"',
      'c:3:5 environment gone not found',
    ]);
    expect(r.revealed).toMatchObject({ s: 'pw', o: { v: 'pw' } });
    expect(r.result.environments).toEqual(['root', 'a', 'b', 'c']);
  });
});

describe('constant references and interpolations (ObjectMemo.folded)', () => {
  // `${a}-y` over plain literals is made once per document; it must follow what can change its value
  // between evaluations of the same text: an import merged under it, and the evaluation's limits.
  it('is evaluated again once an import is merged under the environment', async () => {
    const root = 'imports:\n  - lib\nvalues:\n  a: x\n  b: ${a}-y\n';
    const without = await run(root, {});
    expect(without.revealed).toEqual({ a: 'x', b: 'x-y' });
    const withFinal = await run(root, { lib: 'values:\n  a:\n    fn::final: z\n' });
    expect(withFinal.revealed).toEqual({ a: 'z', b: 'z-y' });
    expect(withFinal.diags).toEqual(['root:4:6 cannot override final value']);
  });

  it('is held to the limits of each evaluation', async () => {
    const root = 'values:\n  a: xxxxxxxxxx\n  b: ${a}${a}\n';
    expect((await run(root)).revealed).toEqual({ a: 'xxxxxxxxxx', b: 'xxxxxxxxxxxxxxxxxxxx' });
    const small = await run(root, {}, { limits: { valueBytes: 15 } });
    expect(small.revealed).toEqual({ a: 'xxxxxxxxxx', b: '[unknown]' });
    expect(small.diags).toHaveLength(1);
    expect(small.diags[0]).toMatch(/^root:3:6 this value expands to more than/);
  });
});

describe('an environment of constants (ObjectMemo.constant)', () => {
  // Its exported map is made once per document and shared by the results, which are read-only; any
  // value that is not one of the document's constants gives a map of its own.
  const data = (r: Awaited<ReturnType<typeof run>>): unknown => r.result.values!.data;

  it('gives each evaluation the same map, with the same values', async () => {
    const root = 'values:\n  a: x\n  b: ${a}-y\n  n: 3\n';
    const first = await run(root);
    const second = await run(root);
    expect(second.revealed).toEqual({ a: 'x', b: 'x-y', n: 3 });
    expect(data(second)).toBe(data(first));
  });

  it('makes a new map when a value is not a constant, or its limits make one unknown', async () => {
    const opened = 'values:\n  a: x\n  o:\n    fn::open::test:\n      v: ${a}\n';
    const one = await run(opened);
    const two = await run(opened);
    expect(two.revealed).toEqual({ a: 'x', o: { v: 'x' } });
    expect(data(two)).not.toBe(data(one));

    const root = 'values:\n  a: xxxxxxxxxx\n  b: ${a}${a}\n';
    const constant = await run(root);
    const limited = await run(root, {}, { limits: { valueBytes: 15 } });
    expect(limited.revealed).toEqual({ a: 'xxxxxxxxxx', b: '[unknown]' });
    expect(data(limited)).not.toBe(data(constant));
    // …and the shared map is still the constants' own.
    expect((await run(root)).revealed).toEqual({ a: 'xxxxxxxxxx', b: 'xxxxxxxxxxxxxxxxxxxx' });
  });

  it('holds the shared map to the limits of each evaluation (its size is measured once)', async () => {
    const root = 'values:\n  a: x\n  b: ${a}-y\n  n: 3\n';
    expect((await run(root)).diags).toEqual([]);
    const small = await run(root, {}, { limits: { values: 3 } });
    expect(small.diags).toEqual(['-:- this value expands to more than 3 values (evaluation limit)']);
    expect(small.revealed).toBe('[unknown]');
    expect((await run(root, {}, { limits: { values: 4 } })).diags).toEqual([]);
  });
});

describe('an environment of constants over its imports', () => {
  // With imports merged under it, its constants are folded while no import holds what they refer to,
  // and the exported map (imported entries first, then its own) is shared while the imported entries
  // are the very values of the last evaluation; a changed import or an override gives a map of its own.
  const data = (r: Awaited<ReturnType<typeof run>>): ReadonlyMap<string, EscValue> => r.result.values!.data as ReadonlyMap<string, EscValue>;
  const root = 'imports:\n  - lib\nvalues:\n  a: x\n  b: ${a}-y\n  c: ${o.p}\n  o:\n    p: q\n';

  it('gives each evaluation the same map, the imported entries first', async () => {
    // Scalars only: an object's value is made in each evaluation.
    const flat = 'imports:\n  - lib\nvalues:\n  a: x\n  b: ${a}-y\n';
    const files = { lib: 'values:\n  z: 1\n  m: ${z}\n' };
    const first = await run(flat, files);
    const second = await run(flat, files);
    expect(second.diags).toEqual([]);
    expect([...data(second).keys()]).toEqual(['m', 'z', 'a', 'b']);
    expect(second.revealed).toEqual({ m: 1, z: 1, a: 'x', b: 'x-y' });
    expect(data(second)).toBe(data(first));
  });

  it('follows a changed import: its values, its finals under a reference, its overrides', async () => {
    const before = await run(root, { lib: 'values:\n  z: 1\n' });
    const changed = await run(root, { lib: 'values:\n  z: 2\n' });
    expect(changed.revealed).toEqual({ z: 2, a: 'x', b: 'x-y', c: 'q', o: { p: 'q' } });
    expect(data(changed)).not.toBe(data(before));

    const finals = await run(root, { lib: 'values:\n  o:\n    p:\n      fn::final: w\n  a:\n    fn::final: v\n' });
    expect(finals.revealed).toEqual({ a: 'v', b: 'v-y', c: 'w', o: { p: 'w' } });
    expect(finals.diags).toEqual(['root:4:6 cannot override final value', 'root:8:8 cannot override final value']);
    // An overridden imported key keeps its place in the map.
    const overridden = await run(root, { lib: 'values:\n  z: 1\n  o:\n    r: 1\n' });
    expect([...data(overridden).keys()]).toEqual(['o', 'z', 'a', 'b', 'c']);
    expect(overridden.revealed).toEqual({ o: { r: 1, p: 'q' }, z: 1, a: 'x', b: 'x-y', c: 'q' });

    const again = await run(root, { lib: 'values:\n  z: 1\n' });
    expect(again.revealed).toEqual(before.revealed);
    expect(again.diags).toEqual([]);
  });

  it('makes a map of its own each time an import gives new values (secrets, provider outputs)', async () => {
    const files = { lib: 'values:\n  o:\n    fn::open::test:\n      v: ${z}\n  z: {fn::secret: pw}\n' };
    const one = await run(root, files);
    const two = await run(root, files);
    expect(two.revealed).toEqual({ o: { v: 'pw', p: 'q' }, z: 'pw', a: 'x', b: 'x-y', c: 'q' });
    expect(two.redacted).toMatchObject({ z: '[secret]' });
    expect(data(two)).not.toBe(data(one));
  });
});

describe('a nested object of constants (ObjectMemo.shared)', () => {
  // Its value is made once and shared, so an environment holding it is still made of constants; a
  // shared value is never modified by merging it with (or under) another.
  const data = (r: Awaited<ReturnType<typeof run>>): ReadonlyMap<string, EscValue> => r.result.values!.data as ReadonlyMap<string, EscValue>;

  it('keeps an environment holding it a constant, and anything else in it makes its own', async () => {
    const root = 'values:\n  a: x\n  o:\n    p: ${a}-y\n    i:\n      q: 1\n';
    const first = await run(root);
    const second = await run(root);
    expect(second.revealed).toEqual({ a: 'x', o: { p: 'x-y', i: { q: 1 } } });
    expect(data(second)).toBe(data(first));

    const opened = 'values:\n  o:\n    p: 1\n    v:\n      fn::open::test:\n        v: 2\n';
    const one = await run(opened);
    const two = await run(opened);
    expect(two.revealed).toEqual({ o: { p: 1, v: { v: 2 } } });
    expect(data(two)).not.toBe(data(one));
  });

  it('is merged without being modified, under or over another', async () => {
    const files = { a: 'values:\n  o:\n    p: 1\n', b: 'values:\n  o:\n    q: 2\n', c: 'values:\n  o:\n    r: 3\n' };
    for (let i = 0; i < 2; i++) {
      const r = await run('imports:\n  - a\n  - b\n  - c\nvalues:\n  o:\n    s: 4\n', files);
      expect(r.revealed).toEqual({ o: { p: 1, q: 2, r: 3, s: 4 } });
      expect(r.diags).toEqual([]);
    }
    expect((await run(files.a, files)).revealed).toEqual({ o: { p: 1 } });
    expect((await run('imports:\n  - a\n', files)).revealed).toEqual({ o: { p: 1 } });
    expect((await run('imports:\n  - b\n  - a\n', files)).revealed).toEqual({ o: { p: 1, q: 2 } });
    expect((await run(files.b, files)).revealed).toEqual({ o: { q: 2 } });
  });

  it('an array of constants too, merged like any value', async () => {
    const root = 'values:\n  l: [1, {p: 2}, [3]]\n';
    const first = await run(root);
    const second = await run(root);
    expect(second.revealed).toEqual({ l: [1, { p: 2 }, [3]] });
    expect(data(second)).toBe(data(first));
    const referring = 'values:\n  a: 1\n  l: [1, "${a}"]\n';
    const one = await run(referring);
    const two = await run(referring);
    expect(two.revealed).toEqual({ a: 1, l: [1, 1] });
    expect(data(two)).not.toBe(data(one));

    const over = 'imports:\n  - lib\nvalues:\n  l: [1]\n';
    expect((await run(over, { lib: 'values:\n  l: [2]\n' })).revealed).toEqual({ l: [1] });
    const final = await run(over, { lib: 'values:\n  l:\n    fn::final: [2]\n' });
    expect(final.revealed).toEqual({ l: [2] });
    expect(final.diags).toEqual(['root:4:6 cannot override final value']);
    expect((await run(over, { lib: 'values:\n  z: 1\n' })).revealed).toEqual({ z: 1, l: [1] });
  });

  it('is held to the limits of each evaluation', async () => {
    const root = 'values:\n  o:\n    p: 1\n    q: 2\n';
    expect((await run(root)).diags).toEqual([]);
    const small = await run(root, {}, { limits: { values: 2 } });
    expect(small.diags).toEqual(['root:3:5 this value expands to more than 2 values (evaluation limit)']);
    expect(small.revealed).toEqual({ o: '[unknown]' });
    expect((await run(root)).revealed).toEqual({ o: { p: 1, q: 2 } });
  });
});
