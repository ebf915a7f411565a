// The `schema-error` conformance case, replayed against the checker alone: the `schema` provider's
// input schema applied to the `sink` inputs, in the eval stage (every value known) and in the check
// stage (references into the provider output `source` are unknown, known only by their schema).
// Expected messages are the reference's, from the case's expected.json.
import { describe, expect, it } from 'vitest';
import { checkSchema, schemaProperty, type SchemaViolation } from '../../src/esc/schema.js';
import { fromJS, escValue, type EscValue } from '../../src/esc/value.js';
import { referenceSchemaProviderSchema as providerSchema } from './reference-schema.js';

/** The `source` inputs of the case (what `fn::open::schema` returns in eval). */
const source: Record<string, unknown> = {
  null: null,
  boolean: true,
  false: false,
  true: true,
  number: 42,
  pi: 3.14,
  string: 'esc',
  hello: 'hello',
  array: [2, 'items', { some: 'object' }, ['array']],
  tuple: ['hello', 'world'],
  map: { hello: 'world', blue: 42 },
  record: { foo: 'bar' },
  anyOf: 'hello',
  oneOf: 42,
  ref: { baz: 'qux' },
  'const-array': ['hello', 42],
  'const-object': { hello: 'world' },
  enum: 'foo',
  always: {},
  double: ['hello', 42],
  triple: ['hello', 42, true],
  dependentReq: { foo: 'bar', bar: 42 },
  multiple: 4,
  minimum: 1,
  exclusiveMinimum: 2,
  maximum: 1,
  exclusiveMaximum: 0,
  minLength: 'a',
  maxLength: 'a',
  pattern: 'foo42',
  minProperties: { foo: 'bar' },
  maxProperties: { foo: 'bar' },
};

/** The `sink` inputs: a key of `source` stands for `${source.key}`; `{literal}` for a literal. */
const sink: Record<string, string | { literal: unknown }> = {
  boolean: 'null',
  string: 'array',
  number: 'record',
  record: 'always',
  anyOf: 'false',
  oneOf: 'false',
  'const-array': 'string',
  'const-object': 'string',
  enum: 'string',
  double: 'triple',
  triple: 'double',
  dependentReq: 'record',
  multiple: 'pi',
  minimum: 'exclusiveMaximum',
  exclusiveMinimum: 'minimum',
  maximum: 'exclusiveMinimum',
  exclusiveMaximum: 'maximum',
  minLength: { literal: '' },
  maxLength: 'string',
  pattern: 'string',
  minItems: 'double',
  maxItems: 'triple',
  minProperties: 'always',
  maxProperties: 'dependentReq',
};

const evalExpected = [
  'boolean | expected boolean, got null',
  'string | expected string, got array',
  'number | expected number, got object',
  'record | missing required properties: foo',
  'anyOf | expected number, got boolean',
  'anyOf | at least one subschema must match',
  'anyOf | expected string, got boolean',
  'oneOf | exactly one subschema must match',
  'oneOf | expected number, got boolean',
  'oneOf | expected string, got boolean',
  'const-array | expected ["hello",42]',
  'const-array | expected array, got string',
  'const-object | expected object, got string',
  'const-object | expected {"hello":"world"}',
  'enum | expected one of ["foo","bar"]',
  'dependentReq | missing required properties: bar',
  'multiple | expected a multiple of 2',
  'minimum | expected a number greater than or equal to 1',
  'exclusiveMinimum | expected a number greater than 1',
  'maximum | expected a number less than or equal to1',
  'exclusiveMaximum | expected a number less than 1',
  'minLength | expected a string of at least length 1',
  'maxLength | expected a string of at most length 1',
  'pattern | string must match the pattern "^foo[0-9]+$"',
  'minItems | expected an array with at least 3 items',
  'maxItems | expected an array with at most 2 items',
  'minProperties | expected an object with at least 1 properties',
  'maxProperties | expected an object with at most 1 properties',
];

const checkExpected = [
  'boolean | expected boolean, got null',
  'string | expected string, got array',
  'number | expected number, got object',
  'anyOf | expected number, got boolean',
  'anyOf | at least one subschema must match',
  'anyOf | expected string, got boolean',
  'oneOf | expected string, got boolean',
  'oneOf | expected number, got boolean',
  'oneOf | at least one subschema must match',
  'const-array | expected array, got string',
  'const-object | expected object, got string',
  'dependentReq | bar: missing required property',
  'minLength | expected a string of at least length 1',
];

function lines(violations: readonly SchemaViolation[]): string[] {
  return violations.map((v) => `${v.path.join('.')} | ${v.message}`).sort();
}

describe('the schema-error conformance case', () => {
  it('reports exactly the reference eval-stage violations', () => {
    const inputs = fromJS(
      Object.fromEntries(Object.entries(sink).map(([k, ref]) => [k, typeof ref === 'string' ? source[ref] : ref.literal])),
    );
    expect(lines(checkSchema(providerSchema, inputs, { mode: 'eval' }))).toEqual([...evalExpected].sort());
  });

  it('reports exactly the reference check-stage violations when references are unknown', () => {
    const schemas = new Map<EscValue, ReturnType<typeof schemaProperty>>();
    const entries = Object.entries(sink).map(([k, ref]): [string, EscValue] => {
      if (typeof ref !== 'string') return [k, fromJS(ref.literal)];
      const unknown = escValue(null, { unknown: true });
      schemas.set(unknown, schemaProperty(providerSchema, ref));
      return [k, unknown];
    });
    const inputs = escValue(new Map(entries));
    const violations = checkSchema(providerSchema, inputs, { mode: 'check', schemaOf: (v) => schemas.get(v) });
    expect(lines(violations)).toEqual([...checkExpected].sort());
  });

  it('accepts the source inputs, known or as unknowns of the provider output schema', () => {
    expect(checkSchema(providerSchema, fromJS(source), { mode: 'eval' })).toEqual([]);
    const unknown = escValue(null, { unknown: true });
    expect(checkSchema(providerSchema, unknown, { mode: 'check', schemaOf: () => providerSchema })).toEqual([]);
  });
});
