// The JSON-Schema checker for provider inputs, rotator state and `fn::validate` (conformance README
// §5.7): the subset of JSON Schema the reference evaluator uses, with its exact messages. Pure.
//
// A violation's `path` leads from the checked value to the node at fault (a node that exists in the
// value tree: the caller blames the expression that defined it). In the check stage an unknown node
// is judged by its schema (`schemaOf`); a failure deeper inside it is reported on the unknown node,
// its relative path written in front of the message (`bar: missing required property`), as the
// reference does for values that are not literals at that place. A `false` schema rejects silently,
// so `validateSchema` also says whether the value passed.
import type { Schema } from './provider.js';
import { encodeJSON, sortKeys } from './go-json.js';
import { goQuote } from './ast.js';
import { compareSchemas, describeTypes, typeAccepts } from './schema/compat.js';
import { compareDecimal, isMultipleOf, parseDecimal, type Decimal } from './schema/decimal.js';
import {
  compilePattern,
  countKeyword,
  decimalKeyword,
  dependentRequired,
  isSchemaObject,
  prefixItems,
  properties,
  refTarget,
  resolveRef,
  restItems,
  schemaProblem,
  strings,
  subschema,
  subschemas,
  types,
  type SchemaObject,
  type TypeName,
} from './schema/document.js';
import { EscNumber, fromJS, isArray, isObject, type EscValue } from './value.js';

export type { TypeName } from './schema/document.js';

export interface SchemaViolation {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

export interface CheckOptions {
  readonly mode: 'check' | 'eval';
  /**
   * The schema known for an unknown value (a provider's output schema, a part of one), used in the
   * check stage; absent or undefined means "could be anything". See `schemaProperty`/`schemaItem`.
   */
  readonly schemaOf?: (value: EscValue) => Schema | undefined;
  /**
   * The schema holds secrets (e.g. `fn::validate` with a `const: ${secret}`): messages then print
   * `[secret]` instead of quoting the schema's constants, patterns and limits.
   */
  readonly redactSchema?: boolean;
}

export interface ValidationResult {
  /** False when the value is rejected, including by a `false` schema, which reports nothing. */
  readonly valid: boolean;
  readonly violations: SchemaViolation[];
}

type Path = readonly (string | number)[];

/** The violations of `schema` by `value` (see the file comment for paths and unknown values). */
export function checkSchema(schema: Schema, value: EscValue, options: CheckOptions): SchemaViolation[] {
  return validateSchema(schema, value, options).violations;
}

/** Like `checkSchema`, and also says whether the value passed (a `false` schema fails silently). */
export function validateSchema(schema: Schema, value: EscValue, options: CheckOptions): ValidationResult {
  const problem = schemaProblem(schema);
  if (problem !== undefined) {
    // The problem text quotes schema content (a pattern, a $ref), which a secret schema must not show.
    const message = options.redactSchema === true ? 'invalid schema' : `invalid schema: ${problem}`;
    return { valid: false, violations: [{ path: [], message }] };
  }
  const validator = new Validator(schema, options);
  const valid = validator.element(value, schema, []);
  return { valid, violations: validator.violations };
}

/** The JSON type of a value's data, as messages name it (`expected string, got number`). */
export function typeName(value: EscValue): TypeName {
  const { data } = value;
  if (data === null) return 'null';
  if (typeof data === 'boolean') return 'boolean';
  if (data instanceof EscNumber) return 'number';
  if (typeof data === 'string') return 'string';
  if (isArray(data)) return 'array';
  return 'object';
}

const ONE = parseDecimal('1')!;

class Validator {
  violations: SchemaViolation[] = [];
  /** The schemas being applied to each value node, to cut `$ref` loops. */
  private readonly applying = new WeakMap<EscValue, Set<object>>();

  constructor(
    private readonly root: Schema,
    private readonly options: CheckOptions,
  ) {}

  /** Applies `schema` to one value node; false when the node is rejected (possibly silently). */
  element(value: EscValue, schema: Schema | undefined, path: Path): boolean {
    if (schema === undefined || schema === true) return true;
    if (schema === false || !isSchemaObject(schema)) return false;
    if (value.unknown) return this.unknown(value, schema, path);
    // `$ref: '#'` or a $defs entry that refers to itself would apply the same schema to the same
    // node forever; the inner application adds nothing the outer one does not check.
    let applying = this.applying.get(value);
    if (applying === undefined) this.applying.set(value, (applying = new Set()));
    if (applying.has(schema)) return true;
    applying.add(schema);
    try {
      return this.keywords(value, schema, path);
    } finally {
      applying.delete(schema);
    }
  }

