// An evaluated value on the wire between the daemon and the CLI, keeping what plain JSON loses: the
// secret and unknown flags of every node and the exact text of numbers. One node is
//   {v: string|boolean|null} | {n: "<number text>"} | {a: [node…]} | {o: {key: node}}
// plus `s: 1` (secret) and `u: 1` (unknown). A redacted secret node carries no data at all: `{s: 1}`.
// With `traces`, a node also carries `t: {d: [environment, line, column, byte, line, column, byte], b?: node}`:
// its trace's defining range and merged-over base (value.ts Trace; `environment` "" when unnamed).
import { EscNumber, escValue, isArray, isObject, type EscValue, type Trace, type TraceRange } from './value.js';

export type WireRange = [string, number, number, number, number, number, number];

export type WireNode = {
  v?: string | boolean | null;
  n?: string;
  a?: WireNode[];
  o?: { [key: string]: WireNode };
  s?: 1;
  u?: 1;
  t?: { d: WireRange; b?: WireNode };
};

export interface EncodeOptions {
  readonly redact: boolean;
  /** Keep each node's trace (when the value has them). */
  readonly traces?: boolean;
}

export function encodeValue(value: EscValue, options: EncodeOptions): WireNode {
  const node: WireNode = {};
  if (value.secret) node.s = 1;
  if (value.unknown) node.u = 1;
  if (options.traces && value.trace !== undefined) node.t = encodeTrace(value.trace, options);
  if (value.unknown || (value.secret && options.redact)) return node;
  const { data } = value;
  if (data instanceof EscNumber) node.n = data.text;
  else if (isArray(data)) node.a = data.map((item) => encodeValue(item, options));
  else if (isObject(data)) {
    const out: { [key: string]: WireNode } = {};
    // defineProperty: keys such as `__proto__` are ordinary keys here.
    for (const [key, item] of data) Object.defineProperty(out, key, { value: encodeValue(item, options), enumerable: true, writable: true, configurable: true });
    node.o = out;
  } else node.v = data;
  return node;
}

function encodeTrace(trace: Trace, options: EncodeOptions): { d: WireRange; b?: WireNode } {
  const { environment = '', begin, end } = trace.def;
  const d: WireRange = [environment, begin.line, begin.column, begin.byte, end.line, end.column, end.byte];
  return trace.base === undefined ? { d } : { d, b: encodeValue(trace.base, options) };
}

/** The inverse of encodeValue; anything malformed (an old or foreign daemon) is an Error naming the path. */
export function decodeValue(node: unknown, path = 'values'): EscValue {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) throw new Error(`malformed value at ${path}`);
  const n = node as WireNode;
  const flags = { secret: n.s === 1, unknown: n.u === 1 };
  const value = decodeData(n, path, flags);
  return n.t === undefined ? value : { ...value, trace: decodeTrace(n.t, path) };
}

function decodeData(n: WireNode, path: string, flags: { secret: boolean; unknown: boolean }): EscValue {
  if (typeof n.n === 'string') return escValue(new EscNumber(n.n), flags);
  if (Array.isArray(n.a)) return escValue(n.a.map((item, i) => decodeValue(item, `${path}[${i}]`)), flags);
  if (n.o !== undefined) {
    if (typeof n.o !== 'object' || n.o === null) throw new Error(`malformed value at ${path}`);
    return escValue(new Map(Object.entries(n.o).map(([key, item]) => [key, decodeValue(item, `${path}.${key}`)])), flags);
  }
  const v = n.v ?? null;
  if (v !== null && typeof v !== 'string' && typeof v !== 'boolean') throw new Error(`malformed value at ${path}`);
  return escValue(v, flags);
}

function decodeTrace(t: unknown, path: string): Trace {
  const d = (t as { d?: unknown } | null)?.d;
  const valid =
    Array.isArray(d) && d.length === 7 && typeof d[0] === 'string' && d.slice(1).every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0);
  if (!valid) throw new Error(`malformed trace at ${path}`);
  const [environment, bl, bc, bb, el, ec, eb] = d as WireRange;
  const def: TraceRange = {
    ...(environment === '' ? {} : { environment }),
    begin: { line: bl, column: bc, byte: bb },
    end: { line: el, column: ec, byte: eb },
  };
  const base = (t as { b?: unknown }).b;
  return base === undefined ? { def } : { def, base: decodeValue(base, `${path} (base)`) };
}
