// The keychain backend against a real Secret Service: gnome-keyring in a private D-Bus session.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assertBuilt, CLI } from '../support/cli.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/keychain-check.mjs', import.meta.url));
const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const missing = ['dbus-run-session', 'gnome-keyring-daemon', 'secret-tool'].filter((c) => !has(c));
if (missing.length > 0) {
  if (process.env.ESCD_REQUIRE_E2E === '1') throw new Error(`keychain tests need ${missing.join(', ')} (apt-get install dbus gnome-keyring libsecret-tools)`);
  console.warn(`skipping the Secret Service tests: ${missing.join(', ')} not installed (apt-get install dbus gnome-keyring libsecret-tools)`);
}

interface Seen {
  backend?: string;
  location?: string;
  note?: string;
  error?: string;
  [k: string]: unknown;
}

function run(args: string[], env: Record<string, string>): Promise<{ seen: Seen; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(args[0]!, args.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve({ seen: JSON.parse(line) as Seen, stderr });
      } catch {
        reject(new Error(`fixture printed no JSON: ${stdout} ${stderr}`));
      }
    });
  });
}

/** Inside a fresh session bus with an unlocked gnome-keyring. */
const inKeyring = (mode: string, env: Record<string, string>) =>
  run(
    ['dbus-run-session', '--', 'sh', '-c', `echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null; exec "${process.execPath}" "${SCRIPT}" ${mode}`],
    env,
  );
/** A fresh session bus whose keyring daemon starts locked (nobody types the password). */
const inLockedKeyring = (mode: string, env: Record<string, string>) =>
  run(['dbus-run-session', '--', 'sh', '-c', `gnome-keyring-daemon --start --components=secrets >/dev/null 2>&1; exec "${process.execPath}" "${SCRIPT}" ${mode}`], env);
/** No session bus at all (DBUS_SESSION_BUS_ADDRESS unset). */
const withoutBus = (mode: string, env: Record<string, string>) => run([process.execPath, SCRIPT, mode], env);

describe.skipIf(missing.length > 0)('keychain key store (real Secret Service)', () => {
  let home: TmpHome;
  let env: Record<string, string>;
  beforeEach(async () => {
    assertBuilt();
    home = await makeTmpHome();
    const { ESCD_KEYSTORE: _unused, ...rest } = home.env;
    env = { PATH: process.env.PATH ?? '', ...rest };
  });
  afterEach(() => home.cleanup());

  it('auto picks the Secret Service, stores, reads back, deletes, and records the choice', async () => {
    const { seen } = await inKeyring('roundtrip', env);
    expect(seen.error).toBeUndefined();
    expect(seen).toMatchObject({
      backend: 'keychain',
      location: 'Secret Service (service "escd")',
      before: null,
      afterSet: 'value-1',
      secretTool: 'value-1',
      setIfAbsent: 'value-1',
      afterDelete: null,
      record: 'keychain',
      directFirst: 'first',
      directSecond: 'first',
    });
  });

  it('without a session bus, auto picks the file and says why', async () => {
    const { seen } = await withoutBus('read', env);
    expect(seen.error).toBeUndefined();
    expect(seen.backend).toBe('file');
    expect(seen.note).toBe('keystore: auto, and the OS keychain is not available (no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)); using the file');
  });

  it('keys created in the keychain are never silently replaced by the file when the keychain is gone', async () => {
    expect((await inKeyring('roundtrip', env)).seen.record).toBe('keychain');
    const { seen } = await withoutBus('read', env);
    expect(seen.backend).toBe('keychain');
    expect(seen.error).toBe(
      'reading "some-key" in the Secret Service (service "escd") failed: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set) (the escd keys live there: unlock or start the keychain for this session)',
    );
  });

  it('keys persist in the keyring across sessions; a locked keyring is one clear error', async () => {
    expect((await inKeyring('seed', env)).seen).toMatchObject({ backend: 'keychain', value: 'seeded' });
    expect((await inKeyring('read', env)).seen).toMatchObject({ backend: 'keychain', value: 'seeded' });
    const { seen } = await inLockedKeyring('read', env);
    expect(seen.backend).toBe('keychain');
    expect(seen.error).toMatch(/^reading "some-key" in the Secret Service \(service "escd"\) failed: .*unlock.* \(the escd keys live there: unlock or start the keychain/);
  });

  it('a daemon that a command starts reads the keys that command stored in the keychain (the session bus is kept)', () => {
    const escd = `"${process.execPath}" "${CLI}"`;
    const script = [
      'echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null',
      `${escd} env init p/kc >/dev/null`,
      // env set seals with the data key and asks the daemon (started here, as the shim would) to check.
      `printf s3cret-value | ${escd} env set p/kc pw --secret`,
      `${escd} open p/kc pw --format string`,
      `${escd} status | grep '^key store'`,
      `${escd} stop >/dev/null`,
    ].join(' && ');
    const r = spawnSync('dbus-run-session', ['--', 'sh', '-c', script], { env, encoding: 'utf8', timeout: 90_000 });
    expect(r.status, r.stderr).toBe(0);
    const [value, keyStore] = r.stdout.trim().split('\n');
    expect(value).toBe('s3cret-value');
    expect(keyStore).toMatch(/^key store\s+keychain/);
  });
});
