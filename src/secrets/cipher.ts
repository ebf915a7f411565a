// Secrets at rest: `fn::secret: {ciphertext}` payloads are sealed by a Cipher inside the envelope
// of src/secrets/envelope.ts. The conformance corpus uses a trivial test cipher; real use seals with
// AES-256-GCM under the data key held by the key store.

export interface Cipher {
  encrypt(plaintext: Uint8Array): Promise<Uint8Array>;
  /** Rejects with an Error whose message is reported as `decrypting: <message>`. */
  decrypt(ciphertext: Uint8Array): Promise<Uint8Array>;
}
