// The evaluator's value: the public value model (EscValue) plus what evaluation needs to carry
// along — where a value came from, what it was merged over, finality, a known schema. Pure helpers.
import type { Schema } from './provider.js';
import * as builtins from './builtins.js';
import type { Position, SourceRange } from './syntax.js';
import { EscNumber, isArray, isObject, type EscData, type EscValue, type TraceRange } from './value.js';

/** Where a value or diagnostic comes from. */
export interface Site {
  readonly file: string;
  readonly pos: Position;
  readonly path: string;
  /** The whole source range of the expression (for value traces); absent for synthetic values. */
  readonly range?: SourceRange;
}

/** The evaluator's value: the public value model plus what evaluation needs to know about it. */
export interface Val extends EscValue {
  readonly data: null | boolean | EscNumber | string | readonly Val[] | ReadonlyMap<string, Val>;
  /** The expression that produced it (diagnostics of later type checks point there). */
  readonly site?: Site;
  /** The imported value it was merged over (its trace's base; object lookups fall through to it). */
  readonly base?: Val;
  /** `fn::final`: importers may not override it. */
  readonly final?: boolean;
  /** Known schema of an unknown value (a provider's output), for checking accesses into it. */
  readonly schema?: Schema;
  /** For an object merged over an import: its own entries (template stringification ignores inherited keys). */
  readonly own?: ReadonlyMap<string, Val>;
  /** A rotate-only input left unevaluated: unknown, but it does not stop the rotator's `open`. */
  readonly rotateOnly?: boolean;
}

export const ownEntries = (v: EscValue): ReadonlyMap<string, EscValue> => (v as Val).own ?? (v.data as ReadonlyMap<string, Val>);
export const stringify = (v: Val): string => builtins.stringify(v, ownEntries);

export type ValData = Val['data'];

export type MutableVal = { -readonly [K in keyof Val]: Val[K] };

/**
 * A copy of `v` to set fields on before it is used: what `{ ...v, field: x }` means, without the
 * spread. V8 11 (Node.js 20) takes a runtime path of about 1 µs for every property that an object
 * literal adds after a spread (a property the spread already copied is cheap), which made the merges
 * of the 26-environment bench graph's imports a sixth of its evaluation. Vals never hold a field set
 * to undefined, so copying the defined ones copies all.
 */
export function copyVal(v: Val): MutableVal {
  const out: MutableVal = { data: v.data, secret: v.secret, unknown: v.unknown };
  if (v.site !== undefined) out.site = v.site;
  if (v.base !== undefined) out.base = v.base;
  if (v.final !== undefined) out.final = v.final;
  if (v.schema !== undefined) out.schema = v.schema;
  if (v.own !== undefined) out.own = v.own;
  if (v.rotateOnly !== undefined) out.rotateOnly = v.rotateOnly;
  if (v.trace !== undefined) out.trace = v.trace;
  return out;
}

export function val(data: ValData, flags: { secret?: boolean; unknown?: boolean; site?: Site; schema?: Schema } = {}): Val {
  const v: { -readonly [K in keyof Val]: Val[K] } = { data, secret: flags.secret ?? false, unknown: flags.unknown ?? false };
  if (flags.site !== undefined) v.site = flags.site;
  if (flags.schema !== undefined) v.schema = flags.schema;
  return v;
}

export function unknownVal(site: Site | undefined, flags: { secret?: boolean; schema?: Schema } = {}): Val {
  return val(null, { secret: flags.secret, schema: flags.schema, unknown: true, site });
}

export function containsUnknown(v: Val): boolean {
  if (v.unknown) return true;
  const d = v.data;
  if (isArray(d)) return (d as readonly Val[]).some(containsUnknown);
  if (d instanceof Map) {
    for (const item of d.values()) if (containsUnknown(item)) return true;
  }
  return false;
}

export function containsSecret(v: Val): boolean {
  if (v.secret) return true;
  const d = v.data;
  if (isArray(d)) return (d as readonly Val[]).some(containsSecret);
  if (d instanceof Map) {
    for (const item of d.values()) if (containsSecret(item)) return true;
  }
  return false;
}

export function secretDeep(v: Val): Val {
  const d = v.data;
  let data: ValData = d;
  if (isArray(d)) data = (d as readonly Val[]).map(secretDeep);
  else if (d instanceof Map) data = new Map([...d].map(([k, item]) => [k, secretDeep(item)] as const));
  return { ...v, data, secret: true };
}

