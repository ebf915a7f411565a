import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as fsp from 'node:fs/promises';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EscdError } from '../../src/core/errors.js';
import { EnvironmentStore } from '../../src/store/store.js';
import { parseEnvironmentName } from '../../src/store/names.js';

// Fault injection for the atomic-write tests: the real fs, except where a test arms a failure.
const faults = vi.hoisted(() => ({ rename: undefined as Error | undefined, partialWrite: undefined as Error | undefined }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    rename: async (from: string, to: string) => {
      if (faults.rename) throw faults.rename;
      return real.rename(from, to);
    },
    open: async (...args: Parameters<typeof real.open>) => {
      const handle = await real.open(...args);
      const failure = faults.partialWrite;
      if (!failure) return handle;
      // Writes the first half, then fails as a full disk would.
      return Object.assign(Object.create(handle) as typeof handle, {
        writeFile: async (data: string) => {
          await handle.write(data.slice(0, Math.floor(data.length / 2)));
          throw failure;
        },
        sync: () => handle.sync(),
        close: () => handle.close(),
      });
    },
  };
});

let dir: string;
let store: EnvironmentStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'escd-store-'));
  store = new EnvironmentStore(join(dir, 'environments'), 'acme');
});
afterEach(async () => {
  faults.rename = undefined;
  faults.partialWrite = undefined;
  await rm(dir, { recursive: true, force: true });
});

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

describe('environment names', () => {
  it('accepts [org/]project/env and defaults org and project', () => {
    expect(parseEnvironmentName('app/dev', 'acme')).toEqual({ org: 'acme', project: 'app', env: 'dev', name: 'app/dev' });
    expect(parseEnvironmentName('other/app/dev', 'acme')).toEqual({ org: 'other', project: 'app', env: 'dev', name: 'other/app/dev' });
    expect(parseEnvironmentName('acme/app/dev', 'acme').name).toBe('app/dev');
    expect(parseEnvironmentName('dev', 'acme').name).toBe('default/dev');
    expect(parseEnvironmentName('my-app_2/v1.2', 'acme').name).toBe('my-app_2/v1.2');
  });

  it.each(['', '..', '../x', 'app/..', 'app/../x', '/etc/passwd', 'app\\dev', 'app/dev/', 'a/b/c/d', 'app/.hidden', 'app/d ev', 'app/dév', 'x'.repeat(101)])(
    'rejects %j',
    (name) => {
      expect(() => parseEnvironmentName(name, 'acme')).toThrow(/environment name|must not be empty/);
    },
  );

  it('refuses a version where a plain name is wanted', () => {
    expect(() => parseEnvironmentName('app/dev@2', 'acme')).toThrow('a version (@2) is not allowed here');
  });
});

describe('EnvironmentStore', () => {
  it('writes, reads, lists and removes environments', async () => {
    await store.write('app/dev', 'values:\n  a: 1\n');
    await store.write('acme/app/prod', 'values: {}\n');
    await store.write('base', 'values: {}\n');
    const read = await store.read('app/dev');
    expect(read.source).toBe('values:\n  a: 1\n');
    expect(read.file).toBe(join(dir, 'environments', 'app', 'dev.yaml'));
    expect(read.mtimeMs).toBeGreaterThan(0);
    expect((await store.list()).map((e) => e.name)).toEqual(['app/dev', 'app/prod', 'default/base']);
    await store.remove('app/dev');
    await expect(store.read('app/dev')).rejects.toThrow(`environment app/dev does not exist (no file ${join(dir, 'environments', 'app', 'dev.yaml')})`);
    await store.remove('app/prod');
    // The empty project directory goes too.
    expect(await readdir(join(dir, 'environments'))).toEqual(['default']);
  });

  it('creates 0600 files in 0700 directories, and tightens a file it replaces', async () => {
    await store.write('app/dev', 'values: {}\n');
    expect(await mode(join(dir, 'environments'))).toBe(0o700);
    expect(await mode(join(dir, 'environments', 'app'))).toBe(0o700);
    const file = join(dir, 'environments', 'app', 'dev.yaml');
    expect(await mode(file)).toBe(0o600);
    await fsp.chmod(file, 0o644);
    await store.write('app/dev', 'values: {a: 1}\n');
    expect(await mode(file)).toBe(0o600);
  });

  it('lists nothing for a missing directory and skips stray files', async () => {
    expect(await store.list()).toEqual([]);
    await store.write('app/dev', 'values: {}\n');
    await writeFile(join(dir, 'environments', 'app', 'notes.txt'), 'x');
    await writeFile(join(dir, 'environments', 'app', '.dev.yaml.123.tmp'), 'x');
    await writeFile(join(dir, 'environments', 'stray.yaml'), 'x');
    expect((await store.list()).map((e) => e.name)).toEqual(['app/dev']);
  });

  it('honours mustExist, mustNotExist and expectedMtimeMs', async () => {
    await expect(store.write('app/dev', 'x: 1\n', { mustExist: true })).rejects.toMatchObject({ code: 'not_found' });
    await store.write('app/dev', 'values: {}\n', { mustNotExist: true });
    await expect(store.write('app/dev', 'values: {}\n', { mustNotExist: true })).rejects.toMatchObject({ code: 'exists', message: 'already exists' });
    const { mtimeMs } = await store.read('app/dev');
    await expect(store.write('app/dev', 'values: {b: 2}\n', { expectedMtimeMs: mtimeMs - 1000 })).rejects.toMatchObject({ code: 'conflict' });
    expect((await store.read('app/dev')).source).toBe('values: {}\n');
    await store.write('app/dev', 'values: {b: 2}\n', { expectedMtimeMs: mtimeMs });
    expect((await store.read('app/dev')).source).toBe('values: {b: 2}\n');
  });

  it('refuses names that would escape the directory before touching the disk', async () => {
    for (const name of ['../escape', 'app/../../x', '/abs/path']) {
      await expect(store.write(name, 'values: {}\n')).rejects.toBeInstanceOf(EscdError);
    }
    await expect(stat(join(dir, 'escape.yaml'))).rejects.toThrow();
  });

  it('refuses symbolic links that lead outside the environments directory', async () => {
    const outside = join(dir, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'secret.yaml'), 'values: {stolen: true}\n');
    await mkdir(join(dir, 'environments'), { recursive: true });
    await symlink(outside, join(dir, 'environments', 'linked'));
    await expect(store.read('linked/secret')).rejects.toThrow(/outside the environments directory/);
    await expect(store.write('linked/new', 'values: {}\n')).rejects.toThrow(/outside the environments directory/);
    await expect(stat(join(outside, 'new.yaml'))).rejects.toThrow();
    await mkdir(join(dir, 'environments', 'app'));
    await symlink(join(outside, 'secret.yaml'), join(dir, 'environments', 'app', 'dev.yaml'));
    await expect(store.read('app/dev')).rejects.toThrow(/outside the environments directory/);
  });

  it('follows links that stay inside the directory', async () => {
    await store.write('app/dev', 'values: {a: 1}\n');
    await symlink(join(dir, 'environments', 'app', 'dev.yaml'), join(dir, 'environments', 'app', 'alias.yaml'));
    expect((await store.read('app/alias')).source).toBe('values: {a: 1}\n');
  });
});

