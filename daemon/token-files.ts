// Token files the daemon keeps fresh, for clients that read a bearer token from a file instead of
// running a process: kubectl (`tokenFile` of a kubeconfig user; client-go re-reads it at least every
// minute) and workload identity federation (AZURE_FEDERATED_TOKEN_FILE; a google external_account
// credential with a file credential_source). Each file is rewritten atomically (0600) when half of its
// token's life is gone, so a reader always finds a token with at least half its life left. What is kept
// is listed in a registry file, so a restarted daemon writes them again; when the daemon stops, every
// file it keeps is removed, so nothing stale is served.
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import type { Clock, TimerHandle } from '../src/clock/clock.js';
import { writeFileAtomic } from '../src/keystore/atomic-file.js';

export type KeptFile =
  | {
      readonly kind: 'kube';
      readonly env: string;
      readonly cluster: string;
      readonly region?: string;
      readonly oidc?: boolean;
      readonly audience?: string;
      readonly path: string;
    }
  | { readonly kind: 'oidc'; readonly env: string; readonly audience: string; readonly lifetimeSeconds?: number; readonly path: string };

export interface MintedToken {
  readonly token: string;
  readonly expiresAt: number;
}

export interface KeptFileStatus {
  readonly kind: KeptFile['kind'];
  readonly environment: string;
  readonly path: string;
  readonly expiresAt?: string;
  readonly nextRenewalAt?: string;
  readonly lastError?: string;
}

export interface TokenFileKeeperOptions {
  readonly clock: Clock;
  /** The JSON list of kept files (in the state directory). */
  readonly registry: string;
  readonly mint: (file: KeptFile) => Promise<MintedToken>;
  readonly log: (message: string) => void;
}

/** Never sooner than this after a write, whatever the token's life. */
const MIN_RENEW_MS = 30_000;
const RETRY_MS = 30_000;
const MAX_RETRY_MS = 5 * 60_000;
/** Files are rewritten from a list that clients add to: bounded. */
export const MAX_KEPT_FILES = 256;

/** Where `escd setup kube --token-file` keeps a cluster's token: the private runtime directory (the socket's). */
export function kubeTokenFilePath(socket: string, file: { env: string; cluster: string; oidc?: boolean }): string {
  const slug = (text: string): string => text.replace(/[^A-Za-z0-9._-]/g, '_');
  return join(dirname(socket), 'tokens', `kube-${slug(file.env)}-${slug(file.cluster)}${file.oidc ? '-oidc' : ''}.token`);
}

