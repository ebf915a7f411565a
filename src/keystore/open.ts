// Picks the key store backend. `auto` prefers the OS keychain and falls back to the file; the
// backend that first receives a key is recorded, and later runs use that one or fail clearly,
// never quietly switching to an empty store (which would mean new signing keys, and secrets that
// can no longer be decrypted).
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { EscdConfig } from '../config/config.js';
import type { Paths } from '../config/paths.js';
import { writeFileAtomic } from './atomic-file.js';
import { FileKeyStore } from './file-store.js';
import { KeychainKeyStore, probeKeychain, type ProbeResult } from './keychain-store.js';
import { ensurePrivateDir } from './private-path.js';
import { KeyStoreError, type KeyStore, type KeyStoreBackend } from './types.js';

interface BackendRecord {
  readonly backend: KeyStoreBackend;
  readonly recordedAt: string;
}

export interface OpenKeyStoreOptions {
  /** Replaces the keychain probe (tests). */
  readonly probe?: () => Promise<ProbeResult>;
}

/** The file that says which backend holds this installation's keys. */
export function backendRecordPath(paths: Paths): string {
  return join(dirname(paths.fileKeyStore), 'backend.json');
}

/** Opens the backend `config.keystore` asks for (ESCD_KEYSTORE already applied by the config loader). */
export async function openKeyStore(config: Pick<EscdConfig, 'keystore'>, paths: Paths, options: OpenKeyStoreOptions = {}): Promise<KeyStore> {
  const choice = config.keystore;
  const recordFile = backendRecordPath(paths);
  const keychainLock = join(dirname(paths.fileKeyStore), 'keychain.lock');
  const file = new FileKeyStore(paths.fileKeyStore);
  // A key store file with keys in it counts as a record (e.g. one written before records existed).
  const recorded = (await readRecord(recordFile)) ?? ((await file.hasEntries()) ? 'file' : undefined);

  if (recorded) {
    if (choice !== 'auto' && choice !== recorded) {
      throw new KeyStoreError(
        `keystore is set to "${choice}", but this installation's keys are in the ${recorded} backend (recorded in ${recordFile}); ` +
          `set keystore back to "${recorded}" or "auto", or delete ${recordFile} to start over with new keys (secrets encrypted with the old ones will not decrypt)`,
      );
    }
    const note = `keys were created in the ${recorded} backend, as ${recordFile} records`;
    return recorded === 'file' ? new FileKeyStore(paths.fileKeyStore, note) : new KeychainKeyStore(keychainLock, note);
  }

  if (choice === 'file') return recording(new FileKeyStore(paths.fileKeyStore, 'keystore: file'), recordFile);
  if (choice === 'keychain') return recording(new KeychainKeyStore(keychainLock, 'keystore: keychain'), recordFile);
  const probe = await (options.probe ?? probeKeychain)();
  if (probe.ok) return recording(new KeychainKeyStore(keychainLock, 'keystore: auto, and the OS keychain answered'), recordFile);
  return recording(new FileKeyStore(paths.fileKeyStore, `keystore: auto, and the OS keychain is not available (${probe.reason}); using the file`), recordFile);
}

async function readRecord(file: string): Promise<KeyStoreBackend | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KeyStoreError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    const record = JSON.parse(text) as Partial<BackendRecord>;
    if (record.backend === 'keychain' || record.backend === 'file') return record.backend;
  } catch {
    // reported below
  }
  throw new KeyStoreError(`${file} is damaged: it should say {"backend": "keychain"} or {"backend": "file"}`);
}

/** Wraps a store so that its first write records the backend (before the key lands, so a key never exists unrecorded). */
function recording(store: KeyStore, recordFile: string): KeyStore {
  let recorded: Promise<void> | undefined;
  const record = (): Promise<void> =>
    (recorded ??= (async () => {
      if (await readRecord(recordFile)) return;
      await ensurePrivateDir(dirname(recordFile));
      const content: BackendRecord = { backend: store.backend, recordedAt: new Date().toISOString() };
      await writeFileAtomic(recordFile, JSON.stringify(content) + '\n', 0o600);
    })());
  return {
    backend: store.backend,
    location: store.location,
    ...(store.note !== undefined ? { note: store.note } : {}),
    get: (name) => store.get(name),
    delete: (name) => store.delete(name),
    set: async (name, value) => {
      await record();
      await store.set(name, value);
    },
    setIfAbsent: async (name, value) => {
      await record();
      return store.setIfAbsent(name, value);
    },
  };
}
