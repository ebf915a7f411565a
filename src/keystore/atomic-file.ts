// Writes a file so that a reader sees the old content or the new, never half of it, and a crash
// never leaves a truncated key file: write a temporary file beside it, fsync, rename over. The file
// gets exactly `mode`, independent of the umask.
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { processGone } from '../core/process.js';

export async function writeFileAtomic(path: string, data: string, mode = 0o600): Promise<void> {
  await removeStaleTemps(path);
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const handle = await open(tmp, 'wx', mode);
    try {
      await handle.chmod(mode); // exactly `mode`, whatever the umask
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  // Persist the rename itself; not every platform can open a directory, so this is best effort.
  const dir = await open(dirname(path), 'r').catch(() => undefined);
  if (dir) await dir.sync().catch(() => undefined).finally(() => dir.close());
}

/**
 * Removes the temporary files of `path` that a writer left when it died before its rename (SIGKILL,
 * a crash): half-written copies, of the key store too. Files of live writers are left alone.
 */
export async function removeStaleTemps(path: string): Promise<void> {
  const dir = dirname(path);
  const prefix = `${basename(path)}.`;
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const pid = name.startsWith(prefix) ? /^(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name.slice(prefix.length))?.[1] : undefined;
    if (pid !== undefined && Number(pid) !== process.pid && processGone(Number(pid))) await rm(join(dir, name), { force: true });
  }
}
