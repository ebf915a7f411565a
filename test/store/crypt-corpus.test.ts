// Secrets at rest against the conformance corpus's cases-crypt pairs (README §8): with the
// corpus's test cipher, sealing turns each plaintext file into its ciphertext file and revealing
// turns it back (compared as parsed documents plus comments; ciphertexts exactly).
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openSecret, sealSecret } from '../../src/secrets/envelope.js';
import { testCipher } from '../support/test-cipher.js';
import { parseDefinition, renderDefinition, revealSecrets, sealSecrets } from '../../src/store/definition.js';
import { ROOT } from '../support/cli.js';
import { e2eSkipReason } from '../support/moto.js';

const corpus = resolve(process.env.ESC_CONFORMANCE_DIR ?? join(ROOT, '..', 'shared', 'esc-conformance'), 'cases-crypt');
const present = existsSync(corpus);
// Skipped with a printed reason; under ESCD_REQUIRE_E2E=1 (CI) a missing corpus fails instead.
e2eSkipReason(present ? undefined : `no cases-crypt corpus at ${corpus} (set ESC_CONFORMANCE_DIR)`);
const pairs = present ? readdirSync(corpus).filter((f) => f.endsWith('.plaintext.yaml')).map((f) => f.slice(0, -'.plaintext.yaml'.length)) : [];

const comments = (text: string): string[] => [...text.matchAll(/#.*$/gm)].map((m) => m[0].trim()).sort();

describe.skipIf(!present)('cases-crypt', () => {
  it('has pairs to check', () => {
    expect(pairs.length).toBeGreaterThan(0);
  });

  it.each(pairs)('%s: sealing the plaintext gives the ciphertext file', async (name) => {
    const plaintext = readFileSync(join(corpus, `${name}.plaintext.yaml`), 'utf8');
    const expected = readFileSync(join(corpus, `${name}.ciphertext.yaml`), 'utf8');
    const doc = parseDefinition(plaintext, name);
    await sealSecrets(doc, plaintext, (p) => sealSecret(testCipher, p));
    const ours = renderDefinition(doc);
    expect(parseDefinition(ours, name).toJS()).toEqual(parseDefinition(expected, name).toJS());
    expect(comments(ours)).toEqual(comments(expected));
    // Our emitter settings match the reference's on these files, so the bytes match too.
    expect(ours).toBe(expected);
  });

  it.each(pairs)('%s: revealing the ciphertext gives the plaintext file', async (name) => {
    const ciphertext = readFileSync(join(corpus, `${name}.ciphertext.yaml`), 'utf8');
    const expected = readFileSync(join(corpus, `${name}.plaintext.yaml`), 'utf8');
    const doc = parseDefinition(ciphertext, name);
    const { problems } = await revealSecrets(doc, ciphertext, (c) => openSecret(testCipher, c));
    expect(problems).toEqual([]);
    const ours = renderDefinition(doc);
    expect(parseDefinition(ours, name).toJS()).toEqual(parseDefinition(expected, name).toJS());
    expect(comments(ours)).toEqual(comments(expected));
    expect(ours).toBe(expected);
  });
});
