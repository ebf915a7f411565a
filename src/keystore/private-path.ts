// Key material lives only in files and directories no other user can read. Wider permissions are
// refused rather than fixed silently: they mean someone else may already have copied the keys.
import { lstat, mkdir } from 'node:fs/promises';
import { KeyStoreError } from './types.js';

const octal = (mode: number): string => '0' + (mode & 0o777).toString(8);

/** Checks an existing path; returns false when it does not exist. */
export async function checkPrivate(path: string, kind: 'file' | 'directory'): Promise<boolean> {
  let info;
  try {
    info = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new KeyStoreError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (info.isSymbolicLink()) throw new KeyStoreError(`refusing to use ${path}: it is a symbolic link`);
  if (kind === 'file' ? !info.isFile() : !info.isDirectory()) throw new KeyStoreError(`refusing to use ${path}: it is not a ${kind}`);
  if (process.platform === 'win32') return true;
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid) throw new KeyStoreError(`refusing to use ${path}: it belongs to another user (uid ${info.uid})`);
  if ((info.mode & 0o077) !== 0) {
    const want = kind === 'file' ? '600' : '700';
    throw new KeyStoreError(`refusing to use ${path}: other users can access it (mode ${octal(info.mode)}); run \`chmod ${want} ${path}\` if that was never the case, otherwise treat its keys as leaked`);
  }
  return true;
}

/** Creates the directory (0700) if needed, then checks it. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  if (!(await checkPrivate(dir, 'directory'))) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await checkPrivate(dir, 'directory');
  }
}
