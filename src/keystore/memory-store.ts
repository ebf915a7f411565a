// An in-memory key store for tests of code that needs one (no file, no keychain).
import type { KeyStore } from './types.js';

export class MemoryKeyStore implements KeyStore {
  readonly backend = 'file';
  readonly location = '(memory)';
  readonly entries = new Map<string, string>();

  async get(name: string): Promise<string | undefined> {
    return this.entries.get(name);
  }
  async set(name: string, value: string): Promise<void> {
    this.entries.set(name, value);
  }
  async delete(name: string): Promise<void> {
    this.entries.delete(name);
  }
  async setIfAbsent(name: string, value: string): Promise<string> {
    if (!this.entries.has(name)) this.entries.set(name, value);
    return this.entries.get(name)!;
  }
}
