// Reading a JSON Schema document: typed access to keywords, `$ref` resolution, and a one-time
// shape check so the checker can trust what it reads. Schemas are plain data (provider constants or
// the converted `fn::validate` argument) and are never mutated, so results are cached by identity.
import type { Schema } from '../provider.js';
import { joinKey } from '../syntax.js';
import { decimalOf, type Decimal } from './decimal.js';

export type SchemaObject = { readonly [keyword: string]: unknown };

/** The JSON types of values, as messages name them. */
export type TypeName = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';
/** What `type` may say: a value type or `integer` (a number without a fractional part). */
export type SchemaTypeName = TypeName | 'integer';

const TYPE_NAMES: ReadonlySet<string> = new Set(['null', 'boolean', 'number', 'string', 'array', 'object', 'integer']);
const SCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf', 'prefixItems'] as const;
const SCHEMA_SINGLES = ['additionalProperties', 'additionalItems'] as const;
const SCHEMA_MAPS = ['properties', '$defs', 'definitions'] as const;
const DECIMALS = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'] as const;
const COUNTS = ['minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties'] as const;
const MAX_DEPTH = 256;

export function isSchemaObject(value: unknown): value is SchemaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'boolean' || isSchemaObject(value);
}

/** The sub-schema under a keyword, or undefined when absent (absent and `true` both accept anything). */
export function subschema(schema: SchemaObject, keyword: string): Schema | undefined {
  const value = schema[keyword];
  return isSchema(value) ? value : undefined;
}

export function subschemas(schema: SchemaObject, keyword: string): readonly Schema[] {
  const value = schema[keyword];
  return Array.isArray(value) ? value.filter(isSchema) : [];
}

/** `prefixItems`, or the older tuple form `items: [...]`. */
export function prefixItems(schema: SchemaObject): readonly Schema[] {
  return Array.isArray(schema.items) ? subschemas(schema, 'items') : subschemas(schema, 'prefixItems');
}

/** The schema for array elements past the prefix: `items`, or `additionalItems` beside a tuple-form `items`. */
export function restItems(schema: SchemaObject): Schema | undefined {
  return Array.isArray(schema.items) ? subschema(schema, 'additionalItems') : subschema(schema, 'items');
}

export function properties(schema: SchemaObject): ReadonlyMap<string, Schema> {
  const value = schema.properties;
  if (!isSchemaObject(value)) return new Map();
  return new Map(Object.entries(value).filter((entry): entry is [string, Schema] => isSchema(entry[1])));
}

export function types(schema: SchemaObject): readonly SchemaTypeName[] | undefined {
  const value = schema.type;
  if (typeof value === 'string') return [value as SchemaTypeName];
  if (Array.isArray(value)) return value as SchemaTypeName[];
  return undefined;
}

