// One block per supported keyword: what passes, what fails, and the exact message and path.
import { describe, expect, it } from 'vitest';
import { checkSchema, schemaItem, schemaProperty, typeName, validateSchema } from '../../src/esc/schema.js';
import type { Schema } from '../../src/esc/provider.js';
import { EscNumber, escValue, fromJS, type EscValue } from '../../src/esc/value.js';

const evalMode = { mode: 'eval' } as const;
const num = (text: string): EscValue => escValue(new EscNumber(text));
const unknown = (): EscValue => escValue(null, { unknown: true });

/** Violations as `path | message` lines, in reporting order. */
function check(schema: Schema, value: EscValue | unknown): string[] {
  const v = isEscValue(value) ? value : fromJS(value);
  return checkSchema(schema, v, evalMode).map((x) => `${x.path.join('.')} | ${x.message}`);
}

function isEscValue(value: unknown): value is EscValue {
  return typeof value === 'object' && value !== null && 'data' in value && 'secret' in value && 'unknown' in value;
}

describe('typeName', () => {
  it('names each kind of value', () => {
    expect([null, true, 1, 's', [], {}].map((x) => typeName(fromJS(x)))).toEqual([
      'null',
      'boolean',
      'number',
      'string',
      'array',
      'object',
    ]);
  });
});

describe('true and false schemas', () => {
  it('true accepts anything', () => {
    expect(validateSchema(true, fromJS({ a: [1] }), evalMode)).toEqual({ valid: true, violations: [] });
  });
  it('false rejects silently', () => {
    expect(validateSchema(false, fromJS(1), evalMode)).toEqual({ valid: false, violations: [] });
  });
  it('an empty object schema accepts anything', () => {
    expect(check({}, [1, 'x', null])).toEqual([]);
  });
});

describe('type', () => {
  it('reports the expected and actual type', () => {
    expect(check({ type: 'string' }, 42)).toEqual([' | expected string, got number']);
    expect(check({ type: 'object' }, [1])).toEqual([' | expected object, got array']);
    expect(check({ type: 'null' }, false)).toEqual([' | expected null, got boolean']);
  });
  it('accepts a list of types and names them all when none fits', () => {
    expect(check({ type: ['string', 'number'] }, 42)).toEqual([]);
    expect(check({ type: ['string', 'number'] }, true)).toEqual([' | expected string or number, got boolean']);
  });
  it('integer accepts whole numbers written any way, rejects fractions', () => {
    expect(check({ type: 'integer' }, num('42'))).toEqual([]);
    expect(check({ type: 'integer' }, num('4.0'))).toEqual([]);
    expect(check({ type: 'integer' }, num('1e3'))).toEqual([]);
    expect(check({ type: 'integer' }, num('4.5'))).toEqual([' | expected integer, got number']);
  });
  it('skips the type-specific clauses when the type is wrong', () => {
    expect(check({ type: 'string', minLength: 3 }, 1)).toEqual([' | expected string, got number']);
  });
  it('applies type-specific clauses by the value type when no type is given', () => {
    expect(check({ minLength: 3, minimum: 5 }, 'ab')).toEqual([' | expected a string of at least length 3']);
    expect(check({ minLength: 3, minimum: 5 }, 4)).toEqual([' | expected a number greater than or equal to 5']);
  });
});

describe('const and enum', () => {
  it('const prints the constant as compact JSON with sorted keys', () => {
    expect(check({ const: { b: 1, a: 'x' } }, { a: 'x', b: 1 })).toEqual([]);
    expect(check({ const: { b: 1, a: 'x' } }, { a: 'x', b: 2 })).toEqual([' | expected {"a":"x","b":1}']);
    expect(check({ const: ['hello', 42] }, 'esc')).toEqual([' | expected ["hello",42]']);
    expect(check({ const: '<&>' }, 'x')).toEqual([' | expected "\\u003c\\u0026\\u003e"']);
  });
  it('compares numbers by value, not by text', () => {
    expect(check({ const: 1 }, num('1.0'))).toEqual([]);
    expect(check({ const: 3.14 }, num('3.140'))).toEqual([]);
    expect(check({ const: 3.14 }, num('3.1'))).toEqual([' | expected 3.14']);
  });
  it('an object constant needs exactly its keys', () => {
    expect(check({ const: { a: 1 } }, { a: 1, b: 2 })).toEqual([' | expected {"a":1}']);
  });
  it('honours const null and const false', () => {
    expect(check({ const: null }, 0)).toEqual([' | expected null']);
    expect(check({ const: false }, false)).toEqual([]);
    expect(check({ const: false }, 0)).toEqual([' | expected false']);
  });
  it('enum lists the allowed values; a one-value enum reads like const', () => {
    expect(check({ enum: ['foo', 'bar'] }, 'bar')).toEqual([]);
    expect(check({ enum: ['foo', 'bar'] }, 'baz')).toEqual([' | expected one of ["foo","bar"]']);
    expect(check({ enum: ['foo'] }, 'baz')).toEqual([' | expected "foo"']);
    expect(check({ enum: [1, null] }, null)).toEqual([]);
  });
});

