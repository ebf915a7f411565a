// The pure parts of the bench: percentiles, summaries, growth per decade. No timing here.
import { describe, expect, it } from 'vitest';
import { growthPerDecade, median, medianSummary, percentile, sorted, summarize } from './stats.js';

describe('percentile', () => {
  it('interpolates between the nearest ranks', () => {
    const s = [10, 20, 30, 40];
    expect(percentile(s, 0)).toBe(10);
    expect(percentile(s, 100)).toBe(40);
    expect(percentile(s, 50)).toBe(25);
    expect(percentile(s, 25)).toBeCloseTo(17.5);
  });

  it('of one sample is that sample', () => {
    expect(percentile([7], 99)).toBe(7);
  });

  it('refuses no samples and out-of-range percentiles', () => {
    expect(() => percentile([], 50)).toThrow(/no samples/);
    expect(() => percentile([1], 101)).toThrow(/out of range/);
    expect(() => percentile([1], -1)).toThrow(/out of range/);
  });

  it('p99 of 1..100 sits just below the largest', () => {
    const s = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(s, 99)).toBeCloseTo(99.01);
  });
});

describe('summaries', () => {
  it('sorts numerically, not as text', () => {
    expect(sorted([10, 9, 100, 1])).toEqual([1, 9, 10, 100]);
  });

  it('refuses NaN', () => {
    expect(() => sorted([1, Number.NaN])).toThrow(/NaN/);
  });

  it('summarizes unordered samples', () => {
    expect(summarize([5, 1, 3, 2, 4])).toEqual({ n: 5, min: 1, p50: 3, p95: 4.8, p99: 4.96, max: 5, mean: 3 });
  });

  it('median of an even count is the midpoint', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('medianSummary takes each field’s median over runs and adds the counts', () => {
    const run = (x: number) => ({ n: 10, min: x, p50: x, p95: x, p99: x, max: x, mean: x });
    expect(medianSummary([run(1), run(100), run(3)])).toEqual({ n: 30, min: 3, p50: 3, p95: 3, p99: 3, max: 3, mean: 3 });
  });
});

describe('growthPerDecade', () => {
  it('is 10 for linear growth and 100 for quadratic, whatever the step', () => {
    expect(growthPerDecade([{ size: 100, value: 1 }, { size: 1000, value: 10 }])[0]).toBeCloseTo(10);
    expect(growthPerDecade([{ size: 10, value: 1 }, { size: 1000, value: 10_000 }])[0]).toBeCloseTo(100);
    expect(growthPerDecade([{ size: 1000, value: 3 }, { size: 2000, value: 6 }])[0]).toBeCloseTo(10);
  });

  it('orders the points by size', () => {
    const g = growthPerDecade([
      { size: 10_000, value: 400 },
      { size: 100, value: 2 },
      { size: 1000, value: 20 },
    ]);
    expect(g.map((x) => Math.round(x))).toEqual([10, 20]);
  });

  it('refuses sizes that do not grow or values that are not positive', () => {
    expect(() => growthPerDecade([{ size: 10, value: 1 }, { size: 10, value: 2 }])).toThrow();
    expect(() => growthPerDecade([{ size: 10, value: 0 }, { size: 100, value: 2 }])).toThrow();
  });
});
