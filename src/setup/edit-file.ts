// Applying a text edit to a user's config file carefully: follow a symlink to the real file (dotfiles),
// hold a lock, keep a backup, write atomically with the old mode (0600 for a new file), and refuse
// to overwrite a change someone made while we were editing.
import { constants } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { withFileLock } from '../keystore/file-lock.js';
import { writeFileAtomic } from '../keystore/atomic-file.js';
import { EscdError } from '../core/errors.js';

export interface FileEditResult {
  /** The file written (symlinks resolved). */
  readonly file: string;
  readonly created: boolean;
  readonly changed: boolean;
  readonly backup?: string;
}

async function readOrEmpty(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new EscdError('io', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

async function target(file: string): Promise<string> {
  try {
    return await realpath(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new EscdError('io', `cannot resolve ${file}: ${(err as NodeJS.ErrnoException).code}`);
  }
  const link = await lstat(file).catch(() => undefined);
  if (link?.isSymbolicLink()) throw new EscdError('bad_request', `${file} is a symbolic link to a missing file; create the target or remove the link`);
  return resolve(file);
}

/** `config.escd-backup-20261122T215500123Z`: sortable, unique per millisecond. */
export function backupName(file: string, now: Date): string {
  return `${file}.escd-backup-${now.toISOString().replace(/[-:.]/g, '')}`;
}

export async function editFile(file: string, edit: (text: string) => { text: string; changed: boolean }, now: () => Date = () => new Date()): Promise<FileEditResult> {
  const real = await target(file);
  await mkdir(dirname(real), { recursive: true, mode: 0o700 });
  return withFileLock(`${real}.escd-lock`, async () => {
    const before = await readOrEmpty(real);
    const result = edit(before ?? '');
    if (!result.changed) return { file: real, created: false, changed: false };
    let backup: string | undefined;
    let mode = 0o600;
    if (before !== undefined) {
      mode = (await stat(real)).mode & 0o777;
      backup = backupName(real, now());
      await copyFile(real, backup, constants.COPYFILE_EXCL);
      await chmod(backup, mode & 0o700); // the backup may hold what the file held: no wider than the owner
    }
    if ((await readOrEmpty(real)) !== before) {
      throw new EscdError('conflict', `${real} changed while escd was editing it; nothing was written, run the command again`);
    }
    await writeFileAtomic(real, result.text, mode);
    await chmod(real, mode); // the umask may have narrowed the temporary file's mode
    return { file: real, created: before === undefined, changed: true, ...(backup ? { backup } : {}) };
  }, { timeoutMs: 10_000, staleMs: 30_000 });
}
