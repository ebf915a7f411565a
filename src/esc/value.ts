// The evaluated value model shared by the evaluator, providers and every consumer of results.
// Every node carries its own `secret` and `unknown` flags (see the conformance README §3).

/** A number kept as the text of its source literal, as the reference evaluator does. */
export class EscNumber {
  constructor(readonly text: string) {}
  valueOf(): number {
    return Number(this.text);
  }
  toString(): string {
    return this.text;
  }
}

export type EscData = null | boolean | EscNumber | string | readonly EscValue[] | EscObject;
export type EscObject = ReadonlyMap<string, EscValue>;

export interface EscValue {
  readonly data: EscData;
  readonly secret: boolean;
  readonly unknown: boolean;
  /** Where the value comes from; present when the evaluation was asked for traces. */
  readonly trace?: Trace;
}

/** A point of a definition's text: 1-based line and column, 0-based UTF-8 byte offset. */
export interface TracePos {
  readonly line: number;
  readonly column: number;
  readonly byte: number;
}

/** A range of an environment's definition (zero positions: the value has no source). */
export interface TraceRange {
  /** The environment whose definition holds the range; absent when unnamed. */
  readonly environment?: string;
  readonly begin: TracePos;
  readonly end: TracePos;
}

/**
 * The reference's esc.Trace: the expression that computed a value, and the value it was merged over
 * (an import's value at the same path), whose own trace continues the chain.
 */
export interface Trace {
  readonly def: TraceRange;
  readonly base?: EscValue;
}

/** Plain JSON, as read from or written to files and the wire. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const UNKNOWN: EscValue = Object.freeze({ data: null, secret: false, unknown: true });

export function escValue(data: EscData, flags: { secret?: boolean; unknown?: boolean } = {}): EscValue {
  return { data, secret: flags.secret ?? false, unknown: flags.unknown ?? false };
}

export function isObject(data: EscData): data is EscObject {
  return data instanceof Map;
}

export function isArray(data: EscData): data is readonly EscValue[] {
  return Array.isArray(data);
}

/** Build a value tree from plain JSON-like data; `secret` marks every node (secret at every depth). */
export function fromJS(input: unknown, flags: { secret?: boolean } = {}): EscValue {
  const secret = flags.secret ?? false;
  if (input === null || input === undefined) return escValue(null, { secret });
  if (typeof input === 'boolean' || typeof input === 'string') return escValue(input, { secret });
  if (typeof input === 'number' || typeof input === 'bigint') return escValue(new EscNumber(String(input)), { secret });
  if (input instanceof EscNumber) return escValue(input, { secret });
  if (input instanceof Date) return escValue(input.toISOString(), { secret });
  if (Array.isArray(input)) return escValue(input.map((item) => fromJS(item, flags)), { secret });
  if (typeof input === 'object') {
    const entries = Object.entries(input as Record<string, unknown>).map(([k, v]) => [k, fromJS(v, flags)] as const);
    return escValue(new Map(entries), { secret });
  }
  throw new TypeError(`cannot represent a ${typeof input} as an environment value`);
}

/** Marks a value and everything inside it secret. */
export function markSecretDeep(value: EscValue): EscValue {
  const { data } = value;
  if (isArray(data)) return escValue(data.map(markSecretDeep), { secret: true, unknown: value.unknown });
  if (isObject(data)) {
    return escValue(new Map([...data].map(([k, v]) => [k, markSecretDeep(v)])), { secret: true, unknown: value.unknown });
  }
  return { ...value, secret: true };
}

/** True when the value or anything inside it is secret. */
export function containsSecret(value: EscValue): boolean {
  if (value.secret) return true;
  const { data } = value;
  if (isArray(data)) return data.some(containsSecret);
  if (isObject(data)) return [...data.values()].some(containsSecret);
  return false;
}

/** The text of every secret scalar in the value (strings, numbers), e.g. to keep them out of a message. */
export function secretTexts(value: EscValue, insideSecret = false, out: string[] = []): string[] {
  const secret = insideSecret || value.secret;
  const { data } = value;
  if (isArray(data)) for (const item of data) secretTexts(item, secret, out);
  else if (isObject(data)) for (const item of data.values()) secretTexts(item, secret, out);
  else if (secret && (typeof data === 'string' || data instanceof EscNumber)) out.push(String(data));
  return out;
}

/** True when the value or anything inside it is unknown. */
export function containsUnknown(value: EscValue): boolean {
  if (value.unknown) return true;
  const { data } = value;
  if (isArray(data)) return data.some(containsUnknown);
  if (isObject(data)) return [...data.values()].some(containsUnknown);
  return false;
}

/**
 * Projects a value to JSON (conformance README §3): a secret node prints "[secret]" when redacting,
 * an unknown node "[unknown]"; numbers become JS numbers.
 */
export function toJSON(value: EscValue, options: { redact: boolean }): Json {
  if (value.secret && options.redact) return '[secret]';
  if (value.unknown) return '[unknown]';
  const { data } = value;
  if (data instanceof EscNumber) return Number(data.text);
  if (isArray(data)) return data.map((item) => toJSON(item, options));
  if (isObject(data)) {
    const out: JsonObject = {};
    for (const key of [...data.keys()].sort()) {
      Object.defineProperty(out, key, { value: toJSON(data.get(key)!, options), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return data;
}

/** Reveals a value as plain JS for providers and consumers that need the data (secrets included, unknowns as undefined). */
export function toPlain(value: EscValue): Json | undefined {
  if (value.unknown) return undefined;
  const { data } = value;
  if (data instanceof EscNumber) return Number(data.text);
  if (isArray(data)) return data.map((item) => toPlain(item) ?? null);
  if (isObject(data)) {
    const out: JsonObject = {};
    for (const [key, item] of data) {
      const plain = toPlain(item);
      if (plain !== undefined) Object.defineProperty(out, key, { value: plain, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return data;
}
