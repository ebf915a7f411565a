import { describe, expect, it } from 'vitest';
import { DefinitionError, formatPath, parsePath } from '../../src/store/path.js';
import {
  findSecrets,
  revealSecrets,
  sealSecrets,
  parseDefinition,
  parseValue,
  renderDefinition,
  secretNode,
  secretPlaintext,
  setValue,
  stringValue,
} from '../../src/store/definition.js';

const set = (source: string, path: string, value: string): string => {
  const doc = parseDefinition(source, 'env.yaml');
  setValue(doc, parsePath(path), parseValue(value));
  return renderDefinition(doc);
};

describe('parsePath', () => {
  it('reads names, quoted keys and indices', () => {
    expect(parsePath('a.b[0]["k"]')).toEqual(['a', 'b', 0, 'k']);
    expect(parsePath('["key with spaces"].x')).toEqual(['key with spaces', 'x']);
    expect(parsePath('["say \\"hi\\""]')).toEqual(['say "hi"']);
    expect(parsePath('my-key.2nd')).toEqual(['my-key', '2nd']);
  });

  it('rejects malformed paths with the reason', () => {
    expect(() => parsePath('')).toThrow('path must contain at least one element');
    expect(() => parsePath('a[0')).toThrow(`invalid path "a[0": subscript is missing closing bracket ']'`);
    expect(() => parsePath('a["k]')).toThrow('key subscript is missing closing quote');
    expect(() => parsePath('[0]')).toThrow('the first accessor must be a property name or key subscript');
    expect(() => parsePath('a..b')).toThrow('property name must not be empty');
  });

  it('formats paths back into the same syntax', () => {
    for (const p of [['a', 'b', 0, 'k'], ['key with spaces', 1], ['say "hi"'], ['fn::open', 'x']]) expect(parsePath(formatPath(p))).toEqual(p);
    expect(formatPath(['a', 'b c', 0])).toBe('a["b c"][0]');
  });
});

describe('setValue', () => {
  it('keeps comments, key order and untouched formatting', () => {
    const source = [
      '# header comment',
      'imports:',
      '  - app/base # the base',
      'values:',
      '  # database settings',
      '  db:',
      '    host: localhost # local for now',
      '    port: 5432',
      '  zeta: last',
      '',
    ].join('\n');
    expect(set(source, 'db.port', '6543')).toBe(source.replace('5432', '6543'));
    expect(set(source, 'db.user', 'admin')).toBe(source.replace('    port: 5432\n', '    port: 5432\n    user: admin\n'));
  });

  it('parses the value as YAML', () => {
    const doc = parseDefinition('values: {}\n', 'env.yaml');
    setValue(doc, ['n'], parseValue('42'));
    setValue(doc, ['b'], parseValue('true'));
    setValue(doc, ['list'], parseValue('[1, two]'));
    setValue(doc, ['obj'], parseValue('{k: v}'));
    setValue(doc, ['empty'], parseValue(''));
    setValue(doc, ['s'], stringValue('true'));
    expect(doc.toJS()).toEqual({ values: { n: 42, b: true, list: [1, 'two'], obj: { k: 'v' }, empty: '', s: 'true' } });
    // A string that looks like another type is quoted so that it reads back as a string.
    expect(parseDefinition(renderDefinition(doc), 'x').toJS().values.s).toBe('true');
  });

  it('creates missing objects, arrays and the values key', () => {
    expect(parseDefinition(set('', 'a.b[0].c', 'x'), 'f').toJS()).toEqual({ values: { a: { b: [{ c: 'x' }] } } });
    expect(parseDefinition(set('imports: []\n', 'k', 'v'), 'f').toJS()).toEqual({ imports: [], values: { k: 'v' } });
  });

  it('appends at index = length and refuses beyond it', () => {
    expect(parseDefinition(set('values: {l: [a]}\n', 'l[1]', 'b'), 'f').toJS()).toEqual({ values: { l: ['a', 'b'] } });
    expect(() => set('values: {l: [a]}\n', 'l[3]', 'b')).toThrow('l[3] is out of range: the array has 1 element(s); use [1] to append');
  });

  it('edits imports when the path starts with imports', () => {
    expect(parseDefinition(set('imports:\n  - a\nvalues: {}\n', 'imports[1]', 'b'), 'f').toJS()).toEqual({ imports: ['a', 'b'], values: {} });
  });

  it('matches top-level keys case-insensitively, as the evaluator does', () => {
    expect(parseDefinition(set('Values:\n  a: 1\n', 'b', '2'), 'f').toJS()).toEqual({ Values: { a: 1, b: 2 } });
  });

  it('explains type mismatches on the way', () => {
    expect(() => set('values: {a: text}\n', 'a.b', '1')).toThrow('cannot set a.b: a is a string, not an object or an array');
    expect(() => set('values: {a: [1]}\n', 'a.b', '1')).toThrow('a is an array: use an index such as [0], not the key "b"');
    expect(() => set('values: {a: {}}\n', 'a[0]', '1')).toThrow('a is an object: use a key, not the index [0]');
  });

  it('stores a sealed secret as fn::secret with ciphertext', () => {
    const doc = parseDefinition('values:\n  a: 1 # keep\n', 'f');
    setValue(doc, ['pw'], secretNode(doc, 'ZXNjeA=='));
    expect(renderDefinition(doc)).toBe('values:\n  a: 1 # keep\n  pw:\n    fn::secret:\n      ciphertext: ZXNjeA==\n');
  });

  it('takes the secret text from a YAML string, or the argument as given (never an error)', () => {
    expect(secretPlaintext('"quoted"')).toBe('quoted');
    expect(secretPlaintext('hunter2\n')).toBe('hunter2');
    expect(secretPlaintext('1234')).toBe('1234');
    expect(secretPlaintext('0x10')).toBe('0x10');
    expect(secretPlaintext('[a]')).toBe('[a]');
    expect(secretPlaintext('p@ss: [x\n')).toBe('p@ss: [x');
    expect(secretPlaintext('a: b')).toBe('a: b');
  });
});

