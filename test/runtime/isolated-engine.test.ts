// The daemon's worker-thread evaluation engine (src/runtime/isolated-engine.ts): the same results as
// evaluating in this thread, and a hostile evaluation that exhausts the worker's heap or its time ends
// as a diagnostic for that environment only — the others in flight run again and succeed.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Provider, ProviderRegistry } from '../../src/esc/provider.js';
import type { EvaluateOptions } from '../../src/esc/types.js';
import { escValue, toJSON } from '../../src/esc/value.js';
import { inlineEngine } from '../../src/runtime/engine.js';
import { isolatedEngine } from '../../src/runtime/isolated-engine.js';
import { assertBuilt } from '../support/cli.js';
import { expandingEnvironment } from '../support/hostile.js';
import { testCipher } from '../support/test-cipher.js';
import { sealSecret } from '../../src/secrets/envelope.js';
import { listCases, runAndCompare } from '../conformance/harness.js';
import { corpusDir } from '../conformance/run.js';

assertBuilt();
const engine = isolatedEngine({ heapMb: 64, graceMs: 0 });
afterAll(() => engine.close?.());

/** A promise with its resolve, to hold a provider call open until the test says so. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => {};
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

function options(providers: ProviderRegistry, extra: Partial<EvaluateOptions> = {}): EvaluateOptions {
  return {
    loader: async (name) => {
      if (name === 'base') return { name, source: 'values:\n  fromBase: imported\n' };
      throw new Error(`no environment ${name}`);
    },
    providers,
    cipher: testCipher,
    context: { pulumi: { user: { login: 'me' } } },
    mode: 'eval',
    ...extra,
  };
}

const casesDir = join(corpusDir([]), 'cases');

describe('the isolated evaluation engine', () => {
  it.skipIf(!existsSync(casesDir))('gives every conformance case the same outcome as evaluating in this thread', async () => {
    const cases = listCases(casesDir);
    expect(cases.length).toBeGreaterThan(0);
    for (const name of cases) {
      const [inline, isolated] = await Promise.all([runAndCompare(casesDir, name, true), runAndCompare(casesDir, name, true, engine)]);
      expect({ name, differences: isolated.differences }).toEqual({ name, differences: inline.differences });
    }
  }, 120_000);

  it("serves imports, secrets, a provider's own input checks and its expiry from this thread", async () => {
    const expiry = new Date('2030-01-02T03:04:05Z');
    const creds: Provider = {
      inputSchema: true,
      outputSchema: true,
      validate: (inputs) => (inputs.data instanceof Map && inputs.data.has('bad') ? [{ path: ['bad'], message: 'bad is not allowed' }] : []),
      open: async (inputs, context) => {
        context.noteExpiry(expiry);
        const role = inputs.data instanceof Map ? inputs.data.get('role')?.data : undefined;
        return escValue(new Map([['who', escValue(`${context.currentEnvironment}:${String(role)}`)], ['key', escValue('AKIA', { secret: true })]]));
      },
    };
    const sealed = await sealSecret(testCipher, 's3cret');
    const source = [
      'imports: [base]',
      'values:',
      '  creds: {fn::open::creds: {role: r}}',
      '  broken: {fn::open::creds: {bad: 1}}',
      `  hidden: {fn::secret: {ciphertext: ${sealed}}}`,
      '',
    ].join('\n');
    const result = await engine.evaluate('app', source, options(new Map([['creds', creds]])));
    expect(result.expiresAt).toEqual(expiry);
    expect(result.environments).toEqual(['app', 'base']);
    expect(result.diagnostics.map((d) => `${d.line}: ${d.summary}`)).toEqual(['4: bad is not allowed']);
    expect(toJSON(result.values!, { redact: false })).toMatchObject({ fromBase: 'imported', hidden: 's3cret', creds: { who: 'app:r', key: 'AKIA' } });
    expect(toJSON(result.values!, { redact: true })).toMatchObject({ creds: { key: '[secret]' } });
  });

  it('ends a value explosion past the heap limit with a diagnostic, runs the other evaluation in flight again, and keeps working', async () => {
    const called = gate();
    const release = gate();
    let opens = 0;
    const slow: Provider = {
      inputSchema: true,
      outputSchema: true,
      open: async () => {
        opens++;
        called.open();
        await release.promise;
        return escValue('fine');
      },
    };
    const providers = new Map([['slow', slow]]);
    const innocent = engine.evaluate('innocent', 'values:\n  v: {fn::open::slow: {}}\n', options(providers));
    await called.promise; // in flight in the shared worker
    const unbounded = { limits: { values: Number.MAX_SAFE_INTEGER, valueBytes: Number.MAX_SAFE_INTEGER } };
    const bomb = await engine.evaluate('bomb', expandingEnvironment('array'), options(providers, unbounded));
    release.open();
    expect(bomb.values).toBeUndefined();
    expect(bomb.diagnostics).toEqual([expect.objectContaining({ severity: 'error', file: 'bomb', summary: 'the evaluation ran out of memory (limit 64 MiB)' })]);
    const done = await innocent;
    expect(done.diagnostics).toEqual([]);
    expect(toJSON(done.values!, { redact: false })).toEqual({ v: 'fine' });
    expect(opens).toBe(2);
    const after = await engine.evaluate('after', 'values:\n  a: 1\n', options(new Map()));
    expect(toJSON(after.values!, { redact: false })).toEqual({ a: 1 });
  }, 120_000);

  it('stops an evaluation past its time limit (a provider that never answers) with a diagnostic', async () => {
    const never: Provider = { inputSchema: true, outputSchema: true, open: () => new Promise(() => {}) };
    const result = await engine.evaluate('stuck', 'values:\n  v: {fn::open::never: {}}\n', options(new Map([['never', never]]), { limits: { evaluationMs: 50 } }));
    expect(result.diagnostics).toEqual([expect.objectContaining({ file: 'stuck', summary: 'evaluation took longer than 0.05 s (evaluation limit); stopped' })]);
  });

  it('rejects with the reason when the caller aborts', async () => {
    const called = gate();
    const hang: Provider = { inputSchema: true, outputSchema: true, open: () => (called.open(), new Promise(() => {})) };
    const controller = new AbortController();
    const pending = engine.evaluate('hang', 'values:\n  v: {fn::open::hang: {}}\n', options(new Map([['hang', hang]]), { signal: controller.signal }));
    await called.promise;
    controller.abort(new Error('gave up'));
    await expect(pending).rejects.toThrow('gave up');
  });

  it('is interchangeable with evaluating in this thread for a plain environment', async () => {
    const source = 'values:\n  a: [1, 2.50, "x"]\n  b: ${a[1]}\n';
    const [inline, isolated] = await Promise.all([inlineEngine.evaluate('p', source, options(new Map())), engine.evaluate('p', source, options(new Map()))]);
    expect(isolated).toEqual(inline);
  });

  it('gives values their traces when asked, as in this thread', async () => {
    const source = 'imports: [base]\nvalues:\n  fromBase: mine\n';
    const traced = options(new Map(), { traces: true });
    const [inline, isolated] = await Promise.all([inlineEngine.evaluate('p', source, traced), engine.evaluate('p', source, traced)]);
    expect(isolated).toEqual(inline);
    const value = isolated.values?.data instanceof Map ? isolated.values.data.get('fromBase') : undefined;
    expect(value?.trace?.def.environment).toBe('p');
    expect(value?.trace?.base?.trace?.def.environment).toBe('base');
  });

  it("leaves out an erroneous eval's values when asked (the daemon serves none), not a check's", async () => {
    const lean = isolatedEngine({ valuesOnError: false });
    try {
      const source = 'values:\n  a: 1\n  b: ${nope}\n';
      const evaluated = await lean.evaluate('e', source, options(new Map()));
      expect(evaluated.values).toBeUndefined();
      expect(evaluated.diagnostics).toEqual([expect.objectContaining({ severity: 'error', line: 3 })]);
      const checked = await lean.evaluate('e', source, options(new Map(), { mode: 'check' }));
      expect(toJSON(checked.values!, { redact: false })).toMatchObject({ a: 1 });
    } finally {
      await lean.close?.();
    }
  });

  it('gives its worker back when idle and boots a fresh one for the next evaluation, even one asked while it stops', async () => {
    const brief = isolatedEngine({ idleMs: 0 });
    try {
      for (let i = 0; i < 3; i++) {
        const result = await brief.evaluate('e', `values:\n  n: ${i}\n`, options(new Map()));
        expect(toJSON(result.values!, { redact: false })).toEqual({ n: i });
      }
      // The idle timer (0 ms, set first) has fired and the worker is stopping: this goes to a fresh one.
      await new Promise((resolve) => setTimeout(resolve, 0));
      const late = await brief.evaluate('e', 'values:\n  n: 4\n', options(new Map()));
      expect(late.diagnostics).toEqual([]);
    } finally {
      await brief.close?.();
    }
  });

  it('runs new evaluations in a fresh worker while one is busy computing a hostile environment', async () => {
    // No value limit: the expansion computes until its 256 MiB heap runs out (about 2.5 s here), many
    // times what a fresh worker needs to answer (~0.3 s). With a 10-million-value limit it ended in 0.5 s
    // once the evaluator got faster, too close to the fresh worker's start to tell them apart every time.
    const busy = isolatedEngine({ startMs: 100, valuesOnError: false, heapMb: 256 });
    try {
      const generous = { limits: { values: Number.MAX_SAFE_INTEGER, valueBytes: Number.MAX_SAFE_INTEGER } };
      let hogDone = false;
      const hog = busy.evaluate('hog', expandingEnvironment('array'), options(new Map(), generous)).finally(() => (hogDone = true));
      await new Promise((resolve) => setTimeout(resolve, 0));
      const innocent = await busy.evaluate('innocent', 'values:\n  a: 1\n', options(new Map()));
      expect(toJSON(innocent.values!, { redact: false })).toEqual({ a: 1 });
      expect(hogDone).toBe(false); // answered by a fresh worker while the first was still computing
      expect((await hog).diagnostics).toEqual([expect.objectContaining({ file: 'hog', summary: 'the evaluation ran out of memory (limit 256 MiB)' })]);
    } finally {
      await busy.close?.();
    }
  }, 120_000);
});
