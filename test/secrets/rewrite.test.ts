// Secrets-at-rest rewriting against the reference's pairs (conformance README §8), with the test cipher.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument, visit } from 'yaml';
import { describe, expect, it } from 'vitest';
import { MemoryKeyStore } from '../../src/keystore/memory-store.js';
import { dataKeyCipher } from '../../src/secrets/aes-cipher.js';
import { decryptSecretsInText, encryptSecretsInText } from '../../src/store/secret-rewrite.js';
import { testCipher } from '../support/test-cipher.js';
import { corpusDir } from '../conformance/run.js';

const dir = join(corpusDir([]), 'cases-crypt');
const present = existsSync(dir);
const reason = `cases-crypt not found at ${dir} (set ESC_CONFORMANCE_DIR)`;
if (!present) {
  if (process.env.ESCD_REQUIRE_E2E === '1') {
    describe('cases-crypt', () => {
      it('needs the corpus', () => {
        throw new Error(reason);
      });
    });
  } else console.warn(`skipping: ${reason}`);
}

/** The document as data plus every comment in order: what must survive a rewrite. */
function shape(text: string): { data: unknown; comments: string[] } {
  const doc = parseDocument(text);
  const comments: string[] = [];
  const take = (c: string | null | undefined): void => void (c ? comments.push(c.trim()) : undefined);
  take(doc.commentBefore);
  visit(doc, (_key, node) => {
    const n = node as { commentBefore?: string | null; comment?: string | null };
    take(n.commentBefore);
    take(n.comment);
  });
  take(doc.comment);
  return { data: doc.toJS(), comments };
}

const ciphertexts = (text: string): string[] => [...text.matchAll(/ciphertext: ([A-Za-z0-9+/=]+)/g)].map((m) => m[1]!);

const pairs = present ? [...new Set(readdirSync(dir).map((f) => f.split('.')[0]!))].sort() : [];

describe.skipIf(!present)('cases-crypt with the test cipher', () => {
  it('has pairs to run', () => expect(pairs.length).toBeGreaterThan(0));

  for (const name of pairs) {
    const plaintext = present ? readFileSync(join(dir, `${name}.plaintext.yaml`), 'utf8') : '';
    const ciphertext = present ? readFileSync(join(dir, `${name}.ciphertext.yaml`), 'utf8') : '';

    it(`${name}: encrypting gives the ciphertext file`, async () => {
      const out = await encryptSecretsInText(plaintext, testCipher);
      expect(ciphertexts(out)).toEqual(ciphertexts(ciphertext));
      expect(shape(out)).toEqual(shape(ciphertext));
      // Our emitter happens to match the reference's byte for byte on these pairs.
      expect(out).toBe(ciphertext);
    });

    it(`${name}: decrypting gives the plaintext file`, async () => {
      const out = await decryptSecretsInText(ciphertext, testCipher);
      expect(shape(out)).toEqual(shape(plaintext));
      expect(out).toBe(plaintext);
    });
  }
});

describe('secret rewriting rules', () => {
  it('decrypts only under values; encrypts everywhere', async () => {
    const text = 'imports:\n  - {fn::secret: outside}\nvalues:\n  a:\n    fn::secret: inside\n';
    const sealed = await encryptSecretsInText(text, testCipher);
    expect(ciphertexts(sealed)).toHaveLength(2);
    const opened = parseDocument(await decryptSecretsInText(sealed, testCipher)).toJS() as { imports: unknown[]; values: unknown };
    expect(opened.values).toEqual({ a: { 'fn::secret': 'inside' } });
    expect(opened.imports[0]).toEqual({ 'fn::secret': { ciphertext: ciphertexts(sealed)[0] } });
  });

  it('leaves non-secret and multi-key mappings alone and returns the text unchanged when there is nothing to do', async () => {
    const text = 'values:\n  # keep me\n  x: {fn::secret: a, other: b}\n  y: [1, 2]\n  n:\n    fn::secret: 42\n';
    expect(await encryptSecretsInText(text, testCipher)).toBe(text);
    expect(await decryptSecretsInText(text, testCipher)).toBe(text);
  });

  it('round-trips with the AES data-key cipher, and a bad ciphertext names its path', async () => {
    const cipher = dataKeyCipher(new MemoryKeyStore());
    const text = 'values:\n  db:\n    password:\n      fn::secret: s3cr3t # rotate monthly\n';
    const sealed = await encryptSecretsInText(text, cipher);
    expect(sealed).not.toContain('s3cr3t');
    expect(sealed).toContain('# rotate monthly');
    expect(await decryptSecretsInText(sealed, cipher)).toBe(text);
    const [ct] = ciphertexts(sealed);
    const tampered = sealed.replace(ct!, Buffer.from(Buffer.from(ct!, 'base64').map((b, i) => (i === 20 ? b ^ 1 : b))).toString('base64'));
    await expect(decryptSecretsInText(tampered, cipher, 'proj/dev.yaml')).rejects.toThrow('proj/dev.yaml:4: invalid ciphertext: invalid checksum');
    await expect(decryptSecretsInText('values:\n  p: {fn::secret: {ciphertext: "!!"}}\n', cipher)).rejects.toThrow(
      /^<document>:2: invalid ciphertext: illegal base64 data at input byte 0$/,
    );
    const other = dataKeyCipher(new MemoryKeyStore());
    await expect(decryptSecretsInText(await encryptSecretsInText(text, other), cipher)).rejects.toThrow(
      /^<document>:4: decrypting: secret was encrypted with a different key \(key id [0-9a-f]{8}, this installation's is [0-9a-f]{8}\)$/,
    );
  });

  it('a YAML syntax error names its line', async () => {
    await expect(encryptSecretsInText('values:\n  a: [\n', testCipher, 'proj/dev.yaml')).rejects.toThrow(/^proj\/dev\.yaml:\d+:\d+: error: /);
  });
});
