import { describe, expect, it } from 'vitest';
import { decodeCiphertext, encodeEnvelope, openSecret, sealSecret } from '../../src/secrets/envelope.js';
import { testCipher } from '../support/test-cipher.js';

describe('escx envelope', () => {
  it('opens the corpus example and round-trips with the test cipher', async () => {
    expect(await openSecret(testCipher, 'ZXNjeAAAAAHo9e705fKyKo30VQ==')).toBe('hunter2');
    const sealed = await sealSecret(testCipher, 'hunter2');
    expect(sealed).toBe('ZXNjeAAAAAHo9e705fKyKo30VQ==');
    expect(await openSecret(testCipher, await sealSecret(testCipher, 'ünïcode ✓'))).toBe('ünïcode ✓');
  });

  it('reports decoding errors with the reference texts, in the reference order', () => {
    const reason = (b64: string): string => {
      try {
        decodeCiphertext(b64);
        return 'ok';
      } catch (err) {
        return (err as Error).message;
      }
    };
    const good = Buffer.from(encodeEnvelope(Buffer.from('abcd')));
    const b64 = (bytes: Buffer) => bytes.toString('base64');
    expect(reason('hunter23')).toBe('EOF');
    expect(reason('not base64!')).toBe('illegal base64 data at input byte 3');
    expect(reason(b64(Buffer.from(encodeEnvelope(Buffer.from('abc')))))).toBe('EOF');
    const badMagic = Buffer.from(good);
    badMagic[0] = 0x45;
    expect(reason(b64(badMagic))).toBe('invalid header');
    const badCrc = Buffer.from(good);
    badCrc.writeUInt8(badCrc.readUInt8(badCrc.length - 1) ^ 1, badCrc.length - 1);
    expect(reason(b64(badCrc))).toBe('invalid checksum');
    expect(reason(b64(good))).toBe('ok');
  });

  it('rejects versions other than 1 after the checksum check', async () => {
    const { crc32 } = await import('node:zlib');
    const bytes = Buffer.from(encodeEnvelope(Buffer.from('abcd')));
    bytes.writeUInt32BE(2, 4);
    bytes.writeUInt32BE(crc32(bytes.subarray(0, bytes.length - 4)) >>> 0, bytes.length - 4);
    expect(() => decodeCiphertext(bytes.toString('base64'))).toThrow('unsupported version');
  });
});
