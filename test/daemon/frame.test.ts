// frame(): the answer line, and the slot where a reply handed out again and again (a cache hit's)
// keeps it. A kept line is only ever reused for the same request id and protocol version.
import { describe, expect, it } from 'vitest';
import { frame, type Reply } from '../../daemon/server.js';

const parse = (line: string): unknown => JSON.parse(line);

describe('frame', () => {
  it('writes one JSON line in the request version, with the result as given', () => {
    const line = frame(7, { ok: true, result: '{"a":1}' }, 2);
    expect(line.endsWith('\n')).toBe(true);
    expect(parse(line)).toEqual({ v: 2, id: 7, ok: true, result: { a: 1 } });
  });

  it('keeps the line in a reply slot and gives it again to the same id and version', () => {
    const reply: Reply = { ok: true, result: '{"k":"v"}', framed: { id: null, v: 1, line: '' } };
    const first = frame(1, reply, 1);
    expect(reply.framed).toEqual({ id: 1, v: 1, line: first });
    expect(frame(1, reply, 1)).toBe(first);
  });

  it('makes a new line for another id or version, never another request\'s', () => {
    const reply: Reply = { ok: true, result: '{"k":"v"}', framed: { id: null, v: 1, line: '' } };
    frame(1, reply, 1);
    expect(parse(frame('abc', reply, 1))).toEqual({ v: 1, id: 'abc', ok: true, result: { k: 'v' } });
    expect(parse(frame('abc', reply, 2))).toEqual({ v: 2, id: 'abc', ok: true, result: { k: 'v' } });
    expect(parse(frame(1, reply, 2))).toEqual({ v: 2, id: 1, ok: true, result: { k: 'v' } });
  });

  it('a copy with a warning carries the warning, and leaves the kept line alone', () => {
    const reply: Reply = { ok: true, result: '{}', framed: { id: null, v: 1, line: '' } };
    const plain = frame(1, reply, 1);
    const warned = frame(1, { ...reply, warning: 'the shell and the daemon disagree' }, 1);
    expect(parse(warned)).toEqual({ v: 1, id: 1, ok: true, result: {}, warning: 'the shell and the daemon disagree' });
    expect(frame(1, reply, 1)).toBe(plain);
    expect(reply.framed?.line).toBe(plain);
  });

  it('an error answer', () => {
    const line = frame('x', { ok: false, error: { code: 'not_found', message: 'no such environment' } }, 2);
    expect(parse(line)).toEqual({ v: 2, id: 'x', ok: false, error: { code: 'not_found', message: 'no such environment' } });
  });
});
