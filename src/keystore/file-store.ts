// The file backend: one JSON file (0600) in a directory of its own (0700), for machines without an
// OS keychain. Every change is read-modify-write under a lock and lands with an atomic rename.
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { removeStaleTemps, writeFileAtomic } from './atomic-file.js';
import { withFileLock } from './file-lock.js';
import { checkPrivate, ensurePrivateDir } from './private-path.js';
import { KeyStoreError, type KeyStore } from './types.js';

interface FileContent {
  version: 1;
  entries: Record<string, string>;
}

export class FileKeyStore implements KeyStore {
  readonly backend = 'file';
  readonly location: string;
  private tempsChecked: Promise<void> | undefined;

  constructor(
    readonly file: string,
    readonly note?: string,
  ) {
    this.location = file;
  }

  async get(name: string): Promise<string | undefined> {
    return (await this.read())[name];
  }

  async set(name: string, value: string): Promise<void> {
    await this.update((entries) => {
      entries[name] = value;
    });
  }

  async delete(name: string): Promise<void> {
    await this.update((entries) => {
      delete entries[name];
    });
  }

  async setIfAbsent(name: string, value: string): Promise<string> {
    let stored = value;
    await this.update((entries) => {
      stored = entries[name] ??= value;
    });
    return stored;
  }

  /** True when the file exists and holds at least one entry. */
  async hasEntries(): Promise<boolean> {
    return Object.keys(await this.read()).length > 0;
  }

  private async read(): Promise<Record<string, string>> {
    if (!(await checkPrivate(dirname(this.file), 'directory'))) return {};
    // A writer killed mid-write may have left a copy of the keys beside the file: not for long.
    this.tempsChecked ??= removeStaleTemps(this.file).catch(() => {});
    await this.tempsChecked;
    if (!(await checkPrivate(this.file, 'file'))) return {};
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      throw new KeyStoreError(`cannot read the key store ${this.file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    return parseContent(text, this.file).entries;
  }

  private async update(change: (entries: Record<string, string>) => void): Promise<void> {
    await ensurePrivateDir(dirname(this.file));
    await withFileLock(`${this.file}.lock`, async () => {
      const entries = await this.read();
      change(entries);
      const content: FileContent = { version: 1, entries };
      await writeFileAtomic(this.file, JSON.stringify(content, null, 2) + '\n', 0o600);
    });
  }
}

function parseContent(text: string, file: string): FileContent {
  // The parser's own message would quote the file's content, i.e. key material: never show it.
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new KeyStoreError(`the key store ${file} is not valid JSON (damaged?); restore it from a backup`);
  }
  const obj = raw as Partial<FileContent> | null;
  if (typeof obj !== 'object' || obj === null || obj.version !== 1 || typeof obj.entries !== 'object' || obj.entries === null) {
    throw new KeyStoreError(`the key store ${file} has an unknown format (expected {"version": 1, "entries": {...}})`);
  }
  for (const [key, value] of Object.entries(obj.entries)) {
    if (typeof value !== 'string') throw new KeyStoreError(`the key store ${file}: entry "${key}" is not a string`);
  }
  return obj as FileContent;
}
