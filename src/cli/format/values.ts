// Rendering evaluated values for `escd open`: json, yaml, detailed (flags per node) and string
// (the template stringification), with secrets redacted as `[secret]` unless asked otherwise.
import { stringify } from '../../esc/builtins.js';
import { goJSONString } from '../../esc/go-json.js';
import { EscNumber, escValue, isArray, isObject, toJSON, type EscValue } from '../../esc/value.js';
import { formatPath, type PathElement } from '../../store/path.js';

export type ValueFormat = 'json' | 'yaml' | 'detailed' | 'string';
/** The formats rendered without a YAML library. */
export type TextFormat = Exclude<ValueFormat, 'yaml'>;

/** Secret nodes (when redacting) and unknown nodes become their display text. */
function displayTree(value: EscValue, redact: boolean): EscValue {
  if (value.secret && redact) return escValue('[secret]');
  if (value.unknown) return escValue('[unknown]');
  const { data } = value;
  if (isArray(data)) return escValue(data.map((v) => displayTree(v, redact)));
  if (isObject(data)) return escValue(new Map([...data].map(([k, v]) => [k, displayTree(v, redact)])));
  return escValue(data);
}

/**
 * The reference's detailed form (its esc.Value as JSON): at every node `value` (absent for null and
 * for an unknown), `secret`, `unknown`, and `trace`: the defining range and the merged-over base. A
 * value without a trace (or the whole environment, see environmentValue) has a zero range.
 */
export function toDetailed(value: EscValue, redact: boolean): { [key: string]: ExactJson } {
  const out: { [key: string]: ExactJson } = {};
  const { data } = value;
  if (value.secret && redact) out.value = '[secret]';
  else if (!value.unknown && data !== null) {
    if (isArray(data)) out.value = data.map((v) => toDetailed(v, redact));
    else if (isObject(data)) {
      const obj: { [key: string]: ExactJson } = {};
      for (const key of [...data.keys()].sort()) Object.defineProperty(obj, key, { value: toDetailed(data.get(key)!, redact), enumerable: true, writable: true, configurable: true });
      out.value = obj;
    } else out.value = data;
  }
  if (value.secret) out.secret = true;
  if (value.unknown) out.unknown = true;
  const { environment, begin, end } = value.trace?.def ?? { begin: ZERO, end: ZERO };
  const def: { [key: string]: ExactJson } = environment === undefined || environment === '' ? {} : { environment };
  def.begin = { ...begin };
  def.end = { ...end };
  const base = value.trace?.base;
  out.trace = base === undefined ? { def } : { def, base: toDetailed(base, redact) };
  return out;
}

const ZERO = { line: 0, column: 0, byte: 0 };

/**
 * The evaluated environment as the reference's commands print it traced: one value without a trace
 * of its own (the reference wraps the properties), the root's ranges naming it `rootName`.
 */
export function tracedEnvironment(values: EscValue, rootName: string): EscValue {
  const { trace, ...rest } = values;
  const root = trace?.def.environment;
  return root === undefined || root === rootName ? rest : renameTraces(rest, root, rootName);
}

/** Traces naming environment `from` name `to` instead. */
function renameTraces(value: EscValue, from: string, to: string): EscValue {
  const { data, trace } = value;
  let renamed = data;
  if (isArray(data)) renamed = data.map((v) => renameTraces(v, from, to));
  else if (isObject(data)) renamed = new Map([...data].map(([k, v]) => [k, renameTraces(v, from, to)]));
  if (trace === undefined) return { ...value, data: renamed };
  const def = trace.def.environment === from ? { ...trace.def, environment: to } : trace.def;
  return { ...value, data: renamed, trace: trace.base === undefined ? { def } : { def, base: renameTraces(trace.base, from, to) } };
}

/** JSON whose numbers are still the evaluator's EscNumber (the text of their literal). */
export type ExactJson = null | boolean | number | string | EscNumber | ExactJson[] | { [key: string]: ExactJson };