/** Converts a provider's EscValue output (no sites) into a Val. */
export function fromEsc(v: EscValue, site: Site): Val {
  const d = v.data;
  let data: ValData;
  if (isArray(d)) data = d.map((item) => fromEsc(item, site));
  else if (isObject(d)) data = new Map([...d].map(([k, item]) => [k, fromEsc(item, site)] as const));
  else data = d as ValData;
  return val(data, { secret: v.secret, unknown: v.unknown, site });
}

/** Strips evaluation-only fields, giving a plain EscValue tree (with traces when `traces` is set). */
export function toEscValue(v: Val, options: { traces?: { environment: string } } = {}): EscValue {
  if (options.traces !== undefined) return exportTraced(v, options.traces.environment, new Map());
  const d = v.data;
  let data: EscData;
  if (isArray(d)) data = (d as readonly Val[]).map((item) => toEscValue(item));
  else if (d instanceof Map) {
    // forEach, not [...d].map(): no pair array for every entry of a large environment.
    const out = new Map<string, EscValue>();
    (d as ReadonlyMap<string, Val>).forEach((item, k) => out.set(k, toEscValue(item)));
    data = out;
  } else data = d as EscData;
  return { data, secret: v.secret, unknown: v.unknown };
}

/**
 * toEscValue of an evaluation's root value, which nothing refers to once the evaluation has ended:
 * its top-level map becomes the result's (entries converted in place) instead of being copied. A map
 * of more than 4,096 entries lives in V8's large-object space, and building one maps fresh pages
 * from the kernel: about half of the ~1.3 ms that a 10,000-key copy took, and the part of the
 * evaluation that grew faster than the number of keys.
 */
export function toEscValueOwned(v: Val): EscValue {
  const d = v.data;
  if (!(d instanceof Map)) return toEscValue(v);
  const out = d as Map<string, Val | EscValue>;
  out.forEach((item, k) => out.set(k, toEscValue(item as Val)));
  return { data: out as Map<string, EscValue>, secret: v.secret, unknown: v.unknown };
}

const ZERO = Object.freeze({ line: 0, column: 0, byte: 0 });

/**
 * The reference's value export: every node with its trace (the range of the expression that made it,
 * `environment` naming the environment when the value has no source) and, for a value merged over an
 * import, the exported base. An object merged over a base is its own entries plus the base's others,
 * read through the chain rather than from `data`: the maps of an import fold are shared and later
 * imports write into them, so a base's `data` may show keys merged after it.
 */
function exportTraced(v: Val, environment: string, memo: Map<Val, EscValue>): EscValue {
  const hit = memo.get(v);
  if (hit !== undefined) return hit;
  const d = v.data;
  let data: EscData;
  if (isArray(d)) data = (d as readonly Val[]).map((item) => exportTraced(item, environment, memo));
  else if (d instanceof Map) data = new Map([...entriesOf(v)].map(([k, item]) => [k, exportTraced(item, environment, memo)] as const));
  else data = d as EscData;
  const range = v.site?.range;
  const def: TraceRange = range === undefined ? { environment, begin: ZERO, end: ZERO } : { environment: v.site!.file, ...range };
  const out: EscValue = {
    data,
    secret: v.secret,
    unknown: v.unknown,
    trace: v.base === undefined ? { def } : { def, base: exportTraced(v.base, '<import>', memo) },
  };
  memo.set(v, out);
  return out;
}

/** An object's entries by merge semantics: its own, then those of its base it does not override. */
function entriesOf(v: Val): ReadonlyMap<string, Val> {
  if (v.own === undefined || !isKnownObject(v.base)) return v.data as ReadonlyMap<string, Val>;
  const out = new Map(v.own);
  for (const [k, item] of entriesOf(v.base)) if (!out.has(k)) out.set(k, item);
  return out;
}

export function typeName(v: Val): string {
  const d = v.data;
  if (d === null) return 'null';
  if (typeof d === 'boolean') return 'boolean';
  if (d instanceof EscNumber) return 'number';
  if (typeof d === 'string') return 'string';
  if (isArray(d)) return 'array';
  return 'object';
}

export const isKnownObject = (v: Val | undefined): v is Val & { data: ReadonlyMap<string, Val> } =>
  v !== undefined && !v.unknown && v.data instanceof Map;
