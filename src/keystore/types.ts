// Where escd keeps its own secrets: the OIDC issuer's private signing keys and the data key that
// encrypts `fn::secret` values at rest. Values are opaque strings; names are short ASCII ids.

export type KeyStoreBackend = 'keychain' | 'file';

export interface KeyStore {
  readonly backend: KeyStoreBackend;
  /** Human-readable place: the file path, or which OS keychain. Never contains a secret. */
  readonly location: string;
  /** Why this backend was chosen (e.g. the keychain did not answer), for `escd status`/`doctor`. */
  readonly note?: string;
  get(name: string): Promise<string | undefined>;
  set(name: string, value: string): Promise<void>;
  delete(name: string): Promise<void>;
  /**
   * Stores `value` unless `name` already holds one, and returns what `name` holds afterwards.
   * Atomic across processes, so two processes creating a key lazily agree on one key.
   */
  setIfAbsent(name: string, value: string): Promise<string>;
}

/** A key store failure; its message is one line for the user and never contains a key. */
export class KeyStoreError extends Error {}
