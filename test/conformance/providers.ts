// The harness providers of the conformance corpus (README §6).
import type { Provider, ProviderRegistry, Schema } from '../../src/esc/provider.js';
import type { Rotator, RotatorRegistry } from '../../src/esc/types.js';
import { escValue, markSecretDeep, type EscValue } from '../../src/esc/value.js';

const anything: Schema = true;

const test: Provider = {
  inputSchema: anything,
  outputSchema: anything,
  open: async (inputs) => inputs,
};

const secretWrapper: Provider = {
  inputSchema: anything,
  outputSchema: anything,
  open: async (inputs) => markSecretDeep(inputs),
};

const error: Provider = {
  inputSchema: { type: 'object', properties: { why: { type: 'string' } }, required: ['why'] },
  outputSchema: anything,
  open: async (inputs: EscValue) => {
    const why = inputs.data instanceof Map ? inputs.data.get('why')?.data : undefined;
    throw new Error(typeof why === 'string' ? why : 'error');
  },
};

/** The `schema` provider's input (and output) schema, as §6 lists it. */
export const schemaProviderSchema: Schema = {
  type: 'object',
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
    tuple: { type: 'array', prefixItems: [{ type: 'string', const: 'hello' }, { type: 'string', const: 'world' }], items: false },
    map: { type: 'object', additionalProperties: true },
    record: { type: 'object', properties: { foo: { type: 'string' } }, required: ['foo'] },
    anyOf: { anyOf: [{ type: 'string' }, { type: 'number' }] },
    oneOf: { oneOf: [{ type: 'string' }, { type: 'number' }] },
    ref: { $ref: '#/$defs/ref' },
    'const-array': { type: 'array', const: ['hello', 42] },
    'const-object': { type: 'object', const: { hello: 'world' } },
    enum: { type: 'string', enum: ['foo', 'bar'] },
    never: false,
    always: true,
    double: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }], items: false },
    triple: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }], items: false },
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
  additionalProperties: true,
  $defs: { ref: { type: 'object', properties: { baz: { type: 'string', const: 'qux' } }, required: ['baz'] } },
};

const schema: Provider = {
  inputSchema: schemaProviderSchema,
  outputSchema: schemaProviderSchema,
  open: async (inputs) => inputs,
};

export function harnessProviders(): ProviderRegistry {
  return new Map<string, Provider>([
    ['test', test],
    ['secret-wrapper', secretWrapper],
    ['error', error],
    ['schema', schema],
  ]);
}

function field(value: EscValue | null, key: string): EscValue | undefined {
  return value !== null && value.data instanceof Map ? value.data.get(key) : undefined;
}

const swap: Rotator = {
  inputSchema: true,
  stateSchema: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, required: ['a', 'b'] },
  outputSchema: true,
  open: async (_inputs, state) => state ?? escValue(null),
  rotate: async (_inputs, state) =>
    escValue(
      new Map([
        ['a', field(state, 'b') ?? escValue(null)],
        ['b', field(state, 'a') ?? escValue(null)],
      ]),
    ),
};

const echo: Rotator = {
  inputSchema: { type: 'object', properties: { next: { type: 'string', rotateOnly: true } }, required: ['next'] },
  stateSchema: { type: 'object', properties: { current: { type: 'string' }, previous: { type: 'string' } }, required: ['current'] },
  outputSchema: true,
  open: async (inputs, state) => {
    const next = field(inputs, 'next');
    if (next !== undefined && !next.unknown && next.data !== field(state, 'current')?.data) {
      throw new Error('oh no! inputs were evaluated outside of rotation');
    }
    return state ?? escValue(new Map());
  },
  rotate: async (inputs, state) => {
    const next = field(inputs, 'next');
    if (next === undefined || next.unknown) throw new Error('oh no! rotateOnly inputs were not evaluated during rotation');
    return escValue(
      new Map([
        ['current', next],
        ['previous', field(state, 'current') ?? escValue(null)],
      ]),
    );
  },
};

export function harnessRotators(): RotatorRegistry {
  return new Map<string, Rotator>([
    ['swap', swap],
    ['echo', echo],
  ]);
}
