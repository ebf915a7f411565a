import { describe, expect, it } from 'vitest';
import { goQuote } from '../../src/esc/go-quote.js';
import { fromBase64, split, stringify, toBase64 } from '../../src/esc/builtins.js';
import { decodeJSON, encodeJSON } from '../../src/esc/go-json.js';
import { formatGoFloat } from '../../src/esc/numbers.js';
import { EscNumber, fromJS, toJSON } from '../../src/esc/value.js';
import { run } from './support.js';

describe('stringify (templates, fn::toString)', () => {
  it('writes scalars as text, null as empty, lists and objects Go-quoted and sorted', () => {
    expect(stringify(fromJS(null))).toBe('');
    expect(stringify(fromJS(true))).toBe('true');
    expect(stringify(fromJS(new EscNumber('1.50')))).toBe('1.50');
    expect(stringify(fromJS(['a', 'b"c']))).toBe('"a","b\\"c"');
    expect(stringify(fromJS({ z: 1, a: ['x'] }))).toBe('"a"="\\"x\\"","z"="1"');
  });

  it('quotes like Go %q', () => {
    expect(goQuote('tab\there\n')).toBe('"tab\\there\\n"');
    expect(goQuote('\u0001é')).toBe('"\\x01é"');
    expect(goQuote('a\u00a0b\u{1F600}')).toBe('"a\\u00a0b\u{1F600}"');
  });
});

describe('fn::toJSON encoding', () => {
  it('sorts keys, keeps number text and escapes HTML characters as Go does', () => {
    const v = fromJS({ b: '<a&b>', a: new EscNumber('1.50'), c: [null, false], d: '\u2028' });
    expect(encodeJSON(v)).toBe('{"a":1.50,"b":"\\u003ca\\u0026b\\u003e","c":[null,false],"d":"\\u2028"}');
  });
});

describe('fn::fromJSON decoding', () => {
  it('keeps numbers as text and reads only the first value', () => {
    const result = decodeJSON('{"n": 1.50, "l": [true]} trailing', { secret: false });
    expect('value' in result && toJSON(result.value, { redact: false })).toEqual({ n: 1.5, l: [true] });
    expect('value' in result && result.value.data instanceof Map && (result.value.data.get('n')!.data as EscNumber).text).toBe('1.50');
  });

  it('reports Go error texts', () => {
    expect(decodeJSON('', { secret: false })).toEqual({ error: 'EOF' });
    expect(decodeJSON('{"a":', { secret: false })).toEqual({ error: 'unexpected EOF' });
    expect(decodeJSON('x', { secret: false })).toEqual({ error: "invalid character 'x' looking for beginning of value" });
    expect(decodeJSON('{"a" 1}', { secret: false })).toEqual({ error: "invalid character '1' after object key" });
    expect(decodeJSON('[1 2]', { secret: false })).toEqual({ error: "invalid character '2' after array element" });
    expect(decodeJSON('tru', { secret: false })).toEqual({ error: 'unexpected EOF' });
    expect(decodeJSON('trux', { secret: false })).toEqual({ error: "invalid character 'x' in literal true (expecting 'e')" });
    expect(decodeJSON('1.x', { secret: false })).toEqual({ error: "invalid character 'x' after decimal point in numeric literal" });
    expect(decodeJSON('1e+x', { secret: false })).toEqual({ error: "invalid character 'x' in exponent of numeric literal" });
    expect(decodeJSON('"a\u0001"', { secret: false })).toEqual({ error: "invalid character '\\x01' in string literal" });
    expect(decodeJSON('{"a":1,}', { secret: false })).toEqual({ error: "invalid character '}' looking for beginning of object key string" });
  });

  it('marks every node secret when the input is secret', async () => {
    const r = await run('values:\n  s: {fn::secret: \'{"a": {"b": 1}}\'}\n  j: {fn::fromJSON: "${s}"}\n  deep: ${j.a.b}\n');
    expect(r.redacted).toEqual({ s: '[secret]', j: '[secret]', deep: '[secret]' });
    expect(r.revealed).toMatchObject({ deep: 1 });
  });
});

describe('base64', () => {
  it('encodes UTF-8 with padding', () => {
    expect(toBase64('héllo')).toBe('aMOpbGxv');
  });

  it('decodes strictly and names the first bad byte', () => {
    expect(fromBase64('aGk=')).toEqual({ value: 'hi' });
    expect(fromBase64('aGk')).toEqual({ error: 'decoding base64 string: illegal base64 data at input byte 0' });
    expect(fromBase64('aGVsbG8')).toEqual({ error: 'decoding base64 string: illegal base64 data at input byte 4' });
    expect(fromBase64('aA=x')).toEqual({ error: 'decoding base64 string: illegal base64 data at input byte 2' });
    expect(fromBase64('aGk\n=\r\n')).toEqual({ value: 'hi' });
    expect(fromBase64('a!k=')).toEqual({ error: 'decoding base64 string: illegal base64 data at input byte 1' });
    expect(fromBase64('aGk=x')).toEqual({ error: 'decoding base64 string: illegal base64 data at input byte 4' });
  });
});

describe('fn::split', () => {
  it('follows Go strings.Split', () => {
    expect(split(',', '')).toEqual(['']);
    expect(split('', 'a😀b')).toEqual(['a', '😀', 'b']);
    expect(split('::', 'a::b::')).toEqual(['a', 'b', '']);
  });
});

