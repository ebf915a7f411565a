import { describe, expect, it } from 'vitest';
import { formatAccessors, parseInterpolation, parsePropertyPath } from '../../src/esc/interpolation.js';

describe('parseInterpolation', () => {
  it('returns plain text as one part', () => {
    expect(parseInterpolation('hello').parts).toEqual([{ text: 'hello' }]);
  });

  it('unescapes $$ anywhere, so $${a} is literal text', () => {
    expect(parseInterpolation('a$$b $${c}').parts).toEqual([{ text: 'a$b ${c}' }]);
  });

  it('parses names, quoted keys with escaped quotes and indices with their offsets', () => {
    const { parts, problems } = parseInterpolation('x ${a.b["k \\"q\\""][12]} y');
    expect(problems).toEqual([]);
    expect(parts[0]!.text).toBe('x ');
    expect(parts[0]!.access!.accessors).toEqual([
      { kind: 'name', name: 'a', offset: 4 },
      { kind: 'name', name: 'b', offset: 5 },
      { kind: 'subscript', key: 'k "q"', offset: 7 },
      { kind: 'subscript', key: 12, offset: 18 },
    ]);
    expect(parts[1]).toEqual({ text: ' y' });
  });

  it('treats hyphens and leading digits as part of a name', () => {
    const access = parseInterpolation('${my-key.2nd}').parts[0]!.access!;
    expect(access.accessors.map((a) => (a.kind === 'name' ? a.name : a.key))).toEqual(['my-key', '2nd']);
  });

  it('reports each malformed form at the reference offsets', () => {
    const cases: [string, string[]][] = [
      ['${', ["2 missing closing brace '}' in interpolation"]],
      ['${open["foo"}', ["6 subscript is missing closing bracket ']'"]],
      ['${open["foo]}', ["7 key subscript is missing closing quote '\"'", "6 subscript is missing closing bracket ']'", "13 missing closing brace '}' in interpolation"]],
      ['${array[notAnIndex]}', ['8 numeric subscript must be a positive base-10 integer']],
      ['${[2]}', ['2 the first accessor must be a property name or key subscript, not a numeric subscript']],
      ['${2.["bad"]}', ['3 property name must not be empty']],
      ['${a[""]}', ['4 key subscript must not be empty']],
      ['${}', []],
      ['${.bad}', []],
    ];
    for (const [text, expected] of cases) {
      const { problems } = parseInterpolation(text);
      expect(problems.map((p) => `${p.offset} ${p.summary}`), text).toEqual(expected);
    }
  });

  it('gives ${} an empty name so evaluation reports unknown property ""', () => {
    expect(parseInterpolation('${}').parts[0]!.access!.accessors).toEqual([{ kind: 'name', name: '', offset: 2 }]);
  });

  it('stops an access at whitespace with a missing-brace error and keeps the rest as text', () => {
    const { parts, problems } = parseInterpolation('${a b}');
    expect(problems.map((p) => p.summary)).toEqual(["missing closing brace '}' in interpolation"]);
    expect(parts[1]).toEqual({ text: ' b}' });
  });
});

describe('property paths', () => {
  it('round-trips through formatAccessors', () => {
    const path = 'examples["subscript-path"][0]["quoted \\"x\\""].y';
    expect(formatAccessors(parsePropertyPath(path).accessors)).toBe(path);
  });
});
