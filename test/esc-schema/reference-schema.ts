// The conformance harness's `schema` provider schema (README §6), written out the way the reference's
// schema builders produce it: Boolean().Const(false) is {type: boolean, const: false}, Record() makes
// every listed property required, Tuple() closes the list with `items: false`.
import type { Schema } from '../../src/esc/provider.js';

const tuple = (...prefixItems: Schema[]): Schema => ({ type: 'array', prefixItems, items: false });

export const referenceSchemaProviderSchema: Schema = {
  type: 'object',
  $defs: {
    defRecord: { type: 'object', properties: { baz: { type: 'string', const: 'qux' } }, required: ['baz'] },
  },
  properties: {
    null: { type: 'null' },
    boolean: { type: 'boolean' },
    false: { type: 'boolean', const: false },
    true: { type: 'boolean', const: true },
    number: { type: 'number' },
    pi: { type: 'number', const: 3.14 },
    string: { type: 'string' },
    hello: { type: 'string', const: 'hello' },
    array: { type: 'array', items: true },
    tuple: tuple({ type: 'string', const: 'hello' }, { type: 'string', const: 'world' }),
    map: { type: 'object', additionalProperties: true },
    record: { type: 'object', properties: { foo: { type: 'string' } }, required: ['foo'] },
    anyOf: { anyOf: [{ type: 'string' }, { type: 'number' }] },
    oneOf: { oneOf: [{ type: 'string' }, { type: 'number' }] },
    ref: { $ref: '#/$defs/defRecord' },
    'const-array': { type: 'array', const: ['hello', 42] },
    'const-object': { type: 'object', const: { hello: 'world' } },
    enum: { type: 'string', enum: ['foo', 'bar'] },
    never: false,
    always: true,
    double: tuple({ type: 'string' }, { type: 'number' }),
    triple: tuple({ type: 'string' }, { type: 'number' }, { type: 'boolean' }),
    dependentReq: {
      type: 'object',
      properties: { foo: { type: 'string' }, bar: { type: 'number' } },
      dependentRequired: { foo: ['bar'] },
    },
    multiple: { type: 'number', multipleOf: 2 },
    minimum: { type: 'number', minimum: 1 },
    exclusiveMinimum: { type: 'number', exclusiveMinimum: 1 },
    maximum: { type: 'number', maximum: 1 },
    exclusiveMaximum: { type: 'number', exclusiveMaximum: 1 },
    minLength: { type: 'string', minLength: 1 },
    maxLength: { type: 'string', maxLength: 1 },
    pattern: { type: 'string', pattern: '^foo[0-9]+$' },
    minItems: { type: 'array', minItems: 3 },
    maxItems: { type: 'array', maxItems: 2 },
    minProperties: { type: 'object', minProperties: 1 },
    maxProperties: { type: 'object', maxProperties: 1 },
  },
};