  /** Mirrors the reference's order: $ref, anyOf, oneOf, allOf, const, enum, type and its clauses, secret. */
  private keywords(value: EscValue, schema: SchemaObject, path: Path): boolean {
    const ref = refTarget(this.root, schema);
    const results = [
      ref === undefined || this.element(value, ref, path),
      this.anyOf(value, subschemas(schema, 'anyOf'), path),
      this.oneOf(value, subschemas(schema, 'oneOf'), path),
      subschemas(schema, 'allOf').map((sub) => this.element(value, sub, path)).every(Boolean),
      this.constant(value, schema, path),
      this.enumeration(value, schema, path),
      this.typed(value, schema, path),
      this.secret(value, schema, path),
    ];
    return results.every(Boolean);
  }

  private unknown(value: EscValue, accept: SchemaObject, path: Path): boolean {
    // In eval an unknown already has its own diagnostic (or is deliberately unknown): nothing to add.
    if (this.options.mode === 'eval') return true;
    const secretOk = this.secret(value, accept, path);
    const given = this.options.schemaOf?.(value);
    if (given === undefined || schemaProblem(given) !== undefined) return secretOk;
    const { ok, failures } = compareSchemas({ schema: given, root: given }, { schema: accept, root: this.root });
    for (const failure of failures) {
      this.report(path, failure.relative === '' ? failure.message : `${failure.relative}: ${failure.message}`);
    }
    return ok && secretOk;
  }

  private anyOf(value: EscValue, alternatives: readonly Schema[], path: Path): boolean {
    if (alternatives.length === 0) return true;
    const attempts = alternatives.map((alt) => this.attempt(() => this.element(value, alt, path)));
    if (attempts.some((a) => a.ok)) return true;
    for (const a of attempts) this.violations.push(...a.violations);
    this.report(path, 'at least one subschema must match');
    return false;
  }

  private oneOf(value: EscValue, alternatives: readonly Schema[], path: Path): boolean {
    if (alternatives.length === 0) return true;
    const attempts = alternatives.map((alt) => this.attempt(() => this.element(value, alt, path)));
    const matches = attempts.filter((a) => a.ok).length;
    if (matches === 1) return true;
    if (matches > 1) {
      this.report(path, 'exactly one subschema may match');
      return false;
    }
    for (const a of attempts) this.violations.push(...a.violations);
    this.report(path, 'exactly one subschema must match');
    return false;
  }

  /** Runs a check into a scratch list, so alternatives only report when none of them fits. */
  private attempt(check: () => boolean): { ok: boolean; violations: SchemaViolation[] } {
    const outer = this.violations;
    this.violations = [];
    try {
      const ok = check();
      return { ok, violations: this.violations };
    } finally {
      this.violations = outer;
    }
  }

  private constant(value: EscValue, schema: SchemaObject, path: Path): boolean {
    if (!Object.prototype.hasOwnProperty.call(schema, 'const') || schema.const === undefined) return true;
    if (equalsConstant(value, schema.const)) return true;
    this.report(path, `expected ${this.quote(jsonText(schema.const))}`);
    return false;
  }

  private enumeration(value: EscValue, schema: SchemaObject, path: Path): boolean {
    const options = schema.enum;
    if (!Array.isArray(options) || options.length === 0) return true;
    if (options.some((option) => equalsConstant(value, option))) return true;
    this.report(path, options.length === 1 ? `expected ${this.quote(jsonText(options[0]))}` : `expected one of ${this.quote(jsonText(options))}`);
    return false;
  }

  /** The type check, then the clauses for the value's type (skipped when the type is wrong). */
  private typed(value: EscValue, schema: SchemaObject, path: Path): boolean {
    const actual = typeName(value);
    const expected = types(schema);
    if (expected !== undefined && !typeAccepts(expected, actual)) {
      const integral = actual === 'number' && expected.includes('integer');
      if (!integral || !isInteger((value.data as EscNumber).text)) {
        this.report(path, `expected ${describeTypes(expected)}, got ${actual}`);
        return false;
      }
    }
    const { data } = value;
    if (data instanceof EscNumber) return this.number(data.text, schema, path);
    if (typeof data === 'string') return this.string(data, schema, path);
    if (isArray(data)) return this.array(data, schema, path);
    if (isObject(data)) return this.object(data, schema, path);
    return true;
  }

