import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { FileKeyStore } from '../../src/keystore/file-store.js';
import { assertBuilt, runNode } from '../support/cli.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

const RACE = fileURLToPath(new URL('./fixtures/file-race.mjs', import.meta.url));

describe('file key store', () => {
  let home: TmpHome;
  let file: string;
  beforeEach(async () => {
    home = await makeTmpHome();
    file = join(home.dir, 'state', 'keys', 'keystore.json');
  });
  afterEach(() => home.cleanup());

  it('round-trips values and creates a 0700 directory and a 0600 file', async () => {
    const store = new FileKeyStore(file);
    expect(await store.get('a')).toBeUndefined();
    await store.set('a', 'one');
    await store.set('b', 'two');
    expect(await store.get('a')).toBe('one');
    expect(await new FileKeyStore(file).get('b')).toBe('two');
    await store.delete('a');
    expect(await store.get('a')).toBeUndefined();
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(dirname(file))).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ version: 1, entries: { b: 'two' } });
  });

  it('refuses a key file other users can read, without showing its content', async () => {
    const store = new FileKeyStore(file);
    await store.set('k', 'SECRET-VALUE');
    await chmod(file, 0o644);
    const err = await store.get('k').catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('other users can access it (mode 0644)');
    expect((err as Error).message).toContain(`chmod 600 ${file}`);
    expect((err as Error).message).not.toContain('SECRET-VALUE');
    await expect(store.set('k2', 'v')).rejects.toThrow(/mode 0644/);
  });

  it('refuses a key directory other users can enter', async () => {
    await mkdir(dirname(file), { recursive: true, mode: 0o755 });
    await chmod(dirname(file), 0o755);
    await expect(new FileKeyStore(file).set('k', 'v')).rejects.toThrow(/other users can access it \(mode 0755\).*chmod 700/);
  });

  it('reports a damaged file without quoting it', async () => {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(file, '{"version":1,"entries":{"k":"SECRET-VALUE"', { mode: 0o600 });
    const err = await new FileKeyStore(file).get('k').catch((e: Error) => e);
    expect((err as Error).message).toMatch(/not valid JSON/);
    expect((err as Error).message).not.toContain('SECRET');
  });

  it('writes atomically: concurrent writers lose no entry and leave no temporary files', async () => {
    const stores = [new FileKeyStore(file), new FileKeyStore(file), new FileKeyStore(file)];
    await Promise.all(Array.from({ length: 12 }, (_, i) => stores[i % 3]!.set(`k${i}`, `v${i}`)));
    const entries = (JSON.parse(await readFile(file, 'utf8')) as { entries: Record<string, string> }).entries;
    expect(Object.keys(entries)).toHaveLength(12);
    expect(entries.k11).toBe("v11");
    expect((await readdir(dirname(file))).sort()).toEqual(['keystore.json']);
  });

  it('setIfAbsent lets exactly one of several racing writers win', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => new FileKeyStore(file).setIfAbsent('key', `candidate-${i}`)));
    expect(new Set(results).size).toBe(1);
    expect(await new FileKeyStore(file).get('key')).toBe(results[0]);
  });

  it('separate processes racing agree on one value and lose none of their own writes', async () => {
    assertBuilt();
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => runNode(RACE, [file, `p${i}`])));
    for (const r of results) expect(r.stderr).toBe('');
    const winners = new Set(results.map((r) => r.stdout.trim()));
    expect(winners.size).toBe(1);
    const entries = (JSON.parse(await readFile(file, 'utf8')) as { entries: Record<string, string> }).entries;
    expect(entries.shared).toBe([...winners][0]);
    expect(Object.keys(entries).filter((k) => k.startsWith('own-')).sort()).toEqual(['own-p0', 'own-p1', 'own-p2', 'own-p3', 'own-p4', 'own-p5']);
  });
});