describe('atomic writes', () => {
  const file = (): string => join(dir, 'environments', 'app', 'dev.yaml');
  const leftovers = async (): Promise<string[]> => (await readdir(join(dir, 'environments', 'app'))).filter((n) => n !== 'dev.yaml' && n !== '.history');

  it('replaces the file by rename (a reader holding the old file keeps the old content)', async () => {
    await store.write('app/dev', 'values: {old: true}\n');
    const before = await stat(file());
    const handle = await fsp.open(file(), 'r');
    try {
      await store.write('app/dev', 'values: {new: true}\n');
      expect((await stat(file())).ino).not.toBe(before.ino);
      expect(await handle.readFile('utf8')).toBe('values: {old: true}\n');
    } finally {
      await handle.close();
    }
    expect(await readFile(file(), 'utf8')).toBe('values: {new: true}\n');
  });

  it('keeps the old content and no temporary file when the disk fills mid-write', async () => {
    await store.write('app/dev', 'values: {old: true}\n');
    faults.partialWrite = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    await expect(store.write('app/dev', `values: {new: "${'x'.repeat(10_000)}"}\n`)).rejects.toThrow(`cannot write ${file()}: ENOSPC`);
    expect(await readFile(file(), 'utf8')).toBe('values: {old: true}\n');
    expect(await leftovers()).toEqual([]);
  });

  it('keeps the old content and no temporary file when the rename fails', async () => {
    await store.write('app/dev', 'values: {old: true}\n');
    faults.rename = Object.assign(new Error('I/O error'), { code: 'EIO' });
    await expect(store.write('app/dev', 'values: {new: true}\n')).rejects.toThrow('EIO');
    expect(await readFile(file(), 'utf8')).toBe('values: {old: true}\n');
    expect(await leftovers()).toEqual([]);
  });

  it('never exposes a partial file to concurrent readers', async () => {
    const big = (c: string): string => `values:\n  blob: "${c.repeat(200_000)}"\n`;
    await store.write('app/dev', big('a'));
    let writing = true;
    const seen = new Set<string>();
    const reader = (async () => {
      while (writing) {
        const text = await readFile(file(), 'utf8');
        seen.add(text === big('a') ? 'a' : text === big('b') ? 'b' : 'partial');
      }
    })();
    for (let i = 0; i < 10; i++) await store.write('app/dev', big(i % 2 ? 'a' : 'b'));
    writing = false;
    await reader;
    expect(seen.has('partial')).toBe(false);
  });
});

describe('loader', () => {
  it('loads imports by name and names environment and file when one is missing', async () => {
    await store.write('app/base', 'values: {a: 1}\n');
    const load = store.loader();
    expect(await load('app/base')).toEqual({ name: 'app/base', source: 'values: {a: 1}\n' });
    await expect(load('app/missing')).rejects.toThrow(`environment app/missing does not exist (no file ${join(dir, 'environments', 'app', 'missing.yaml')})`);
    await expect(load('../x')).rejects.toThrow('cannot import "../x": invalid environment name');
  });

  it('serves overridden sources (an edit being validated) before the stored one', async () => {
    await store.write('app/base', 'values: {a: 1}\n');
    expect((await store.loader(new Map([['app/base', 'values: {a: 2}\n']]))('app/base')).source).toBe('values: {a: 2}\n');
  });
});
