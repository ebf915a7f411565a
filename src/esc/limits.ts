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

const weights = new WeakMap<Val, Weight>();

/** The expanded size of `v` (each shared sub-value counted as often as it appears), memoized per value. */
export function weigh(v: Val): Weight {
  const known = weights.get(v);
  if (known !== undefined) return known;
  let count = 1;
  let bytes = 0;
  const d = v.data;
  if (typeof d === 'string') bytes = d.length;
  else if (Array.isArray(d)) {
    for (const item of d as readonly Val[]) {
      const w = weigh(item);
      count += w.count;
      bytes += w.bytes;
    }
  } else if (d instanceof Map) {
    for (const [key, item] of d as ReadonlyMap<string, Val>) {
      const w = weigh(item);
      count += w.count;
      bytes += w.bytes + key.length;
    }
  }
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
