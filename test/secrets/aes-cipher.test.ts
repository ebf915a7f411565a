import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { evaluateEnvironment } from '../../src/esc/evaluate.js';
import { FileKeyStore } from '../../src/keystore/file-store.js';
import { MemoryKeyStore } from '../../src/keystore/memory-store.js';
import { dataKeyCipher, DATA_KEY_NAME } from '../../src/secrets/aes-cipher.js';
import { openSecret, sealSecret, encodeEnvelope, decodeCiphertext } from '../../src/secrets/envelope.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

class CountingStore extends MemoryKeyStore {
  gets = 0;
  override async get(name: string): Promise<string | undefined> {
    this.gets++;
    return super.get(name);
  }
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

describe('AES-256-GCM data-key cipher', () => {
  it('creates the data key on first encrypt, reads it once, and round-trips', async () => {
    const store = new CountingStore();
    const cipher = dataKeyCipher(store);
    expect(store.entries.size).toBe(0);
    const sealed = await sealSecret(cipher, 'hunter2');
    const stored = JSON.parse(store.entries.get(DATA_KEY_NAME)!) as { id: string; key: string };
    expect(stored.id).toMatch(/^[0-9a-f]{8}$/);
    expect(Buffer.from(stored.key, 'base64')).toHaveLength(32);
    expect(await openSecret(cipher, sealed)).toBe('hunter2');
    expect(await openSecret(cipher, await sealSecret(cipher, 'ünïcødé ✓'))).toBe('ünïcødé ✓');
    expect(store.gets).toBe(1);
  });

  it('round-trips any text, and the payload never contains it', async () => {
    const cipher = dataKeyCipher(new MemoryKeyStore());
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 200 }), async (text) => {
        const payload = await cipher.encrypt(Buffer.from(text, 'utf8'));
        expect(payload).toHaveLength(4 + 12 + Buffer.byteLength(text) + 16);
        expect(Buffer.from(await cipher.decrypt(payload)).toString('utf8')).toBe(text);
      }),
      { numRuns: 200 },
    );
  });

  it('lays the payload out as key id ‖ 12-byte nonce ‖ ciphertext ‖ 16-byte tag, with a fresh nonce each time', async () => {
    const store = new MemoryKeyStore();
    const cipher = dataKeyCipher(store);
    const a = await cipher.encrypt(Buffer.from('hunter2'));
    const b = await cipher.encrypt(Buffer.from('hunter2'));
    const id = (JSON.parse(store.entries.get(DATA_KEY_NAME)!) as { id: string }).id;
    expect(a).toHaveLength(4 + 12 + 7 + 16);
    expect(Buffer.from(a.subarray(0, 4)).toString('hex')).toBe(id);
    expect(Buffer.from(a.subarray(4, 16)).equals(Buffer.from(b.subarray(4, 16)))).toBe(false);
    expect(Buffer.from(a).includes(Buffer.from('hunter2'))).toBe(false);
  });

  it('a payload sealed under another key says so, naming the key ids', async () => {
    const sealed = await sealSecret(dataKeyCipher(new MemoryKeyStore()), 'x');
    const other = new MemoryKeyStore();
    await sealSecret(dataKeyCipher(other), 'y');
    const foreignId = Buffer.from(decodeCiphertext(sealed).subarray(0, 4)).toString('hex');
    await expect(openSecret(dataKeyCipher(other), sealed)).rejects.toThrow(
      new RegExp(`^secret was encrypted with a different key \\(key id ${foreignId}, this installation's is [0-9a-f]{8}\\)$`),
    );
    await expect(openSecret(dataKeyCipher(new MemoryKeyStore()), sealed)).rejects.toThrow(
      /^the data key is missing from the \(memory\) \(a secret was sealed with key [0-9a-f]{8}\); restore the key store from its backup, or run `escd keys replace data --yes`/,
    );
  });

  it('any changed byte of nonce, ciphertext or tag fails authentication', async () => {
    const cipher = dataKeyCipher(new MemoryKeyStore());
    const payload = await cipher.encrypt(Buffer.from('hunter2'));
    for (let i = 4; i < payload.length; i++) {
      const bad = Uint8Array.from(payload);
      bad[i]! ^= 0x01;
      await expect(cipher.decrypt(bad)).rejects.toThrow(/^authentication failed$/);
    }
    await expect(cipher.decrypt(payload.subarray(0, 31))).rejects.toThrow('ciphertext too short');
  });

  it('the evaluator reports a tampered secret as "decrypting: authentication failed"', async () => {
    const cipher = dataKeyCipher(new MemoryKeyStore());
    const payload = await cipher.encrypt(Buffer.from('hunter2'));
    payload[payload.length - 1]! ^= 0x80;
    const source = `values:\n  pw:\n    fn::secret:\n      ciphertext: ${b64(encodeEnvelope(payload))}\n`;
    const result = await evaluateEnvironment('proj/dev', source, {
      loader: async (name) => {
        throw new Error(`no ${name}`);
      },
      providers: new Map(),
      cipher,
      context: {},
      mode: 'eval',
    });
    expect(result.diagnostics.map((d) => d.summary)).toContain('decrypting: authentication failed');
  });

  describe('with the file key store', () => {
    let home: TmpHome;
    beforeEach(async () => (home = await makeTmpHome()));
    afterEach(() => home.cleanup());

    it('ciphers racing to create the data key end up with one key', async () => {
      const file = join(home.dir, 'keys', 'keystore.json');
      const ciphers = Array.from({ length: 5 }, () => dataKeyCipher(new FileKeyStore(file)));
      const sealed = await Promise.all(ciphers.map((c, i) => sealSecret(c, `secret-${i}`)));
      const reader = dataKeyCipher(new FileKeyStore(file));
      expect(await Promise.all(sealed.map((s) => openSecret(reader, s)))).toEqual(['secret-0', 'secret-1', 'secret-2', 'secret-3', 'secret-4']);
    });
  });
});
