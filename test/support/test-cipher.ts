// The conformance corpus's cipher (§4): each byte b ↦ (b + 128) mod 256; the same operation both
// ways. For tests only — it protects nothing.
import type { Cipher } from '../../src/secrets/cipher.js';

function shift(bytes: Uint8Array): Uint8Array {
  return Uint8Array.from(bytes, (b) => (b + 128) & 0xff);
}

export const testCipher: Cipher = {
  encrypt: async (plaintext) => shift(plaintext),
  decrypt: async (ciphertext) => shift(ciphertext),
};
