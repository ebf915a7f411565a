import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../src/config/config.js';
import { EscdError } from '../../src/core/errors.js';
import { resolvePaths, type Paths } from '../../src/config/paths.js';
import { backendRecordPath, openKeyStore } from '../../src/keystore/open.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

const unavailable = async () => ({ ok: false as const, reason: "Couldn't access platform storage: no session bus" });
const available = async () => ({ ok: true as const });
const mustNotProbe = async (): Promise<never> => {
  throw new Error('the keychain was probed although the backend is already decided');
};

describe('openKeyStore', () => {
  let home: TmpHome;
  let paths: Paths;
  beforeEach(async () => {
    home = await makeTmpHome();
    paths = resolvePaths({ ...home.env });
  });
  afterEach(() => home.cleanup());

  it('auto falls back to the file when the keychain does not answer, says why, and records the choice on first write', async () => {
    const store = await openKeyStore({ keystore: 'auto' }, paths, { probe: unavailable });
    expect(store.backend).toBe('file');
    expect(store.location).toBe(paths.fileKeyStore);
    expect(store.note).toContain("OS keychain is not available (Couldn't access platform storage: no session bus)");
    await expect(readFile(backendRecordPath(paths), 'utf8')).rejects.toThrow(/ENOENT/);
    await store.set('k', 'v');
    expect(JSON.parse(await readFile(backendRecordPath(paths), 'utf8'))).toMatchObject({ backend: 'file' });
    // Later the keychain answers: the keys stay where they are.
    const again = await openKeyStore({ keystore: 'auto' }, paths, { probe: mustNotProbe });
    expect(again.backend).toBe('file');
    expect(await again.get('k')).toBe('v');
  });

  it('auto picks the keychain when it answers', async () => {
    const store = await openKeyStore({ keystore: 'auto' }, paths, { probe: available });
    expect(store.backend).toBe('keychain');
    expect(store.note).toContain('OS keychain answered');
  });

  it('ESCD_KEYSTORE overrides the config file; a bad value is one clear config error', async () => {
    const config = parseConfig('keystore: keychain\n', 'config.yaml', { ESCD_KEYSTORE: 'file' });
    expect((await openKeyStore(config, paths, { probe: mustNotProbe })).backend).toBe('file');
    expect(defaultConfig({ ESCD_KEYSTORE: 'file' }).keystore).toBe('file');
    expect(() => parseConfig('', 'config.yaml', { ESCD_KEYSTORE: 'vault' })).toThrow('ESCD_KEYSTORE must be one of auto, keychain, file (got "vault")');
    expect(() => defaultConfig({ ESCD_KEYSTORE: 'vault' })).toThrow(EscdError);
  });

  it('refuses to switch away from the backend that holds the keys', async () => {
    await mkdir(dirname(backendRecordPath(paths)), { recursive: true, mode: 0o700 });
    await writeFile(backendRecordPath(paths), JSON.stringify({ backend: 'keychain' }), { mode: 0o600 });
    await expect(openKeyStore({ keystore: 'file' }, paths, { probe: mustNotProbe })).rejects.toThrow(
      /keystore is set to "file", but this installation's keys are in the keychain backend/,
    );
    const store = await openKeyStore({ keystore: 'auto' }, paths, { probe: mustNotProbe });
    expect(store.backend).toBe('keychain');
  });

  it('a key file with keys counts as the record even without backend.json', async () => {
    const file = await openKeyStore({ keystore: 'file' }, paths);
    await file.set('k', 'v');
    const { rm } = await import('node:fs/promises');
    await rm(backendRecordPath(paths));
    const store = await openKeyStore({ keystore: 'auto' }, paths, { probe: available });
    expect(store.backend).toBe('file');
    expect(await store.get('k')).toBe('v');
  });
});