describe('objects: properties, additionalProperties, required, dependentRequired, min/maxProperties', () => {
  const record: Schema = {
    type: 'object',
    properties: { name: { type: 'string' }, port: { type: 'number' } },
    required: ['name', 'port'],
  };
  it('checks each declared property at its path', () => {
    expect(check(record, { name: 1, port: 'x' })).toEqual(['name | expected string, got number', 'port | expected number, got string']);
  });
  it('lists every missing required property in one message, in schema order', () => {
    expect(check(record, {})).toEqual([' | missing required properties: name, port']);
    expect(check(record, { port: 1 })).toEqual([' | missing required properties: name']);
  });
  it('additionalProperties schema applies to undeclared keys; absent means anything', () => {
    expect(check({ type: 'object', additionalProperties: { type: 'number' } }, { a: 1, b: 'x' })).toEqual([
      'b | expected number, got string',
    ]);
    expect(check({ type: 'object', properties: { a: { type: 'number' } } }, { a: 1, b: 'x' })).toEqual([]);
  });
  it('additionalProperties: false rejects undeclared keys silently (the reference has no message)', () => {
    const schema: Schema = { type: 'object', properties: { a: true }, additionalProperties: false };
    expect(validateSchema(schema, fromJS({ a: 1 }), evalMode).valid).toBe(true);
    expect(validateSchema(schema, fromJS({ a: 1, b: 2 }), evalMode)).toEqual({ valid: false, violations: [] });
  });
  it('dependentRequired asks for the dependencies of present keys only', () => {
    const schema: Schema = { type: 'object', dependentRequired: { foo: ['bar', 'baz'] } };
    expect(check(schema, { foo: 'x', bar: 1, baz: 2 })).toEqual([]);
    expect(check(schema, { bar: 1 })).toEqual([]);
    expect(check(schema, { foo: 'x', baz: 2 })).toEqual([' | missing required properties: bar']);
  });
  it('joins required and dependentRequired misses in one message', () => {
    const schema: Schema = { type: 'object', required: ['a'], dependentRequired: { foo: ['bar'] } };
    expect(check(schema, { foo: 1 })).toEqual([' | missing required properties: a, bar']);
  });
  it('minProperties and maxProperties', () => {
    expect(check({ minProperties: 1 }, {})).toEqual([' | expected an object with at least 1 properties']);
    expect(check({ maxProperties: 1 }, { a: 1, b: 2 })).toEqual([' | expected an object with at most 1 properties']);
    expect(check({ minProperties: 1, maxProperties: 1 }, { a: 1 })).toEqual([]);
  });
  it('reports nested failures with the full path, keys in sorted order', () => {
    const schema: Schema = {
      type: 'object',
      additionalProperties: { type: 'object', properties: { list: { type: 'array', items: { type: 'string' } } } },
    };
    expect(check(schema, { z: { list: ['a', 1] }, a: { list: [true] } })).toEqual([
      'a.list.0 | expected string, got boolean',
      'z.list.1 | expected string, got number',
    ]);
  });
});

describe('arrays: items, prefixItems, tuple form, min/maxItems', () => {
  it('items applies to every element', () => {
    expect(check({ type: 'array', items: { type: 'number' } }, [1, 'a', 2, null])).toEqual([
      '1 | expected number, got string',
      '3 | expected number, got null',
    ]);
  });
  it('prefixItems applies by position and items to the rest; items: false closes the tuple silently', () => {
    const pair: Schema = { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }], items: false };
    expect(check(pair, ['a', 1])).toEqual([]);
    expect(check(pair, [1, 'a'])).toEqual(['0 | expected string, got number', '1 | expected number, got string']);
    expect(validateSchema(pair, fromJS(['a', 1, true]), evalMode)).toEqual({ valid: false, violations: [] });
    // A shorter list is fine: prefixItems does not demand elements (minItems does).
    expect(check(pair, ['a'])).toEqual([]);
  });
  it('accepts the older tuple form items: [...] with additionalItems', () => {
    const schema: Schema = { type: 'array', items: [{ type: 'string' }], additionalItems: { type: 'boolean' } };
    expect(check(schema, ['a', true, false])).toEqual([]);
    expect(check(schema, ['a', 1])).toEqual(['1 | expected boolean, got number']);
  });
  it('minItems and maxItems', () => {
    expect(check({ minItems: 3 }, [1, 2])).toEqual([' | expected an array with at least 3 items']);
    expect(check({ maxItems: 2 }, [1, 2, 3])).toEqual([' | expected an array with at most 2 items']);
  });
});