describe('numbers', () => {
  it('formats YAML floats as Go %g shortest', () => {
    expect(formatGoFloat(1)).toBe('1');
    expect(formatGoFloat(1000000.5)).toBe('1.0000005e+06');
    expect(formatGoFloat(123456)).toBe('123456');
    expect(formatGoFloat(0.0001)).toBe('0.0001');
    expect(formatGoFloat(0.00001)).toBe('1e-05');
    expect(formatGoFloat(-2.5)).toBe('-2.5');
  });

  it('keeps integer digits and normalizes floats in documents', async () => {
    const r = await run('values:\n  i: 007\n  f: 1.0\n  t: "${i} ${f}"\n');
    expect(r.revealed).toEqual({ i: 7, f: 1, t: '007 1' });
  });
});

describe('builtins through the evaluator', () => {
  it('evaluates join, split, concat, toBase64/fromBase64, toJSON/fromJSON, toString', async () => {
    const r = await run(
      [
        'values:',
        '  list: [a, b]',
        '  join: {fn::join: ["-", "${list}"]}',
        '  split: {fn::split: ["-", "${join}"]}',
        '  concat: {fn::concat: [[1], "${list}", []]}',
        '  b64: {fn::toBase64: "${join}"}',
        '  back: {fn::fromBase64: "${b64}"}',
        '  json: {fn::toJSON: {x: [1, "${join}"]}}',
        '  parsed: {fn::fromJSON: "${json}"}',
        '  str: {fn::toString: {k: [1, null]}}',
      ].join('\n'),
    );
    expect(r.diags).toEqual([]);
    expect(r.revealed).toEqual({
      list: ['a', 'b'],
      join: 'a-b',
      split: ['a', 'b'],
      concat: [1, 'a', 'b'],
      b64: 'YS1i',
      back: 'a-b',
      json: '{"x":[1,"a-b"]}',
      parsed: { x: [1, 'a-b'] },
      str: '"k"="\\"1\\",\\"\\""',
    });
  });

  it('makes the whole result secret when any input is secret', async () => {
    const r = await run('values:\n  s: {fn::secret: x}\n  j: {fn::join: [",", [a, "${s}"]]}\n  c: {fn::concat: [[a], ["${s}"]]}\n  p: {fn::split: [",", "${j}"]}\n');
    expect(r.redacted).toEqual({ s: '[secret]', j: '[secret]', c: '[secret]', p: '[secret]' });
  });

  it('reports argument type errors on the offending element and yields unknown', async () => {
    const r = await run('values:\n  n: 1\n  j: {fn::join: [",", [a, "${n}"]]}\n  b: {fn::toBase64: 3}\n  f: {fn::fromJSON: "{"}\n  d: {fn::fromBase64: "***"}\n');
    expect(r.redacted).toEqual({ n: 1, j: '[unknown]', b: '[unknown]', f: '[unknown]', d: '[unknown]' });
    expect(r.diags).toEqual([
      'root:3:27 expected string, got number',
      'root:4:21 expected string, got number',
      'root:5:6 decoding JSON string: unexpected EOF',
      'root:6:6 decoding base64 string: illegal base64 data at input byte 0',
    ]);
  });

  it('reports load errors for malformed builtin arguments', async () => {
    const r = await run('values:\n  a: {fn::join: x}\n  b: {fn::split: [x]}\n  c: {fn::concat: x}\n  d: {fn::secret: [x]}\n  e: {fn::bogus: 1}\n  f: {fn::join: [",", []], other: 1}\n');
    expect(r.result.diagnostics.filter((d) => d.stage === 'load').map((d) => d.summary)).toEqual([
      'the argument to fn::join must be a two-valued list',
      'the argument to fn::split must be a two-valued list',
      'the argument to fn::concat must be an array of arrays',
      'secret values must be string literals',
      "'fn::' is a reserved prefix",
      'illegal call to builtin function: "fn::join" must be the only key within its containing object',
    ]);
    expect(r.revealed).toMatchObject({ a: '[unknown]', b: '[unknown]', c: '[unknown]', d: '', e: { 'fn::bogus': 1 } });
  });

  it('decrypts ciphertext with the cipher and reports bad envelopes', async () => {
    const r = await run('values:\n  ok: {fn::secret: {ciphertext: ZXNjeAAAAAHo9e705fKyKo30VQ==}}\n  bad: {fn::secret: {ciphertext: ZXNjeAAAAAHo9e705fKyKo30VA==}}\n');
    expect(r.revealed).toEqual({ ok: 'hunter2', bad: '[unknown]' });
    expect(r.redacted).toEqual({ ok: '[secret]', bad: '[secret]' });
    expect(r.diags).toEqual(['root:3:8 invalid ciphertext: invalid checksum']);
  });

  it('leaves ciphertext unknown in the check stage unless showSecrets', async () => {
    const src = 'values:\n  ok: {fn::secret: {ciphertext: ZXNjeAAAAAHo9e705fKyKo30VQ==}}\n';
    expect((await run(src, {}, { mode: 'check' })).revealed).toEqual({ ok: '[unknown]' });
    expect((await run(src, {}, { mode: 'check', showSecrets: true })).revealed).toEqual({ ok: 'hunter2' });
  });
});

describe('secrets in diagnostics', () => {
  it('does not quote a secret\'s characters in fromJSON errors', async () => {
    const r = await run('values:\n  s: {fn::secret: "x-top-secret"}\n  j: {fn::fromJSON: "${s}"}\n');
    expect(r.diags).toEqual(['root:3:6 decoding JSON string: invalid character [secret] looking for beginning of value']);
  });
});
