// Value traces (value.ts Trace), as the reference's eval exports them: each value's defining range
// (begin at the node, end after its value or last item, with byte offsets) and the imported value
// it was merged over.
import { describe, expect, it } from 'vitest';
import { evaluateEnvironment } from '../../src/esc/evaluate.js';
import { isObject, type EscValue, type TraceRange } from '../../src/esc/value.js';
import { decodeValue, encodeValue } from '../../src/esc/wire-value.js';
import { harnessProviders } from '../conformance/providers.js';
import { testCipher } from '../support/test-cipher.js';
import { loaderFor } from './support.js';

async function traced(source: string, files: Record<string, string> = {}, mode: 'check' | 'eval' = 'check'): Promise<EscValue> {
  const result = await evaluateEnvironment('root', source, {
    loader: loaderFor(files),
    providers: harnessProviders(),
    cipher: testCipher,
    context: {},
    mode,
    traces: true,
  });
  expect(result.diagnostics).toEqual([]);
  return result.values!;
}

const at = (value: EscValue, ...path: string[]): EscValue => {
  let v = value;
  for (const key of path) {
    if (!isObject(v.data)) throw new Error(`no ${key}`);
    v = v.data.get(key)!;
  }
  return v;
};

/** `env:line:column-line:column@byte-byte` of a range. */
const span = (r: TraceRange | undefined): string =>
  r === undefined ? '-' : `${r.environment ?? ''}:${r.begin.line}:${r.begin.column}-${r.end.line}:${r.end.column}@${r.begin.byte}-${r.end.byte}`;

/** The def spans of a value and its bases, top first. */
const chain = (value: EscValue | undefined): string[] => {
  const out: string[] = [];
  for (let v = value; v !== undefined; v = v.trace?.base) out.push(span(v.trace?.def));
  return out;
};

describe('value traces', () => {
  it('range scalars by their value, collections to the end of their last item (flow brackets excluded)', async () => {
    const v = await traced('values:\n    s: esc\n    q: "a b"\n    n: 42\n    arr: [hello, world]\n    obj:\n        k: v\n');
    expect(chain(at(v, 's'))).toEqual(['root:2:8-2:11@15-18']);
    // A quoted string ends its decoded length after its start (the reference measures the value).
    expect(chain(at(v, 'q'))).toEqual(['root:3:8-3:11@26-29']);
    expect(chain(at(v, 'n'))).toEqual(['root:4:8-4:10@39-41']);
    expect(chain(at(v, 'arr'))).toEqual(['root:5:10-5:23@51-64']);
    expect(chain(at(v, 'obj'))).toEqual(['root:7:9-7:13@83-87']);
  });

  it('range a literal block scalar to its last line and a builtin call as its mapping', async () => {
    const v = await traced('values:\n  text: |\n    one\n    two\n  joined:\n    fn::join: [",", [a, b]]\n');
    // `one\ntwo\n`: two line breaks down from the indicator, nothing after the last one.
    expect(chain(at(v, 'text'))).toEqual(['root:2:9-4:9@16-34']);
    expect(chain(at(v, 'joined'))).toEqual(['root:6:5-6:26@48-69']);
  });

  it('counts bytes, not characters, on lines with non-ASCII text', async () => {
    const v = await traced('values:\n  é: ü\n  b: x\n');
    // The end of `ü` (two bytes, so two columns on) stops at the line's end, as the reference's does.
    expect(span(at(v, 'é').trace?.def)).toBe('root:2:6-2:8@14-16');
    expect(span(at(v, 'b').trace?.def)).toBe('root:3:6-3:7@22-23');
  });

  it('chain a value over what it overrides, import by import, and read each base as it was', async () => {
    const files = {
      a: 'values:\n  o: {x: 1, y: 1}\n',
      b: 'values:\n  o: {y: 2}\n',
      c: 'values:\n  o: {z: 3}\n',
    };
    const v = await traced('imports: [a, b, c]\nvalues:\n  o: {x: 9}\n', files);
    const o = at(v, 'o');
    expect(chain(o).map((s) => s.split(':')[0])).toEqual(['root', 'c', 'b', 'a']);
    // Each base shows only what was merged up to it (the import fold shares its maps).
    const keys = (x: EscValue | undefined): string => (x !== undefined && isObject(x.data) ? [...x.data.keys()].sort().join(',') : '');
    expect(keys(o)).toBe('x,y,z');
    expect(keys(o.trace?.base)).toBe('x,y,z');
    expect(keys(o.trace?.base?.trace?.base)).toBe('x,y');
    expect(keys(o.trace?.base?.trace?.base?.trace?.base)).toBe('x,y');
    expect(chain(at(v, 'o', 'x')).map((s) => s.split(':')[0])).toEqual(['root', 'a']);
    expect(chain(at(v, 'o', 'y')).map((s) => s.split(':')[0])).toEqual(['b', 'a']);
  });

  it('keep the base of a scalar that overrides an object (and of an object over a scalar)', async () => {
    const v = await traced('imports: [a]\nvalues:\n  s: 1\n  o: {k: v}\n', { a: 'values:\n  s: {deep: true}\n  o: 2\n' });
    expect(chain(at(v, 's')).map((s) => s.split(':')[0])).toEqual(['root', 'a']);
    expect(chain(at(v, 'o')).map((s) => s.split(':')[0])).toEqual(['root', 'a']);
  });

  it('give provider outputs the range of their fn::open call', async () => {
    const v = await traced('values:\n  p:\n    fn::open::test: {a: 1}\n', {}, 'eval');
    expect(span(at(v, 'p').trace?.def)).toBe('root:3:5-3:26@17-38');
  });

  it('are left out unless asked for', async () => {
    const result = await evaluateEnvironment('root', 'values:\n  a: 1\n', { loader: loaderFor({}), providers: new Map(), cipher: testCipher, context: {}, mode: 'check' });
    expect(at(result.values!, 'a').trace).toBeUndefined();
  });

  it('cross the wire when asked for, secrets of bases redacted like the rest', async () => {
    const v = await traced('imports: [a]\nvalues:\n  s:\n    fn::secret: top\n', { a: 'values:\n  s:\n    fn::secret: under\n' });
    const back = decodeValue(JSON.parse(JSON.stringify(encodeValue(v, { redact: true, traces: true }))));
    expect(chain(at(back, 's'))).toEqual(chain(at(v, 's')));
    expect(at(back, 's').trace?.base?.data).toBeNull();
    expect(decodeValue(encodeValue(v, { redact: true })).trace).toBeUndefined();
    expect(() => decodeValue({ v: 'x', t: { d: ['x', 1] } })).toThrow(/malformed trace/);
  });
});
