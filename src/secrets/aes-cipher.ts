// The real cipher for secrets at rest: AES-256-GCM under a data key kept in the key store.
//
// Payload (what goes inside the `escx` envelope of envelope.ts):
//
//   key id (4 bytes) ‖ nonce (12 bytes, random) ‖ ciphertext (same length as the plaintext) ‖ GCM tag (16 bytes)
//
// The key id names the data key that sealed the payload and is authenticated as additional data, so
// a payload sealed on another installation is reported as such rather than as tampering.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { KeyGuard } from '../keystore/key-history.js';
import type { KeyStore } from '../keystore/types.js';
import { EscdError } from '../core/errors.js';
import type { Cipher } from './cipher.js';

export const DATA_KEY_NAME = 'secrets-data-key';
const KEY_ID_BYTES = 4;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

interface DataKey {
  readonly id: Buffer;
  readonly key: Buffer;
}

interface StoredDataKey {
  /** 8 hex digits. */
  readonly id: string;
  /** 32 bytes, base64. */
  readonly key: string;
}

/** The one line for a data key that existed and is gone. */
export const missingDataKey = (location: string, why: string): string =>
  `the data key is missing from the ${location} (${why}); restore the key store from its backup, or run \`escd keys replace data --yes\` to make a new one (secrets sealed with the old key will not decrypt)`;

function newDataKey(): StoredDataKey {
  return { id: randomBytes(KEY_ID_BYTES).toString('hex'), key: randomBytes(KEY_BYTES).toString('base64') };
}

/**
 * Makes a new data key, replacing the one in the store (if any): what `escd keys replace data`
 * does on purpose. Returns the new key's id and the old one's, when there was one.
 */
export async function replaceDataKey(store: KeyStore): Promise<{ id: string; previous?: string }> {
  const old = await store.get(DATA_KEY_NAME).then((text) => (text === undefined ? undefined : parseDataKey(text)), () => undefined);
  const fresh = newDataKey();
  await store.set(DATA_KEY_NAME, JSON.stringify(fresh));
  return { id: fresh.id, ...(old ? { previous: old.id.toString('hex') } : {}) };
}

/** `guard`: once a data key has existed, a missing one is an error, never a new key made on the side. */
export function dataKeyCipher(store: KeyStore, guard?: KeyGuard): Cipher {
  let cached: Promise<DataKey | undefined> | undefined;

  // Read once; a failed read (keychain locked) is retried next time rather than remembered.
  const load = (): Promise<DataKey | undefined> => {
    cached ??= store.get(DATA_KEY_NAME).then((text) => (text === undefined ? undefined : parseDataKey(text)));
    cached.catch(() => (cached = undefined));
    return cached;
  };

  // Remembering is best effort: a state directory that cannot be written must not stop encryption.
  const remember = (): Promise<void> => guard?.exists().catch(() => undefined) ?? Promise.resolve();

  const loadOrCreate = async (): Promise<DataKey> => {
    const existing = await load();
    if (existing) {
      await remember();
      return existing;
    }
    const why = await guard?.existed();
    if (why !== undefined) throw new EscdError('io', missingDataKey(store.location, why));
    // Another process may have created one meanwhile: whichever was stored first is the key.
    const stored = parseDataKey(await store.setIfAbsent(DATA_KEY_NAME, JSON.stringify(newDataKey())));
    cached = Promise.resolve(stored);
    await remember();
    return stored;
  };

  return {
    async encrypt(plaintext) {
      const { id, key } = await loadOrCreate();
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
      cipher.setAAD(id);
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return Buffer.concat([id, nonce, body, cipher.getAuthTag()]);
    },

    async decrypt(payload) {
      if (payload.length < KEY_ID_BYTES + NONCE_BYTES + TAG_BYTES) throw new Error('ciphertext too short');
      const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
      const id = bytes.subarray(0, KEY_ID_BYTES);
      let dataKey = await load();
      if (dataKey && !dataKey.id.equals(id)) {
        // Another process may have replaced the key (`escd keys replace data`): read it again once.
        cached = undefined;
        dataKey = await load();
      }
      if (dataKey) void remember();
      if (!dataKey) throw new Error(missingDataKey(store.location, `a secret was sealed with key ${id.toString('hex')}`));
      if (!dataKey.id.equals(id)) {
        throw new Error(`secret was encrypted with a different key (key id ${id.toString('hex')}, this installation's is ${dataKey.id.toString('hex')})`);
      }
      const nonce = bytes.subarray(KEY_ID_BYTES, KEY_ID_BYTES + NONCE_BYTES);
      const tag = bytes.subarray(bytes.length - TAG_BYTES);
      const body = bytes.subarray(KEY_ID_BYTES + NONCE_BYTES, bytes.length - TAG_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', dataKey.key, nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(id);
      decipher.setAuthTag(tag);
      try {
        return Buffer.concat([decipher.update(body), decipher.final()]);
      } catch {
        throw new Error('authentication failed');
      }
    },
  };
}

function parseDataKey(text: string): DataKey {
  // Never echo the text: it is the key.
  let raw: Partial<StoredDataKey> | null = null;
  try {
    raw = JSON.parse(text) as Partial<StoredDataKey>;
  } catch {
    // reported below
  }
  const id = typeof raw?.id === 'string' && /^[0-9a-f]{8}$/.test(raw.id) ? Buffer.from(raw.id, 'hex') : undefined;
  const key = typeof raw?.key === 'string' ? Buffer.from(raw.key, 'base64') : undefined;
  if (!id || !key || key.length !== KEY_BYTES) throw new Error(`the data key "${DATA_KEY_NAME}" in the key store is malformed`);
  return { id, key };
}