describe('anyOf, oneOf, allOf', () => {
  const stringOrNumber = [{ type: 'string' }, { type: 'number' }];
  it('anyOf: quiet when one branch fits; otherwise every branch error and a summary', () => {
    expect(check({ anyOf: stringOrNumber }, 1)).toEqual([]);
    expect(check({ anyOf: stringOrNumber }, true)).toEqual([
      ' | expected string, got boolean',
      ' | expected number, got boolean',
      ' | at least one subschema must match',
    ]);
  });
  it('oneOf: exactly one must match; two matches are reported without branch errors', () => {
    expect(check({ oneOf: stringOrNumber }, 's')).toEqual([]);
    expect(check({ oneOf: stringOrNumber }, null)).toEqual([
      ' | expected string, got null',
      ' | expected number, got null',
      ' | exactly one subschema must match',
    ]);
    expect(check({ oneOf: [{ type: 'number' }, { minimum: 0 }] }, 1)).toEqual([' | exactly one subschema may match']);
  });
  it('allOf: every branch applies and reports', () => {
    expect(check({ allOf: [{ type: 'number' }, { minimum: 5 }, { maximum: 1 }] }, 3)).toEqual([
      ' | expected a number greater than or equal to 5',
      ' | expected a number less than or equal to1',
    ]);
  });
  it('branch errors keep their nested paths', () => {
    const schema: Schema = { anyOf: [{ type: 'object', properties: { a: { type: 'string' } } }, { type: 'string' }] };
    expect(check(schema, { a: 1 })).toEqual(['a | expected string, got number', ' | expected string, got object', ' | at least one subschema must match']);
  });
});

