// Bounds on one evaluation, so that a hostile or mistaken environment cannot take the daemon's memory
// or time: a few hundred bytes of references that each copy the previous level ten times expand to
// 10^9 values. Values share structure while evaluating (a reference is the same object), so each value's
// expanded size is measured once (memoized) and checked where it is made; a breach is a diagnostic at
// that expression and the value becomes unknown, so nothing that refers to it grows further.
import type { Val } from './val.js';

export interface EvaluationLimits {
  /** Bytes of one environment definition (the root or an import). */
  readonly definitionBytes: number;
  /** Values (scalars, arrays, objects) in the expanded tree of any one value, the whole environment included. */
  readonly values: number;
  /** Bytes of strings and keys in the expanded tree of any one value. */
  readonly valueBytes: number;
  /** Wall time of one evaluation, in milliseconds (provider calls included). */
  readonly evaluationMs: number;
}

export const DEFAULT_LIMITS: EvaluationLimits = {
  definitionBytes: 1024 * 1024,
  values: 100_000,
  valueBytes: 16 * 1024 * 1024,
  evaluationMs: 60_000,
};

export interface Weight {
  readonly count: number;
  readonly bytes: number;
}

/**
 * The expanded size of `v` (each shared sub-value counted as often as it appears), memoized per value
 * in `weights`. The memo belongs to one evaluation (a plain Map dropped with it): a process-wide
 * WeakMap made every young-generation GC walk an ephemeron table of all values weighed since the last
 * full GC: that part of evaluation time grew quadratically with the number of keys (npm run bench, 4).
 */
export function weigh(v: Val, weights: Map<Val, Weight>): Weight {
  const d = v.data;
  if (!Array.isArray(d) && !(d instanceof Map)) return { count: 1, bytes: typeof d === 'string' ? d.length : 0 };
  const known = weights.get(v);
  if (known !== undefined) return known;
  let count = 1;
  let bytes = 0;
  const add = (item: Val): void => {
    const c = item.data;
    // Scalars are counted on the spot: an object or a memo entry for every leaf cost more than it saved.
    if (typeof c === 'string') {
      count++;
      bytes += c.length;
    } else if (!Array.isArray(c) && !(c instanceof Map)) count++;
    else {
      const w = weigh(item, weights);
      count += w.count;
      bytes += w.bytes;
    }
  };
  if (Array.isArray(d)) for (const item of d as readonly Val[]) add(item);
  else
    (d as ReadonlyMap<string, Val>).forEach((item, key) => {
      add(item);
      bytes += key.length;
    });
  const w = { count, bytes };
  weights.set(v, w);
  return w;
}

/** Undefined when `w` is within the limits, else the diagnostic's text. */
export function overLimits(w: Weight, limits: EvaluationLimits): string | undefined {
  if (w.count > limits.values) return `this value expands to more than ${limits.values} values (evaluation limit)`;
  if (w.bytes > limits.valueBytes) return `this value expands to more than ${limits.valueBytes / (1024 * 1024)} MiB (evaluation limit)`;
  return undefined;
}

export const definitionTooLarge = (bytes: number, limits: EvaluationLimits): string | undefined =>
  bytes > limits.definitionBytes ? `the environment definition is ${bytes} bytes, more than the limit of ${limits.definitionBytes / 1024} KiB` : undefined;

/** definitionTooLarge of a text, counting its UTF-8 bytes only when it could be over (a UTF-16 code unit is at most 3 bytes). */
export const textTooLarge = (source: string, limits: EvaluationLimits): string | undefined =>
  source.length * 3 <= limits.definitionBytes ? undefined : definitionTooLarge(Buffer.byteLength(source, 'utf8'), limits);
