// Rendering evaluated values for `escd open`: json, yaml, detailed (flags per node) and string
// (the template stringification), with secrets redacted as `[secret]` unless asked otherwise.
import { stringify as yamlStringify } from 'yaml';
import { stringify } from '../../esc/builtins.js';
import { escValue, isArray, isObject, toJSON, type EscValue, type Json, type JsonObject } from '../../esc/value.js';
import type { PathElement } from '../../store/definition.js';
import { formatPath } from '../../store/definition.js';

export type ValueFormat = 'json' | 'yaml' | 'detailed' | 'string';

/** Secret nodes (when redacting) and unknown nodes become their display text. */
function displayTree(value: EscValue, redact: boolean): EscValue {
  if (value.secret && redact) return escValue('[secret]');
  if (value.unknown) return escValue('[unknown]');
  const { data } = value;
  if (isArray(data)) return escValue(data.map((v) => displayTree(v, redact)));
  if (isObject(data)) return escValue(new Map([...data].map(([k, v]) => [k, displayTree(v, redact)])));
  return escValue(data);
}

/** `{value, secret?, unknown?}` at every node, as the reference's detailed output (without source traces). */
export function toDetailed(value: EscValue, redact: boolean): JsonObject {
  const flags: JsonObject = {};
  if (value.secret) flags.secret = true;
  if (value.unknown) flags.unknown = true;
  if (value.secret && redact) return { value: '[secret]', ...flags };
  if (value.unknown) return { value: '[unknown]', ...flags };
  const { data } = value;
  let inner: Json;
  if (isArray(data)) inner = data.map((v) => toDetailed(v, redact));
  else if (isObject(data)) {
    const obj: JsonObject = {};
    for (const key of [...data.keys()].sort()) obj[key] = toDetailed(data.get(key)!, redact);
    inner = obj;
  } else inner = toJSON(value, { redact });
  return { value: inner, ...flags };
}

export function renderValue(value: EscValue | undefined, format: ValueFormat, options: { redact: boolean }): string {
  if (value === undefined) return format === 'string' ? '\n' : '{}\n';
  switch (format) {
    case 'json':
      return JSON.stringify(toJSON(value, options), null, 2) + '\n';
    case 'yaml':
      return yamlStringify(toJSON(value, options));
    case 'detailed':
      return JSON.stringify(toDetailed(value, options.redact), null, 2) + '\n';
    case 'string':
      return stringify(displayTree(value, options.redact)) + '\n';
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
