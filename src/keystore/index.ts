// The key store: where escd keeps its private signing keys and the secrets data key.
export { openKeyStore, backendRecordPath, type OpenKeyStoreOptions } from './open.js';
export { KeyStoreError, type KeyStore, type KeyStoreBackend } from './types.js';
export { FileKeyStore } from './file-store.js';
export { KeychainKeyStore, probeKeychain, keychainLocation, KEYCHAIN_SERVICE } from './keychain-store.js';
export { MemoryKeyStore } from './memory-store.js';
