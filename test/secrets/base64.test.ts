// Go-compatible base64 decoding: the shortcut for well-formed text must decode exactly as Go's loop.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64, decodeBase64Quanta } from '../../src/secrets/base64.js';

describe('decodeBase64', () => {
  it('decodes any encoded bytes back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(decodeBase64(Buffer.from(bytes).toString('base64'))).toEqual({ bytes: Buffer.from(bytes) });
      }),
    );
  });

  it('gives what Go’s quantum loop gives for any text of base64 characters, padding and line breaks', () => {
    const char = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', '=', '=', '\n', '\r', '-', ' ');
    fc.assert(
      fc.property(fc.array(char, { maxLength: 16 }), (chars) => {
        const text = chars.join('');
        expect(decodeBase64(text)).toEqual(decodeBase64Quanta(text));
      }),
      { numRuns: 5000 },
    );
  });

  it('reports Go’s errors', () => {
    expect(decodeBase64('YWJj=')).toEqual({ error: 'illegal base64 data at input byte 4' });
    expect(decodeBase64('YW')).toEqual({ error: 'illegal base64 data at input byte 0' });
    expect(decodeBase64('YWI=\n')).toEqual({ bytes: Buffer.from('ab') });
  });
});
