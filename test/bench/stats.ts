// Summaries of timing samples. Pure functions: the unit tests pin them, the measurements use them.

export interface Summary {
  readonly n: number;
  readonly min: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Ascending copy; NaN would make every percentile meaningless, so it is refused. */
export function sorted(samples: Iterable<number>): number[] {
  const out = Array.from(samples);
  if (out.some((x) => Number.isNaN(x))) throw new Error('samples contain NaN');
  return out.sort((a, b) => a - b);
}

/**
 * The p-th percentile (0 ≤ p ≤ 100) of ascending samples, interpolating linearly between the two
 * nearest ranks (the common "R-7" definition, as numpy and spreadsheets compute it).
 */
export function percentile(ascending: readonly number[], p: number): number {
  if (ascending.length === 0) throw new Error('percentile of no samples');
  if (!(p >= 0 && p <= 100)) throw new Error(`percentile out of range: ${p}`);
  const rank = (p / 100) * (ascending.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = ascending[lo]!;
  return a + (ascending[hi]! - a) * (rank - lo);
}

export function median(samples: Iterable<number>): number {
  return percentile(sorted(samples), 50);
}

export function summarize(samples: Iterable<number>): Summary {
  const s = sorted(samples);
  if (s.length === 0) throw new Error('summary of no samples');
  return {
    n: s.length,
    min: s[0]!,
    p50: percentile(s, 50),
    p95: percentile(s, 95),
    p99: percentile(s, 99),
    max: s[s.length - 1]!,
    mean: s.reduce((sum, x) => sum + x, 0) / s.length,
  };
}

/** Field-wise median of several summaries of repeated runs (each figure is the median of its runs). */
export function medianSummary(runs: readonly Summary[]): Summary {
  if (runs.length === 0) throw new Error('median of no runs');
  const pick = (f: keyof Summary): number => median(runs.map((r) => r[f]));
  return { n: runs.reduce((sum, r) => sum + r.n, 0), min: pick('min'), p50: pick('p50'), p95: pick('p95'), p99: pick('p99'), max: pick('max'), mean: pick('mean') };
}

export interface SizePoint {
  readonly size: number;
  readonly value: number;
}

/**
 * How much `value` grows per tenfold `size`, between consecutive points (sorted by size):
 * (v2/v1)^(1/log10(s2/s1)). Linear growth gives 10 for every step, quadratic 100.
 */
export function growthPerDecade(points: readonly SizePoint[]): number[] {
  const ordered = [...points].sort((a, b) => a.size - b.size);
  const out: number[] = [];
  for (let i = 1; i < ordered.length; i++) {
    const a = ordered[i - 1]!;
    const b = ordered[i]!;
    if (a.size <= 0 || b.size <= a.size || a.value <= 0) throw new Error('growth needs increasing positive sizes and positive values');
    out.push((b.value / a.value) ** (1 / Math.log10(b.size / a.size)));
  }
  return out;
}
