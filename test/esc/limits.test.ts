// Evaluation bounds (src/esc/limits.ts): a small file that expands exponentially, a huge definition,
// and a slow evaluation each end in a diagnostic at the expression that did it, quickly.
import { describe as group, expect, it } from 'vitest';
import { expandingEnvironment } from '../support/hostile.js';
import { run } from './support.js';

group('evaluation limits', () => {
  it('references copying the previous level ten times: a diagnostic at the level that passes 100,000 values', async () => {
    const source = expandingEnvironment('array');
    expect(source.length).toBeLessThan(1024);
    const r = await run(source);
    expect(r.diags).toContain('root:7:7 this value expands to more than 100000 values (evaluation limit)');
    expect((r.revealed as { small: string }).small).toBe('ok');
  });

  it('the string form: a diagnostic at the level that passes 16 MiB, never a string of hundreds of MB', async () => {
    const r = await run(expandingEnvironment('string'));
    expect(r.diags.some((d) => /^root:\d+:\d+ this value expands to more than 16 MiB \(evaluation limit\)$/.test(d))).toBe(true);
    expect((r.revealed as { small: string }).small).toBe('ok');
  });

  it('a definition over 1 MiB is refused before parsing, an import too', async () => {
    const big = `values:\n  a: "${'x'.repeat(1024 * 1024)}"\n`;
    expect((await run(big)).diags).toEqual([`-:- the environment definition is ${big.length} bytes, more than the limit of 1024 KiB`]);
    const r = await run('imports:\n  - big\nvalues:\n  b: 1\n', { big });
    expect(r.diags).toEqual([`root:2:5 big: the environment definition is ${big.length} bytes, more than the limit of 1024 KiB`]);
  });

  it('the time limit: past it, evaluation stops with one diagnostic', async () => {
    const r = await run('values:\n  a: 1\n  b: ${a}\n', {}, { limits: { evaluationMs: -1 } });
    expect(r.diags.filter((d) => d.includes('evaluation took longer than'))).toHaveLength(1);
  });

  it('limits are configurable per evaluation', async () => {
    const r = await run('values:\n  a: [1, 2, 3]\n', {}, { limits: { values: 3 } });
    expect(r.diags).toEqual(['root:2:6 this value expands to more than 3 values (evaluation limit)']);
  });
});
