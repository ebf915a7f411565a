// Properties of the checker over random schemas and values: it never throws, `valid` agrees with the
// violations, every violation path names a node that exists in the value, and check mode with no
// known schemas never reports more about known values than eval mode.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateSchema, type SchemaViolation } from '../../src/esc/schema.js';
import type { Schema } from '../../src/esc/provider.js';
import { escValue, fromJS, isArray, isObject, type EscValue } from '../../src/esc/value.js';

const SEED = 4242;
const keyArb = fc.constantFrom('a', 'b', 'c', 'x y');

type JsonLike = null | boolean | number | string | JsonLike[] | { [key: string]: JsonLike };

const { json: jsonArb } = fc.letrec<{ json: JsonLike }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', maxDepth: 3 },
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -5, max: 5 }),
    fc.double({ noNaN: true, noDefaultInfinity: true, min: -10, max: 10 }),
    fc.string({ maxLength: 4 }),
    fc.array(tie('json'), { maxLength: 3 }),
    fc.dictionary(keyArb, tie('json'), { maxKeys: 3 }),
  ),
}));

/** Values, some nodes unknown (what the check stage sees). */
const valueArb: fc.Arbitrary<EscValue> = fc.tuple(jsonArb, fc.double({ min: 0, max: 0.3, noNaN: true })).map(([json, unknownRate]) => {
  let counter = 0;
  const mark = (v: EscValue): EscValue => {
    counter++;
    if ((counter * 0.618) % 1 < unknownRate) return escValue(null, { unknown: true });
    const { data } = v;
    if (isArray(data)) return escValue(data.map(mark));
    if (isObject(data)) return escValue(new Map([...data].map(([k, item]) => [k, mark(item)])));
    return v;
  };
  return mark(fromJS(json));
});

const { schema: schemaArb } = fc.letrec<{ schema: Schema }>((tie) => ({
  schema: fc.oneof(
    { depthSize: 'small', maxDepth: 3 },
    fc.boolean(),
    fc
      .record(
        {
          type: fc.oneof(fc.constantFrom('null', 'boolean', 'number', 'integer', 'string', 'array', 'object', 'bogus'), fc.constant(['string', 'number'])),
          const: jsonArb,
          enum: fc.array(jsonArb, { maxLength: 3 }),
          properties: fc.dictionary(keyArb, tie('schema'), { maxKeys: 2 }),
          required: fc.array(keyArb, { maxLength: 2 }),
          additionalProperties: tie('schema'),
          items: fc.oneof(tie('schema'), fc.array(tie('schema'), { maxLength: 2 })),
          prefixItems: fc.array(tie('schema'), { maxLength: 2 }),
          anyOf: fc.array(tie('schema'), { maxLength: 2 }),
          oneOf: fc.array(tie('schema'), { maxLength: 2 }),
          allOf: fc.array(tie('schema'), { maxLength: 2 }),
          $ref: fc.constantFrom('#', '#/$defs/d', '#/$defs/missing'),
          $defs: fc.record({ d: tie('schema') }),
          minimum: fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constant('x')),
          multipleOf: fc.constantFrom(0.5, 2, 0, 3),
          minLength: fc.integer({ min: -1, max: 3 }),
          maxItems: fc.nat(3),
          pattern: fc.constantFrom('^a', '[', 'b$'),
          dependentRequired: fc.dictionary(keyArb, fc.array(keyArb, { maxLength: 2 }), { maxKeys: 2 }),
        },
        { requiredKeys: [] },
      )
      .map((s) => s as Schema),
  ),
}));

function nodeAt(value: EscValue, path: readonly (string | number)[]): EscValue | undefined {
  let current: EscValue | undefined = value;
  for (const step of path) {
    const data: EscValue['data'] | undefined = current?.data;
    if (typeof step === 'number' && data !== undefined && isArray(data)) current = data[step];
    else if (typeof step === 'string' && data !== undefined && isObject(data)) current = data.get(step);
    else return undefined;
  }
  return current;
}

const lines = (violations: readonly SchemaViolation[]): string[] => violations.map((v) => `${v.path.join('/')}|${v.message}`).sort();

describe('checkSchema on random schemas and values', () => {
  it('never throws, agrees with itself, and points at existing nodes', () => {
    fc.assert(
      fc.property(schemaArb, valueArb, (schema, value) => {
        for (const mode of ['check', 'eval'] as const) {
          const result = validateSchema(schema, value, { mode });
          if (result.violations.length > 0) expect(result.valid).toBe(false);
          for (const violation of result.violations) {
            expect(violation.message).not.toBe('');
            expect(nodeAt(value, violation.path)).toBeDefined();
          }
        }
        // With no schema known for unknown nodes, both modes judge the known nodes alike.
        expect(lines(validateSchema(schema, value, { mode: 'check' }).violations)).toEqual(
          lines(validateSchema(schema, value, { mode: 'eval' }).violations),
        );
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it('compares random schemas for unknown nodes without throwing, reporting on existing nodes', () => {
    fc.assert(
      fc.property(schemaArb, valueArb, schemaArb, (schema, value, given) => {
        const result = validateSchema(schema, value, { mode: 'check', schemaOf: () => given });
        if (result.violations.length > 0) expect(result.valid).toBe(false);
        for (const violation of result.violations) expect(nodeAt(value, violation.path)).toBeDefined();
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it('judges a value the same against a schema and against its copy in $defs', () => {
    fc.assert(
      fc.property(schemaArb, valueArb, (schema, value) => {
        if (typeof schema === 'boolean' || '$ref' in schema || '$defs' in schema) return;
        const direct = validateSchema(schema, value, { mode: 'eval' });
        const viaRef = validateSchema({ $ref: '#/$defs/target', $defs: { target: schema } }, value, { mode: 'eval' });
        // A `$ref: '#'` inside means "the root", which differs between the two documents.
        if (JSON.stringify(schema).includes('"#"')) return;
        expect(viaRef.valid).toBe(direct.valid);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});
