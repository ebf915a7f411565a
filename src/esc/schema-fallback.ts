// Temporary stand-in for src/esc/schema.ts (being written by another helper): only the checks the
// harness providers need (type, required, properties, const). Delete when schema.ts lands.
import type { Schema } from '../providers/types.js';
import { EscNumber, isArray, isObject, type EscValue } from './value.js';

export interface SchemaViolation {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

function typeOf(v: EscValue): string {
  const d = v.data;
  if (d === null) return 'null';
  if (typeof d === 'boolean') return 'boolean';
  if (d instanceof EscNumber) return 'number';
  if (typeof d === 'string') return 'string';
  if (isArray(d)) return 'array';
  return 'object';
}

export function checkSchema(schema: Schema, value: EscValue, _options: { mode: 'check' | 'eval' }): SchemaViolation[] {
  const out: SchemaViolation[] = [];
  const walk = (s: Schema, v: EscValue, path: (string | number)[]): void => {
    if (s === true || v.unknown) return;
    if (s === false) return;
    const type = s['type'];
    if (typeof type === 'string' && type !== typeOf(v)) {
      out.push({ path, message: `expected ${type}, got ${typeOf(v)}` });
      return;
    }
    const data = v.data;
    if (isObject(data)) {
      const required = Array.isArray(s['required']) ? (s['required'] as string[]) : [];
      const missing = required.filter((k) => !data.has(k));
      if (missing.length > 0) out.push({ path, message: `missing required properties: ${missing.join(', ')}` });
      const props = (s['properties'] ?? {}) as Record<string, Schema>;
      for (const [k, item] of data) if (props[k] !== undefined) walk(props[k]!, item, [...path, k]);
    }
  };
  walk(schema, value, []);
  return out;
}