describe('$ref', () => {
  it('resolves #/$defs/NAME and #/definitions/NAME against the root', () => {
    const schema: Schema = {
      type: 'object',
      properties: { a: { $ref: '#/$defs/port' }, b: { $ref: '#/definitions/name' } },
      $defs: { port: { type: 'number', maximum: 65535 } },
      definitions: { name: { type: 'string' } },
    };
    expect(check(schema, { a: 70000, b: 1 })).toEqual([
      'a | expected a number less than or equal to65535',
      'b | expected string, got number',
    ]);
  });
  it('follows recursive definitions through the value', () => {
    const tree: Schema = {
      $ref: '#/$defs/node',
      $defs: { node: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/$defs/node' } } }, required: ['name'] } },
    };
    expect(check(tree, { name: 'a', children: [{ name: 'b', children: [{ children: [] }] }] })).toEqual([
      'children.0.children.0 | missing required properties: name',
    ]);
  });
  it('terminates on references that loop without consuming the value', () => {
    expect(validateSchema({ $ref: '#' }, fromJS({ a: 1 }), evalMode)).toEqual({ valid: true, violations: [] });
    const loop: Schema = { $ref: '#/$defs/a', $defs: { a: { $ref: '#/$defs/b' }, b: { $ref: '#/$defs/a', type: 'string' } } };
    expect(check(loop, 1)).toEqual([' | expected string, got number']);
  });
  it('unescapes JSON-pointer and percent escapes in names', () => {
    const schema: Schema = { $ref: '#/$defs/a~1b%20c', $defs: { 'a/b c': { type: 'null' } } };
    expect(check(schema, 1)).toEqual([' | expected null, got number']);
  });
});

describe('numbers: multipleOf, minimum, maximum, exclusive bounds', () => {
  it('uses the reference wording, including "less than or equal to" without a space', () => {
    expect(check({ multipleOf: 2 }, 3)).toEqual([' | expected a multiple of 2']);
    expect(check({ minimum: 1 }, 0)).toEqual([' | expected a number greater than or equal to 1']);
    expect(check({ exclusiveMinimum: 1 }, 1)).toEqual([' | expected a number greater than 1']);
    expect(check({ maximum: 1 }, 2)).toEqual([' | expected a number less than or equal to1']);
    expect(check({ exclusiveMaximum: 1 }, 1)).toEqual([' | expected a number less than 1']);
  });
  it('bounds are inclusive or exclusive as named', () => {
    expect(check({ minimum: 1, maximum: 1 }, 1)).toEqual([]);
    expect(check({ exclusiveMinimum: 0, exclusiveMaximum: 2 }, 1)).toEqual([]);
    expect(check({ minimum: -5 }, num('-5.0'))).toEqual([]);
    expect(check({ minimum: -5 }, num('-5.01'))).toEqual([' | expected a number greater than or equal to -5']);
  });
  it('judges decimals exactly, without float rounding', () => {
    expect(check({ multipleOf: 0.1 }, num('0.3'))).toEqual([]);
    expect(check({ multipleOf: 0.01 }, num('19.99'))).toEqual([]);
    expect(check({ multipleOf: 0.1 }, num('0.35'))).toEqual([' | expected a multiple of 0.1']);
    expect(check({ maximum: 0.3 }, num('0.30000000000000001'))).toEqual([' | expected a number less than or equal to0.3']);
    expect(check({ minimum: new EscNumber('9007199254740993') }, num('9007199254740992'))).toEqual([
      ' | expected a number greater than or equal to 9007199254740993',
    ]);
  });
  it('handles exponents, huge and tiny, without building huge numbers', () => {
    expect(check({ multipleOf: 7 }, num('7e999999999'))).toEqual([]);
    expect(check({ multipleOf: 3 }, num('1e999999999'))).toEqual([' | expected a multiple of 3']);
    expect(check({ maximum: 1 }, num('1e-999999999'))).toEqual([]);
    expect(check({ minimum: 1 }, num('1e-999999999'))).toEqual([' | expected a number greater than or equal to 1']);
    expect(check({ multipleOf: new EscNumber('1e50') }, num('3'))).toEqual([' | expected a multiple of 1e50']);
  });
  it('prints the bound as written in the schema', () => {
    expect(check({ maximum: new EscNumber('1.50') }, 2)).toEqual([' | expected a number less than or equal to1.50']);
  });
  it('compares non-decimal number texts (YAML infinities) as floats', () => {
    expect(check({ maximum: 10 }, num('+Inf'))).toEqual([' | expected a number less than or equal to10']);
    expect(check({ minimum: 10 }, num('+Inf'))).toEqual([]);
  });
});

describe('strings: minLength, maxLength, pattern', () => {
  it('counts code points, not UTF-16 units', () => {
    expect(check({ maxLength: 1 }, '😀')).toEqual([]);
    expect(check({ minLength: 2 }, '😀')).toEqual([' | expected a string of at least length 2']);
    expect(check({ maxLength: 1 }, 'ab')).toEqual([' | expected a string of at most length 1']);
    expect(check({ minLength: 0 }, '')).toEqual([]);
  });
  it('pattern is a search, not a full match, and is printed Go-quoted', () => {
    expect(check({ pattern: 'oo' }, 'foo')).toEqual([]);
    expect(check({ pattern: '^foo[0-9]+$' }, 'esc')).toEqual([' | string must match the pattern "^foo[0-9]+$"']);
    expect(check({ pattern: '^\\d+$' }, 'x')).toEqual([' | string must match the pattern "^\\\\d+$"']);
  });
  it('turns a leading RE2 flag group into a RegExp flag', () => {
    expect(check({ pattern: '(?i)^abc$' }, 'ABC')).toEqual([]);
  });
});

describe('secret', () => {
  it('requires a secret value where the schema says secret', () => {
    expect(check({ type: 'string', secret: true }, 'plain')).toEqual([' | expected secret']);
    expect(check({ type: 'string', secret: true }, escValue('hidden', { secret: true }))).toEqual([]);
  });
});

describe('invalid schemas', () => {
  it.each([
    [{ type: 'text' }, 'invalid schema: type must be one of null, boolean, number, integer, string, array, object (or a list of them)'],
    [{ properties: { port: { minimum: 'low' } } }, 'invalid schema: properties.port.minimum must be a number'],
    [{ $ref: '#/$defs/missing' }, 'invalid schema: $ref: cannot resolve "#/$defs/missing" (only #/$defs/NAME and #/definitions/NAME are supported)'],
    [{ $ref: 'http://example.com/s.json' }, 'invalid schema: $ref: cannot resolve "http://example.com/s.json" (only #/$defs/NAME and #/definitions/NAME are supported)'],
    [{ pattern: '(' }, 'invalid schema: pattern: invalid pattern "(":'],
    [{ minLength: -1 }, 'invalid schema: minLength must be a non-negative integer'],
    [{ multipleOf: 0 }, 'invalid schema: multipleOf must be greater than 0'],
    [{ required: 'a' }, 'invalid schema: required must be a list of strings'],
    [{ anyOf: { type: 'string' } }, 'invalid schema: anyOf must be a list of schemas'],
    [{ items: [1] }, 'invalid schema: items[0] must be an object or a boolean'],
  ] as [Schema, string][])('%j is rejected with a clear message', (schema, message) => {
    const result = validateSchema(schema, fromJS('x'), evalMode);
    expect(result.valid).toBe(false);
    expect(result.violations).toHaveLength(1);
    expect(result.violations[0]!.path).toEqual([]);
    expect(result.violations[0]!.message.startsWith(message)).toBe(true);
  });
  it('ignores keywords it does not know (annotations)', () => {
    expect(check({ type: 'string', title: 't', description: 'd', format: 'email', default: 'x' }, 'x')).toEqual([]);
  });
});

describe('unknown values', () => {
  const record: Schema = { type: 'object', properties: { foo: { type: 'string' } }, required: ['foo'] };

  it('eval mode skips unknown nodes', () => {
    expect(validateSchema({ type: 'string' }, unknown(), evalMode)).toEqual({ valid: true, violations: [] });
    const value = escValue(new Map([['foo', unknown()]]));
    expect(checkSchema(record, value, evalMode)).toEqual([]);
  });

  it('check mode without a known schema accepts the unknown', () => {
    expect(checkSchema({ type: 'string' }, unknown(), { mode: 'check' })).toEqual([]);
  });

  it('check mode compares the unknown value schema with the expected one', () => {
    const u = unknown();
    const result = validateSchema({ type: 'string' }, u, { mode: 'check', schemaOf: () => ({ type: 'number' }) });
    expect(result).toEqual({ valid: false, violations: [{ path: [], message: 'expected string, got number' }] });
  });

  it('reports missing required properties inside an unknown with a relative path prefix', () => {
    const u = unknown();
    const inputs = escValue(new Map([['nested', u]]));
    const schema: Schema = { type: 'object', properties: { nested: { type: 'object', properties: { a: record } } } };
    const violations = checkSchema(schema, inputs, {
      mode: 'check',
      schemaOf: (v) => (v === u ? { type: 'object', properties: { a: { type: 'object' } }, required: ['a'] } : undefined),
    });
    expect(violations).toEqual([{ path: ['nested'], message: 'a.foo: missing required property' }]);
  });

  it('compares tuples position by position and closed tuples silently', () => {
    const tuple = (...prefixItems: Schema[]): Schema => ({ type: 'array', prefixItems, items: false });
    const u = unknown();
    const schemaOf = (): Schema => tuple({ type: 'string' }, { type: 'boolean' });
    expect(checkSchema(tuple({ type: 'string' }, { type: 'number' }), u, { mode: 'check', schemaOf })).toEqual([
      { path: [], message: '[1]: expected number, got boolean' },
    ]);
    const longer = (): Schema => tuple({ type: 'string' }, { type: 'number' }, { type: 'boolean' });
    expect(validateSchema(tuple({ type: 'string' }, { type: 'number' }), u, { mode: 'check', schemaOf: longer })).toEqual({
      valid: false,
      violations: [],
    });
  });

  it('an open given object (additionalProperties) is not asked for required properties', () => {
    const u = unknown();
    const map: Schema = { type: 'object', additionalProperties: true };
    expect(checkSchema(record, u, { mode: 'check', schemaOf: () => map })).toEqual([]);
  });

  it('given alternatives: one acceptable alternative is enough', () => {
    const u = unknown();
    const schemaOf = (): Schema => ({ anyOf: [{ type: 'string' }, { type: 'number' }] });
    expect(checkSchema({ type: 'string' }, u, { mode: 'check', schemaOf })).toEqual([]);
    expect(checkSchema({ type: 'boolean' }, u, { mode: 'check', schemaOf })).toEqual([
      { path: [], message: 'expected boolean, got string' },
      { path: [], message: 'expected boolean, got number' },
      { path: [], message: 'at least one subschema must match' },
    ]);
  });

  it('terminates on recursive schemas on both sides', () => {
    const list: Schema = {
      $ref: '#/$defs/l',
      $defs: { l: { type: 'object', properties: { next: { $ref: '#/$defs/l' }, v: { type: 'string' } } } },
    };
    const other: Schema = {
      $ref: '#/$defs/m',
      $defs: { m: { type: 'object', properties: { next: { $ref: '#/$defs/m' }, v: { type: 'number' } } } },
    };
    const violations = checkSchema(list, unknown(), { mode: 'check', schemaOf: () => other });
    // The recursion is cut where the same pair of schemas meets again, so the mismatch is reported once.
    expect(violations).toEqual([{ path: [], message: 'v: expected string, got number' }]);
  });

  it('a secret requirement still applies to unknown secrets', () => {
    const notSecret = checkSchema({ secret: true }, unknown(), { mode: 'check' });
    const secret = checkSchema({ secret: true }, escValue(null, { unknown: true, secret: true }), { mode: 'check' });
    expect(notSecret).toEqual([{ path: [], message: 'expected secret' }]);
    expect(secret).toEqual([]);
  });
});

describe('schemaProperty and schemaItem', () => {
  const schema: Schema = {
    type: 'object',
    properties: {
      rec: { $ref: '#/$defs/r' },
      list: { type: 'array', prefixItems: [{ type: 'string' }], items: { type: 'number' } },
      either: { anyOf: [{ type: 'object', properties: { a: { type: 'string' } } }, { type: 'string' }] },
    },
    $defs: { r: { type: 'object', properties: { baz: { type: 'string' } } } },
  };
  it('follows properties, items and $refs', () => {
    expect(schemaItem(schemaProperty(schema, 'list'), 0)).toMatchObject({ type: 'string' });
    expect(schemaItem(schemaProperty(schema, 'list'), 5)).toMatchObject({ type: 'number' });
    expect(schemaProperty(schemaProperty(schema, 'rec'), 'baz')).toMatchObject({ type: 'string' });
  });
  it('keeps $refs resolvable in the part it returns', () => {
    const rec = schemaProperty(schema, 'rec');
    expect(checkSchema(rec, fromJS({ baz: 1 }), evalMode)).toEqual([{ path: ['baz'], message: 'expected string, got number' }]);
  });
  it('gives false where no value can exist and true where anything goes', () => {
    expect(schemaProperty({ type: 'string' }, 'a')).toBe(false);
    expect(schemaItem({ type: 'object' }, 0)).toBe(false);
    expect(schemaItem({ type: 'array', prefixItems: [true], items: false }, 3)).toBe(false);
    expect(schemaProperty(true, 'a')).toBe(true);
    expect(schemaProperty({ type: 'object' }, 'a')).toBe(true);
  });
  it('unites the alternatives that allow the part', () => {
    expect(schemaProperty(schemaProperty(schema, 'either'), 'a')).toMatchObject({ type: 'string' });
  });
});

describe('redactSchema', () => {
  const redact = { mode: 'eval', redactSchema: true } as const;
  const messages = (schema: Schema, value: unknown): string[] => checkSchema(schema, fromJS(value), redact).map((v) => v.message);

  it('prints [secret] instead of the schema content a message would quote', () => {
    expect(messages({ const: 'hunter2' }, 'x')).toEqual(['expected [secret]']);
    expect(messages({ enum: ['hunter2', 'other'] }, 'x')).toEqual(['expected one of [secret]']);
    expect(messages({ pattern: '^hunter2$' }, 'x')).toEqual(['string must match the pattern [secret]']);
    expect(messages({ minimum: 1234 }, 1)).toEqual(['expected a number greater than or equal to [secret]']);
    expect(messages({ maximum: 1234 }, 9999)).toEqual(['expected a number less than or equal to[secret]']);
    expect(messages({ multipleOf: 7 }, 1)).toEqual(['expected a multiple of [secret]']);
    expect(messages({ minLength: 9 }, 'x')).toEqual(['expected a string of at least length [secret]']);
    expect(messages({ required: ['hunter2'] }, {})).toEqual(['missing required properties: [secret]']);
    expect(messages({ pattern: '(hunter2' }, 'x')).toEqual(['invalid schema']);
  });

  it('keeps messages that only name types', () => {
    expect(messages({ type: 'string' }, 1)).toEqual(['expected string, got number']);
  });
});