const JSON_NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/;

/**
 * Pretty JSON as Go's json.MarshalIndent(…, "", "  ") writes it (strings HTML-safe: `<` is \u003c),
 * which writes numbers with the digits of their source
 * literal, so integers beyond 2^53 keep every digit. A number JSON cannot spell (`+Inf`) is quoted.
 */
export function jsonText(value: ExactJson, indent = ''): string {
  if (value instanceof EscNumber) return JSON_NUMBER.test(value.text) ? value.text : JSON.stringify(value.text);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const inner = indent + '  ';
    return `[\n${value.map((v) => inner + jsonText(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 0) return '{}';
    const inner = indent + '  ';
    return `{\n${keys.map((k) => `${inner}${goJSONString(k)}: ${jsonText(value[k]!, inner)}`).join(',\n')}\n${indent}}`;
  }
  return typeof value === 'string' ? goJSONString(value) : JSON.stringify(value);
}

/** Like toJSON (value.ts), but numbers stay EscNumber for jsonText. */
function toExactJSON(value: EscValue, redact: boolean): ExactJson {
  if (value.secret && redact) return '[secret]';
  if (value.unknown) return '[unknown]';
  const { data } = value;
  if (data instanceof EscNumber) return data;
  if (isArray(data)) return data.map((item) => toExactJSON(item, redact));
  if (isObject(data)) {
    const out: { [key: string]: ExactJson } = {};
    for (const key of [...data.keys()].sort()) {
      Object.defineProperty(out, key, { value: toExactJSON(data.get(key)!, redact), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return data;
}

/** Every format; the yaml package is loaded for yaml only (`escd open` must not pay for a YAML library it does not use). */
export async function renderValue(value: EscValue | undefined, format: ValueFormat, options: { redact: boolean }): Promise<string> {
  if (format !== 'yaml') return renderText(value, format, options);
  if (value === undefined) return '{}\n';
  const { stringify: toYaml } = await import('yaml');
  return toYaml(toJSON(value, options));
}

export function renderText(value: EscValue | undefined, format: TextFormat, options: { redact: boolean }): string {
  if (value === undefined) return format === 'string' ? '\n' : '{}\n';
  switch (format) {
    case 'json':
      return jsonText(toExactJSON(value, options.redact)) + '\n';
    case 'detailed':
      return jsonText(toDetailed(value, options.redact)) + '\n';
    case 'string': {
      // The reference's Value.ToString (null is the empty string), ended by a line break unless it ends with one.
      const text = value.data === null && !value.unknown && !(value.secret && options.redact) ? '' : stringify(displayTree(value, options.redact));
      return text.endsWith('\n') ? text : text + '\n';
    }
  }
}

/** Follows a property path into a value; the error says where the path stopped. */
export function selectValue(root: EscValue | undefined, path: readonly PathElement[]): EscValue {
  let current = root;
  for (let i = 0; i < path.length; i++) {
    const step = path[i]!;
    const here = formatPath(path.slice(0, i + 1));
    if (current === undefined) throw new Error(`no value at ${here}: the environment has no values`);
    if (current.unknown) return current;
    const { data } = current;
    if (typeof step === 'number') {
      if (!isArray(data)) throw new Error(`no value at ${here}: ${formatPath(path.slice(0, i)) || 'the root'} is not an array`);
      if (step >= data.length) throw new Error(`no value at ${here}: index out of range (the array has ${data.length} element(s))`);
      current = data[step]!;
    } else {
      if (!isObject(data)) throw new Error(`no value at ${here}: ${formatPath(path.slice(0, i)) || 'the root'} is not an object`);
      const next = data.get(step);
      if (next === undefined) throw new Error(`no value at ${here}: unknown property ${JSON.stringify(step)}`);
      current = next;
    }
  }
  if (current === undefined) throw new Error('the environment has no values');
  return current;
}