describe('parseDefinition', () => {
  it('names file, line and column of a YAML syntax error', () => {
    expect(() => parseDefinition('values:\n  a: [1, 2\n', '/x/env.yaml')).toThrow(DefinitionError);
    expect(() => parseDefinition('values:\n  a: [1, 2\n', '/x/env.yaml')).toThrow(/^\/x\/env\.yaml:3:1: error: /);
    expect(() => parseDefinition('values:\n  a: "open\n', '/x/env.yaml')).toThrow(/^\/x\/env\.yaml:\d+:\d+: error: Missing closing "quote/);
  });

  it('requires a mapping at the top', () => {
    expect(() => parseDefinition('- a\n- b\n', 'e.yaml')).toThrow('e.yaml:1:1: error: an environment definition must be a mapping');
    expect(() => parseDefinition('', 'e.yaml')).not.toThrow();
  });

  it('rejects an invalid value argument', () => {
    expect(() => parseValue('[1, 2')).toThrow(/^invalid value: /);
  });
});

describe('secrets at rest', () => {
  const source = [
    'values:',
    '  a:',
    '    # header',
    '    fn::secret: hunter2 # trailing',
    '  list:',
    "    - {'fn::secret': inline}",
    '  done:',
    '    fn::secret:',
    '      ciphertext: QUJD',
    'other:',
    '  fn::secret:',
    '    ciphertext: REVG',
    '',
  ].join('\n');

  it('finds plaintext and ciphertext secrets at any depth, noting which are under values', () => {
    const sites = findSecrets(parseDefinition(source, 'f'), source);
    expect(sites.map((s) => [s.form, s.text, s.line, s.underValues])).toEqual([
      ['plaintext', 'hunter2', 4, true],
      ['plaintext', 'inline', 6, true],
      ['ciphertext', 'QUJD', 8, true],
      ['ciphertext', 'REVG', 11, false],
    ]);
  });

  it('seals every plaintext secret, keeping comments and flow style', async () => {
    const doc = parseDefinition(source, 'f');
    const result = await sealSecrets(doc, source, async (p) => `sealed(${p})`);
    expect(result).toEqual({ rewritten: 2, fresh: 2 });
    const text = renderDefinition(doc);
    expect(text).toContain('    # header\n    fn::secret:\n      ciphertext: sealed(hunter2) # trailing\n');
    expect(text).toContain("    - {'fn::secret': {ciphertext: sealed(inline)}}\n");
    expect(text).toContain('      ciphertext: QUJD\n');
  });

  it('reuses the ciphertext a plaintext was shown from', async () => {
    const doc = parseDefinition(source, 'f');
    const result = await sealSecrets(doc, source, async (p) => `new(${p})`, new Map([['hunter2', 'OLD=']]));
    expect(result).toEqual({ rewritten: 2, fresh: 1 });
    expect(renderDefinition(doc)).toContain('ciphertext: OLD= # trailing');
  });

  it('reveals ciphertexts under values only, and reports the ones it cannot open', async () => {
    const doc = parseDefinition(source, 'f');
    const { shown, problems } = await revealSecrets(doc, source, async (c) => {
      if (c === 'QUJD') return 'abc';
      throw new Error('bad key');
    });
    expect([...shown]).toEqual([['abc', 'QUJD']]);
    expect(problems).toEqual([]);
    expect(doc.toJS()).toMatchObject({ values: { done: { 'fn::secret': 'abc' } }, other: { 'fn::secret': { ciphertext: 'REVG' } } });
    const failing = parseDefinition(source, 'f');
    expect((await revealSecrets(failing, source, async () => Promise.reject(new Error('bad key')))).problems).toEqual([{ line: 8, message: 'bad key' }]);
  });
});

describe('setValue on empty flow collections', () => {
  it('turns `values: {}` into a block mapping as it grows', () => {
    expect(set('values: {}\n', 'a.b', '1')).toBe('values:\n  a:\n    b: 1\n');
    expect(set('values:\n  l: []\n', 'l[0]', 'x')).toBe('values:\n  l:\n    - x\n');
    // A non-empty flow collection keeps the user's style.
    expect(set('values: {a: 1}\n', 'b', '2')).toBe('values: {a: 1, b: 2}\n');
  });
});

describe('setValue on commented values', () => {
  it('keeps the comment of a replaced value', () => {
    expect(set('values:\n  # about a\n  a: 1 # one\n', 'a', '2')).toBe('values:\n  # about a\n  a: 2 # one\n');
  });
});