  private number(text: string, schema: SchemaObject, path: Path): boolean {
    let ok = true;
    const fail = (message: string): void => {
      this.report(path, message);
      ok = false;
    };
    const multipleOf = decimalKeyword(schema, 'multipleOf');
    if (multipleOf && !numberIsMultipleOf(text, multipleOf.value)) fail(`expected a multiple of ${this.quote(multipleOf.text)}`);
    const bound = (keyword: string, passes: (order: number) => boolean, message: string): void => {
      const limit = decimalKeyword(schema, keyword);
      if (limit === undefined) return;
      const order = compareNumber(text, limit.value);
      if (order === undefined || !passes(order)) fail(`${message}${this.quote(limit.text)}`);
    };
    bound('minimum', (o) => o >= 0, 'expected a number greater than or equal to ');
    bound('exclusiveMinimum', (o) => o > 0, 'expected a number greater than ');
    // "to" without a space: the reference's wording, kept so diagnostics match it exactly.
    bound('maximum', (o) => o <= 0, 'expected a number less than or equal to');
    bound('exclusiveMaximum', (o) => o < 0, 'expected a number less than ');
    return ok;
  }

  private string(text: string, schema: SchemaObject, path: Path): boolean {
    let ok = true;
    const length = codePointLength(text);
    const minLength = countKeyword(schema, 'minLength');
    if (minLength !== undefined && length < minLength) {
      this.report(path, `expected a string of at least length ${this.quote(String(minLength))}`);
      ok = false;
    }
    const maxLength = countKeyword(schema, 'maxLength');
    if (maxLength !== undefined && length > maxLength) {
      this.report(path, `expected a string of at most length ${this.quote(String(maxLength))}`);
      ok = false;
    }
    if (typeof schema.pattern === 'string') {
      const pattern = compilePattern(schema.pattern);
      if (pattern instanceof RegExp && !pattern.test(text)) {
        this.report(path, `string must match the pattern ${this.quote(goQuote(schema.pattern))}`);
        ok = false;
      }
    }
    return ok;
  }

  private array(items: readonly EscValue[], schema: SchemaObject, path: Path): boolean {
    let ok = true;
    const minItems = countKeyword(schema, 'minItems');
    if (minItems !== undefined && items.length < minItems) {
      this.report(path, `expected an array with at least ${this.quote(String(minItems))} items`);
      ok = false;
    }
    const maxItems = countKeyword(schema, 'maxItems');
    if (maxItems !== undefined && items.length > maxItems) {
      this.report(path, `expected an array with at most ${this.quote(String(maxItems))} items`);
      ok = false;
    }
    const prefix = prefixItems(schema);
    const rest = restItems(schema);
    items.forEach((item, i) => {
      ok = this.element(item, i < prefix.length ? prefix[i] : rest, [...path, i]) && ok;
    });
    return ok;
  }

  private object(entries: ReadonlyMap<string, EscValue>, schema: SchemaObject, path: Path): boolean {
    let ok = true;
    const minProperties = countKeyword(schema, 'minProperties');
    if (minProperties !== undefined && entries.size < minProperties) {
      this.report(path, `expected an object with at least ${this.quote(String(minProperties))} properties`);
      ok = false;
    }
    const maxProperties = countKeyword(schema, 'maxProperties');
    if (maxProperties !== undefined && entries.size > maxProperties) {
      this.report(path, `expected an object with at most ${this.quote(String(maxProperties))} properties`);
      ok = false;
    }
    const declared = properties(schema);
    const additional = subschema(schema, 'additionalProperties');
    for (const key of sortKeys([...entries.keys()])) {
      const propertySchema = declared.has(key) ? declared.get(key) : additional;
      ok = this.element(entries.get(key)!, propertySchema, [...path, key]) && ok;
    }
    const missing = strings(schema, 'required').filter((key) => !entries.has(key));
    for (const [key, needs] of dependentRequired(schema)) {
      if (entries.has(key)) missing.push(...needs.filter((need) => !entries.has(need)));
    }
    if (missing.length > 0) {
      this.report(path, `missing required properties: ${this.quote(missing.join(', '))}`);
      ok = false;
    }
    return ok;
  }

  private secret(value: EscValue, schema: SchemaObject, path: Path): boolean {
    if (schema.secret !== true || value.secret) return true;
    this.report(path, 'expected secret');
    return false;
  }

  /** Schema content for a message, unless the schema is secret. */
  private quote(text: string): string {
    return this.options.redactSchema === true ? '[secret]' : text;
  }

