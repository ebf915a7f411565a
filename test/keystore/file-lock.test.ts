import { spawnSync } from 'node:child_process';
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockTimeoutError, withFileLock } from '../../src/keystore/file-lock.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

describe('withFileLock', () => {
  let home: TmpHome;
  let lock: string;
  beforeEach(async () => {
    home = await makeTmpHome();
    lock = join(home.dir, 'x.lock');
  });
  afterEach(() => home.cleanup());

  it('runs callers one at a time', async () => {
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 5 }, () =>
        withFileLock(lock, async () => {
          most = Math.max(most, ++inside);
          await new Promise((r) => setTimeout(r, 5));
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
  });

  it('takes over a lock left by a process that no longer exists', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    await writeFile(lock, `${dead}\n`);
    await expect(withFileLock(lock, async () => 'got it', { timeoutMs: 2_000 })).resolves.toBe('got it');
  });

  it('takes over an empty lock left by a holder killed between creating it and writing its pid', async () => {
    await writeFile(lock, '');
    const past = new Date(Date.now() - 5_000);
    await utimes(lock, past, past);
    await expect(withFileLock(lock, async () => 'got it', { timeoutMs: 2_000 })).resolves.toBe('got it');
  });

  it('leaves a just-created empty lock to its holder, which is about to write its pid', async () => {
    await writeFile(lock, '');
    const future = new Date(Date.now() + 60_000);
    await utimes(lock, future, future);
    await expect(withFileLock(lock, async () => 'never', { timeoutMs: 200 })).rejects.toBeInstanceOf(LockTimeoutError);
  });

  it('times out with a clear message while a live process holds it', async () => {
    await writeFile(lock, `${process.ppid}\n`);
    const err = await withFileLock(lock, async () => 'never', { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockTimeoutError);
    expect((err as Error).message).toBe(`timed out waiting for the lock ${lock} (remove it if no escd process is running)`);
  });
});
