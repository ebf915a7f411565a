// The OS keychain backend (macOS Keychain, Secret Service on Linux, Credential Manager on Windows)
// through @napi-rs/keyring's async API, so the daemon's event loop never waits on D-Bus.
// The native library is loaded on first use: an installation whose keys are in the file never loads it.
import type { AsyncEntry, EntryOptions } from '@napi-rs/keyring';
import { dirname } from 'node:path';
import { withFileLock } from './file-lock.js';
import { ensurePrivateDir } from './private-path.js';
import { KeyStoreError, type KeyStore } from './types.js';

export const KEYCHAIN_SERVICE = 'escd';

// On Linux the library otherwise falls back to the kernel keyring, which forgets everything at
// logout or reboot: losing the data key would make every stored secret unreadable.
const ENTRY_OPTIONS: EntryOptions | undefined = process.platform === 'linux' ? { linux: { store: 'secret-service' } } : undefined;

let keyring: Promise<typeof import('@napi-rs/keyring')> | undefined;

async function newEntry(service: string, name: string): Promise<AsyncEntry> {
  const { AsyncEntry } = await (keyring ??= import('@napi-rs/keyring'));
  return new AsyncEntry(service, name, ENTRY_OPTIONS);
}

export function keychainLocation(service = KEYCHAIN_SERVICE): string {
  const where =
    process.platform === 'darwin' ? 'macOS Keychain' : process.platform === 'win32' ? 'Windows Credential Manager' : 'Secret Service';
  return `${where} (service "${service}")`;
}

/** The first line of a keyring error (these never contain the stored value), in plain words where we can. */
export function keyringReason(err: unknown): string {
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
  // What libdbus says when there is no session bus: name the cause, not the X11 autolaunch detail.
  if (message.includes('DBUS_SESSION_BUS_ADDRESS')) return 'no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)';
  return message;
}

export class KeychainKeyStore implements KeyStore {
  readonly backend = 'keychain';
  readonly location: string;

  /** `lockFile` serialises setIfAbsent across processes (the keychain has no compare-and-set). */
  constructor(
    private readonly lockFile: string,
    readonly note?: string,
    private readonly service = KEYCHAIN_SERVICE,
    private readonly timeoutMs = 60_000,
  ) {
    this.location = keychainLocation(service);
  }

  async get(name: string): Promise<string | undefined> {
    return this.call('reading', name, async (entry, signal) => (await entry.getPassword(signal)) ?? undefined);
  }

  async set(name: string, value: string): Promise<void> {
    await this.call('writing', name, (entry, signal) => entry.setPassword(value, signal));
  }

  async delete(name: string): Promise<void> {
    await this.call('deleting', name, async (entry, signal) => void (await entry.deleteCredential(signal)));
  }

  async setIfAbsent(name: string, value: string): Promise<string> {
    await ensurePrivateDir(dirname(this.lockFile));
    return withFileLock(this.lockFile, async () => {
      const existing = await this.get(name);
      if (existing !== undefined) return existing;
      await this.set(name, value);
      return value;
    });
  }

  private async call<T>(verb: string, name: string, fn: (entry: AsyncEntry, signal: AbortSignal) => Promise<T>): Promise<T> {
    // Long enough for the user to answer an unlock prompt, short enough that nothing waits forever.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      // The constructor itself throws when there is no session bus.
      return await fn(await newEntry(this.service, name), controller.signal);
    } catch (err) {
      const reason = controller.signal.aborted ? `no answer within ${Math.round(this.timeoutMs / 1000)} s` : keyringReason(err);
      throw new KeyStoreError(`${verb} "${name}" in the ${this.location} failed: ${reason} (the escd keys live there: unlock or start the keychain for this session)`);
    } finally {
      clearTimeout(timer);
    }
  }
}

export type ProbeResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Writes, reads back and deletes a throwaway entry: the only reliable sign the keychain works. */
export async function probeKeychain(service = KEYCHAIN_SERVICE, timeoutMs = 5_000): Promise<ProbeResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const entry = await newEntry(service, 'escd-probe');
    const marker = `probe-${process.pid}`;
    await entry.setPassword(marker, controller.signal);
    const back = await entry.getPassword(controller.signal);
    await entry.deleteCredential(controller.signal);
    return back === marker ? { ok: true } : { ok: false, reason: 'it returned a different value than was stored' };
  } catch (err) {
    return { ok: false, reason: controller.signal.aborted ? `no answer within ${timeoutMs} ms` : keyringReason(err) };
  } finally {
    clearTimeout(timer);
  }
}