  private report(path: Path, message: string): void {
    this.violations.push({ path, message });
  }
}

/**
 * Length in code points, as JSON Schema defines it (the reference counts UTF-8 bytes; the two agree
 * on ASCII). A lone surrogate counts as one.
 */
function codePointLength(text: string): number {
  let length = 0;
  for (const _ of text) length++;
  return length;
}

function isInteger(text: string): boolean {
  const value = parseDecimal(text);
  return value !== undefined && isMultipleOf(value, ONE);
}

/** Number texts the decimal parser does not take (`+Inf`, `NaN`, hex from YAML) compared as floats. */
function floatOf(text: string): number {
  if (text === '+Inf' || text === '.inf' || text === '+.inf') return Infinity;
  if (text === '-Inf' || text === '-.inf') return -Infinity;
  return Number(text);
}

function compareNumber(text: string, limit: Decimal): number | undefined {
  const value = parseDecimal(text);
  if (value !== undefined) return compareDecimal(value, limit);
  const float = floatOf(text);
  const bound = Number(`${limit.negative ? '-' : ''}${limit.coefficient}e${limit.exponent}`);
  if (Number.isNaN(float)) return undefined;
  return float === bound ? 0 : float < bound ? -1 : 1;
}

function numberIsMultipleOf(text: string, divisor: Decimal): boolean {
  const value = parseDecimal(text);
  return value !== undefined && isMultipleOf(value, divisor);
}

/** JSON-equality of a value and a schema constant (numbers by value); unknown parts cannot differ yet. */
function equalsConstant(value: EscValue, constant: unknown): boolean {
  if (value.unknown) return true;
  const { data } = value;
  if (constant === null) return data === null;
  if (typeof constant === 'boolean' || typeof constant === 'string') return data === constant;
  if (typeof constant === 'number' || constant instanceof EscNumber) {
    if (!(data instanceof EscNumber)) return false;
    const a = parseDecimal(data.text);
    const b = parseDecimal(String(constant));
    return a !== undefined && b !== undefined ? compareDecimal(a, b) === 0 : floatOf(data.text) === Number(constant);
  }
  if (Array.isArray(constant)) {
    return isArray(data) && data.length === constant.length && data.every((item, i) => equalsConstant(item, constant[i]));
  }
  if (isSchemaObject(constant)) {
    const keys = Object.keys(constant);
    return isObject(data) && data.size === keys.length && keys.every((k) => data.has(k) && equalsConstant(data.get(k)!, constant[k]));
  }
  return false;
}

/** A schema constant as Go's json.Marshal prints it (keys sorted, HTML characters escaped). */
function jsonText(constant: unknown): string {
  try {
    return encodeJSON(fromJS(constant));
  } catch {
    return String(constant);
  }
}

// ---- Schemas of parts of a value, for unknown values in the check stage -------------------------

const MAX_REF_HOPS = 64;

/**
 * The schema of property `key` of any value that satisfies `schema` (`false` when no such value can
 * have that property, `true` when anything goes). The result is self-contained: `$ref`s inside it
 * still resolve. Use it to give `${x.key}` a schema when `x` is unknown.
 */
export function schemaProperty(schema: Schema, key: string): Schema {
  return selfContained(schema, partOf(schema, schema, (s) => {
    const declared = properties(s);
    return declared.has(key) ? declared.get(key)! : subschema(s, 'additionalProperties') ?? true;
  }, 'object', 0));
}

/** The schema of element `index` of any value that satisfies `schema` (see `schemaProperty`). */
export function schemaItem(schema: Schema, index: number): Schema {
  return selfContained(schema, partOf(schema, schema, (s) => {
    const prefix = prefixItems(s);
    return index < prefix.length ? prefix[index]! : restItems(s) ?? true;
  }, 'array', 0));
}

function partOf(root: Schema, schema: Schema, own: (s: SchemaObject) => Schema, type: TypeName, hops: number): Schema {
  if (typeof schema === 'boolean' || !isSchemaObject(schema)) return schema;
  if (hops > MAX_REF_HOPS) return true;
  if (typeof schema.$ref === 'string') {
    const target = resolveRef(root, schema.$ref);
    return target === undefined ? true : partOf(root, target, own, type, hops + 1);
  }
  const alternatives = [...subschemas(schema, 'anyOf'), ...subschemas(schema, 'oneOf')];
  const candidates = alternatives.map((alt) => partOf(root, alt, own, type, hops + 1));
  const declared = types(schema);
  if (declared !== undefined) {
    if (declared.includes(type)) candidates.push(own(schema));
  } else if (alternatives.length === 0) {
    candidates.push(own(schema));
  }
  const possible = candidates.filter((c) => c !== false);
  if (possible.length === 0) return false;
  if (possible.some((c) => c === true)) return true;
  return possible.length === 1 ? possible[0]! : { anyOf: possible };
}

/** Carries the root's definitions along, so `$ref`s in a part of the schema keep resolving. */
function selfContained(root: Schema, part: Schema): Schema {
  if (typeof part === 'boolean' || part === root || !isSchemaObject(root)) return part;
  const defs: Record<string, unknown> = {};
  if (root.$defs !== undefined) defs.$defs = root.$defs;
  if (root.definitions !== undefined) defs.definitions = root.definitions;
  return Object.keys(defs).length === 0 ? part : { ...part, ...defs };
}
