// Which of escd's keys have existed on this installation (issue 12, finding 5): once a data key or a
// signing key has existed, a missing one is an error with recovery steps, never a new key made on the
// side (secrets would end up under two keys, and restoring the backup would break the new one). The
// record lives in the state directory, outside the key store's own directory, so deleting the key
// store does not delete the memory of it; a replacement is only ever made by `escd keys replace`.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Paths } from '../config/paths.js';
import { writeFileAtomic } from './atomic-file.js';
import { withFileLock } from './file-lock.js';
import { ensurePrivateDir } from './private-path.js';
import { KeyStoreError } from './types.js';

export type KeyKind = 'data' | 'signing';

interface HistoryFile {
  readonly version: 1;
  /** When each kind of key was first seen or created (ISO time). */
  readonly created: Partial<Record<KeyKind, string>>;
}

export function keyHistoryPath(paths: Pick<Paths, 'stateDir'>): string {
  return join(paths.stateDir, 'keys-created.json');
}

export class KeyHistory {
  private readonly noted = new Set<KeyKind>();

  constructor(readonly file: string) {}

  /** When a key of this kind first existed here; undefined when none ever did (as far as escd knows). */
  async createdAt(kind: KeyKind): Promise<string | undefined> {
    return (await this.read()).created[kind];
  }

  /** Remembers that a key of this kind exists (once per process; the first date is kept). */
  async note(kind: KeyKind, at: Date = new Date()): Promise<void> {
    if (this.noted.has(kind)) return;
    if ((await this.read()).created[kind] === undefined) {
      await ensurePrivateDir(dirname(this.file));
      await withFileLock(`${this.file}.lock`, async () => {
        const current = await this.read();
        if (current.created[kind] !== undefined) return;
        const next: HistoryFile = { version: 1, created: { ...current.created, [kind]: at.toISOString() } };
        await writeFileAtomic(this.file, JSON.stringify(next, null, 2) + '\n', 0o600);
      });
    }
    this.noted.add(kind);
  }

  private async read(): Promise<HistoryFile> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, created: {} };
      throw new KeyStoreError(`cannot read ${this.file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    try {
      const parsed = JSON.parse(text) as Partial<HistoryFile>;
      if (parsed.version === 1 && typeof parsed.created === 'object' && parsed.created !== null) return parsed as HistoryFile;
    } catch {
      // reported below
    }
    // A damaged record must not read as "no key ever existed".
    throw new KeyStoreError(`${this.file} is damaged: it should say {"version": 1, "created": {...}}; restore it, or delete it if this installation never had keys`);
  }
}

/** What keeps a missing key from being made anew on the side. */
export interface KeyGuard {
  /** Why there must already be a key (`one was created on …`), or undefined when none ever existed. */
  existed(): Promise<string | undefined>;
  /** Told that the key exists (created or read), so it is remembered. */
  exists(): Promise<void>;
}

/** The guard of one kind of key: the history, then `more` evidence (e.g. sealed secrets in environment files). */
export function keyGuard(history: KeyHistory, kind: KeyKind, more?: () => Promise<string | undefined>): KeyGuard {
  return {
    async existed() {
      const at = await history.createdAt(kind);
      if (at !== undefined) return `one was created on ${at.slice(0, 10)}, as ${history.file} records`;
      return more?.();
    },
    exists: () => history.note(kind),
  };
}