interface Entry {
  file: KeptFile;
  timer?: TimerHandle;
  expiresAt?: number;
  nextRenewalAt?: number;
  lastError?: string;
  failures: number;
  writing?: Promise<void>;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export class TokenFileKeeper {
  private readonly entries = new Map<string, Entry>();
  private closed = false;

  constructor(private readonly options: TokenFileKeeperOptions) {}

  /** Loads the registry and writes every file in it (failures are logged and retried, never thrown). */
  async start(): Promise<void> {
    let files: KeptFile[] = [];
    try {
      const parsed = JSON.parse(await readFile(this.options.registry, 'utf8')) as { files?: unknown };
      files = Array.isArray(parsed.files) ? (parsed.files as KeptFile[]).filter(validKeptFile) : [];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.options.log(`token files: ignoring ${this.options.registry}: ${(err as Error).message.split('\n')[0]}`);
    }
    for (const file of files.slice(0, MAX_KEPT_FILES)) this.entries.set(file.path, { file, failures: 0 });
    await Promise.all([...this.entries.values()].map((entry) => this.renewEntry(entry).catch(() => {})));
  }

  /** Starts keeping `file` (replacing what was kept at its path): writes it now, or throws why not. */
  async keep(file: KeptFile): Promise<KeptFileStatus> {
    if (!isAbsolute(file.path)) throw new Error(`the token file path must be absolute (got ${JSON.stringify(file.path)})`);
    if (!this.entries.has(file.path) && this.entries.size >= MAX_KEPT_FILES) throw new Error(`at most ${MAX_KEPT_FILES} token files are kept`);
    const previous = this.entries.get(file.path);
    previous?.timer?.cancel();
    const entry: Entry = { file, failures: 0 };
    this.entries.set(file.path, entry);
    try {
      await this.renewEntry(entry);
    } catch (err) {
      entry.timer?.cancel();
      if (previous) this.entries.set(file.path, previous);
      else this.entries.delete(file.path);
      throw err;
    }
    await this.save();
    return this.describe(entry);
  }

  /** Stops keeping the file at `path` and removes it; false when it was not kept. */
  async drop(path: string): Promise<boolean> {
    const entry = this.entries.get(path);
    if (!entry) return false;
    entry.timer?.cancel();
    this.entries.delete(path);
    await rm(path, { force: true });
    await this.save();
    return true;
  }

  /** Rewrites now every kept file of `environment` (all when undefined); resolves how many were written. */
  async renew(environment?: string): Promise<number> {
    const due = [...this.entries.values()].filter((e) => environment === undefined || e.file.env === environment);
    const results = await Promise.allSettled(due.map((entry) => this.renewEntry(entry)));
    return results.filter((r) => r.status === 'fulfilled').length;
  }

  /** Resolves when no write is under way (tests on a manual clock). */
  async settled(): Promise<void> {
    await Promise.all([...this.entries.values()].map((entry) => entry.writing));
  }

  list(): KeptFileStatus[] {
    return [...this.entries.values()].map((entry) => this.describe(entry));
  }

  /** Stops renewing and removes every kept file (the registry stays: a new daemon writes them again). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.entries.values()].map((entry) => entry.writing));
    for (const entry of this.entries.values()) entry.timer?.cancel();
    await Promise.all([...this.entries.keys()].map((path) => rm(path, { force: true }).catch(() => {})));
  }

  private describe(entry: Entry): KeptFileStatus {
    return {
      kind: entry.file.kind,
      environment: entry.file.env,
      path: entry.file.path,
      ...(entry.expiresAt !== undefined ? { expiresAt: iso(entry.expiresAt) } : {}),
      ...(entry.nextRenewalAt !== undefined ? { nextRenewalAt: iso(entry.nextRenewalAt) } : {}),
      ...(entry.lastError ? { lastError: entry.lastError } : {}),
    };
  }

  /** One write at a time per file; a renewal asked for during a write waits for it and writes again. */
  private renewEntry(entry: Entry): Promise<void> {
    const run = async (): Promise<void> => {
      entry.timer?.cancel();
      const { clock } = this.options;
      try {
        const minted = await this.options.mint(entry.file);
        if (this.closed || this.entries.get(entry.file.path) !== entry) return;
        await mkdir(dirname(entry.file.path), { recursive: true, mode: 0o700 });
        await writeFileAtomic(entry.file.path, minted.token, 0o600);
        const now = clock.now();
        entry.expiresAt = minted.expiresAt;
        entry.failures = 0;
        entry.lastError = undefined;
        this.schedule(entry, Math.max(MIN_RENEW_MS, (minted.expiresAt - now) / 2));
      } catch (err) {
        const why = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
        entry.lastError = why;
        entry.failures++;
        this.options.log(`token file ${entry.file.path}: not renewed: ${why}`);
        const delay = Math.min(MAX_RETRY_MS, RETRY_MS * 2 ** (entry.failures - 1));
        // A token that will have expired before the next try is not left to be read.
        if (entry.expiresAt === undefined || entry.expiresAt <= clock.now() + delay) {
          await rm(entry.file.path, { force: true }).catch(() => {});
          entry.expiresAt = undefined;
        }
        if (!this.closed) this.schedule(entry, delay);
        throw err;
      }
    };
    const next = (entry.writing ?? Promise.resolve()).then(run);
    const tracked = next.catch(() => {});
    entry.writing = tracked;
    void tracked.then(() => {
      if (entry.writing === tracked) entry.writing = undefined;
    });
    return next;
  }

  private schedule(entry: Entry, delayMs: number): void {
    entry.timer?.cancel();
    entry.nextRenewalAt = this.options.clock.now() + delayMs;
    entry.timer = this.options.clock.setTimer(delayMs, () => void this.renewEntry(entry).catch(() => {}));
  }

  private async save(): Promise<void> {
    const files = [...this.entries.values()].map((e) => e.file);
    await mkdir(dirname(this.options.registry), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.options.registry, JSON.stringify({ version: 1, files }, null, 2) + '\n', 0o600);
  }
}

function validKeptFile(value: unknown): value is KeptFile {
  if (typeof value !== 'object' || value === null) return false;
  const f = value as Record<string, unknown>;
  if (typeof f.env !== 'string' || typeof f.path !== 'string' || !isAbsolute(f.path)) return false;
  if (f.kind === 'kube') return typeof f.cluster === 'string';
  if (f.kind === 'oidc') return typeof f.audience === 'string';
  return false;
}