export function strings(schema: SchemaObject, keyword: string): readonly string[] {
  const value = schema[keyword];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

export function dependentRequired(schema: SchemaObject): ReadonlyMap<string, readonly string[]> {
  const value = schema.dependentRequired;
  if (!isSchemaObject(value)) return new Map();
  const entries = Object.keys(value)
    .sort()
    .map((key) => [key, Array.isArray(value[key]) ? (value[key] as unknown[]).filter((k): k is string => typeof k === 'string') : []] as const);
  return new Map(entries);
}

/** A numeric keyword as an exact decimal, with the text to print in messages. */
export function decimalKeyword(schema: SchemaObject, keyword: string): { value: Decimal; text: string } | undefined {
  const raw = schema[keyword];
  const value = decimalOf(raw);
  return value === undefined ? undefined : { value, text: String(raw) };
}

export function countKeyword(schema: SchemaObject, keyword: string): number | undefined {
  const raw = schema[keyword];
  const n = typeof raw === 'number' ? raw : typeof raw === 'object' && raw !== null ? Number(String(raw)) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

const patternCache = new Map<string, RegExp | string>();

/**
 * Compiles a pattern (written for the reference's RE2) as a JS RegExp. A leading `(?flags)` group,
 * which JS lacks, becomes RegExp flags. Returns the error text when the pattern does not compile.
 */
export function compilePattern(pattern: string): RegExp | string {
  const cached = patternCache.get(pattern);
  if (cached !== undefined) return cached;
  let source = pattern;
  let flags = '';
  const inline = /^\(\?([ims]+)\)/.exec(source);
  if (inline) {
    flags = [...new Set(inline[1]!)].join('');
    source = source.slice(inline[0].length);
  }
  let compiled: RegExp | string;
  try {
    compiled = new RegExp(source, `${flags}u`);
  } catch {
    try {
      compiled = new RegExp(source, flags);
    } catch (err) {
      compiled = `invalid pattern ${JSON.stringify(pattern)}: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  if (patternCache.size > 1024) patternCache.clear();
  patternCache.set(pattern, compiled);
  return compiled;
}

/** Resolves `#`, `#/$defs/NAME` or `#/definitions/NAME` against the document root. */
export function resolveRef(root: Schema, ref: string): Schema | undefined {
  if (ref === '#') return root;
  const match = /^#\/(\$defs|definitions)\/([^/]+)$/.exec(ref);
  if (!match || !isSchemaObject(root)) return undefined;
  let name: string;
  try {
    name = decodeURIComponent(match[2]!).replace(/~1/g, '/').replace(/~0/g, '~');
  } catch {
    return undefined;
  }
  const defs = root[match[1]!];
  if (!isSchemaObject(defs) || !Object.prototype.hasOwnProperty.call(defs, name)) return undefined;
  const target = defs[name];
  return isSchema(target) ? target : undefined;
}

/** The schema a `$ref` points to, if the schema has one. */
export function refTarget(root: Schema, schema: SchemaObject): Schema | undefined {
  return typeof schema.$ref === 'string' ? resolveRef(root, schema.$ref) : undefined;
}

const problemCache = new WeakMap<object, string | null>();

/**
 * The first thing wrong with a schema document (a keyword of the wrong shape, a `$ref` that does not
 * resolve, a pattern that does not compile), named by where it is; undefined when it is usable.
 */
export function schemaProblem(root: Schema): string | undefined {
  if (typeof root === 'boolean') return undefined;
  if (!isSchemaObject(root)) return 'a schema must be an object or a boolean';
  const cached = problemCache.get(root);
  if (cached !== undefined) return cached ?? undefined;
  const problem = shapeProblem(root, root, '', 0);
  problemCache.set(root, problem ?? null);
  return problem;
}

function shapeProblem(root: Schema, schema: unknown, where: string, depth: number): string | undefined {
  if (typeof schema === 'boolean') return undefined;
  const at = (keyword: string): string => (where === '' ? keyword : `${where}.${keyword}`);
  if (!isSchemaObject(schema)) return `${where || 'schema'} must be an object or a boolean`;
  if (depth > MAX_DEPTH) return `${where} is nested too deeply`;
  const type = schema.type;
  if (type !== undefined) {
    const list = Array.isArray(type) ? type : [type];
    const bad = list.find((t) => typeof t !== 'string' || !TYPE_NAMES.has(t));
    if (bad !== undefined || list.length === 0) {
      return `${at('type')} must be one of null, boolean, number, integer, string, array, object (or a list of them)`;
    }
  }
  for (const keyword of SCHEMA_LISTS) {
    const value = schema[keyword];
    if (value === undefined) continue;
    if (!Array.isArray(value)) return `${at(keyword)} must be a list of schemas`;
    for (let i = 0; i < value.length; i++) {
      const problem = shapeProblem(root, value[i], `${at(keyword)}[${i}]`, depth + 1);
      if (problem) return problem;
    }
  }
  if (schema.items !== undefined) {
    const items = Array.isArray(schema.items) ? schema.items : [schema.items];
    for (let i = 0; i < items.length; i++) {
      const where = Array.isArray(schema.items) ? `${at('items')}[${i}]` : at('items');
      const problem = shapeProblem(root, items[i], where, depth + 1);
      if (problem) return problem;
    }
  }
  for (const keyword of SCHEMA_SINGLES) {
    if (schema[keyword] === undefined) continue;
    const problem = shapeProblem(root, schema[keyword], at(keyword), depth + 1);
    if (problem) return problem;
  }
  for (const keyword of SCHEMA_MAPS) {
    const value = schema[keyword];
    if (value === undefined) continue;
    if (!isSchemaObject(value)) return `${at(keyword)} must be an object of schemas`;
    for (const [key, sub] of Object.entries(value)) {
      const problem = shapeProblem(root, sub, joinKey(at(keyword), key), depth + 1);
      if (problem) return problem;
    }
  }
  if (schema.enum !== undefined && !Array.isArray(schema.enum)) return `${at('enum')} must be a list`;
  if (schema.required !== undefined && !isStringList(schema.required)) return `${at('required')} must be a list of strings`;
  if (schema.dependentRequired !== undefined) {
    const value = schema.dependentRequired;
    if (!isSchemaObject(value) || !Object.values(value).every(isStringList)) {
      return `${at('dependentRequired')} must map property names to lists of strings`;
    }
  }
  for (const keyword of DECIMALS) {
    if (schema[keyword] === undefined) continue;
    const value = decimalOf(schema[keyword]);
    if (value === undefined) return `${at(keyword)} must be a number`;
    if (keyword === 'multipleOf' && (value.negative || value.coefficient === 0n)) return `${at(keyword)} must be greater than 0`;
  }
  for (const keyword of COUNTS) {
    if (schema[keyword] !== undefined && countKeyword(schema, keyword) === undefined) {
      return `${at(keyword)} must be a non-negative integer`;
    }
  }
  if (schema.pattern !== undefined) {
    if (typeof schema.pattern !== 'string') return `${at('pattern')} must be a string`;
    const compiled = compilePattern(schema.pattern);
    if (typeof compiled === 'string') return `${at('pattern')}: ${compiled}`;
  }
  if (schema.$ref !== undefined) {
    if (typeof schema.$ref !== 'string') return `${at('$ref')} must be a string`;
    if (resolveRef(root, schema.$ref) === undefined) {
      return `${at('$ref')}: cannot resolve ${JSON.stringify(schema.$ref)} (only #/$defs/NAME and #/definitions/NAME are supported)`;
    }
  }
  if (schema.secret !== undefined && typeof schema.secret !== 'boolean') return `${at('secret')} must be a boolean`;
  return undefined;
}

function isStringList(value: unknown): boolean {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
