// The daemon's cache of evaluated environments and the scheduler that renews their sessions.
//
// - One entry per environment name (lru-cache bounds how many). An entry holds the last good evaluation
//   (a Session) plus its refresh state. A session lives until the earliest expiry inside it.
// - Single flight: at most one evaluation per environment at a time; cold requests, refreshes and
//   re-evaluations after an edit all share it.
// - A request is answered from a servable session without waiting; if the session is due for renewal
//   the renewal starts in the background. A request waits (bounded) only when there is nothing valid
//   to serve, or when the environment's files changed since the session was made.
// - The scheduler is a periodic check against wall time (the injected clock), not one timer per entry:
//   after a suspend/resume the next check (or the next request) sees the real time, so nothing needs
//   re-arming and an expired credential is never served.
// - Entries not used for `idleMs` are dropped instead of being renewed forever.
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { LRUCache } from 'lru-cache';
import type { Clock, TimerHandle } from '../clock/clock.js';
import { formatDiagnostic } from '../esc/diagnostics.js';
import type { Diagnostic, EvaluateResult } from '../esc/types.js';
import { NO_AUDIT, type AuditSink } from '../audit/audit-log.js';
import { watchDirectory, type DirWatcher } from './dir-watcher.js';
import { filesChanged, filesChangedThisTurn, stampFiles, type FileStamp } from './file-stamps.js';
import { backoffDelay, isServable, refreshAt } from './refresh-policy.js';
import { EscdError } from '../core/errors.js';
import { CacheError, type EnvironmentSource } from './source.js';
import { didYouMean } from '../store/names.js';
import { knownEnvironmentNames } from '../store/known-names.js';

export interface Session {
  readonly environment: string;
  readonly result: EvaluateResult;
  /** When the evaluation finished (wall time, ms). */
  readonly issuedAt: number;
  /** Earliest expiry inside; undefined for an environment without expiring values. */
  readonly expiresAt: number | undefined;
  /** When the scheduler renews it; undefined when it never needs renewing. */
  readonly refreshAt: number | undefined;
  readonly files: readonly FileStamp[];
  /** Answers derived from this session (precomputed responses, kube tokens); they die with it. */
  readonly memo: Map<string, unknown>;
}

export interface Served {
  readonly session: Session;
  /** `cache`: a warm hit; `evaluated`: waited for an evaluation; `stale`: re-evaluation failed, last good served. */
  readonly source: 'cache' | 'evaluated' | 'stale';
}

export interface EntryStatus {
  readonly environment: string;
  /** A good evaluation is held (false after a cold failure). */
  readonly cached: boolean;
  readonly expiresAt?: number;
  readonly nextRefreshAt?: number;
  readonly refreshing: boolean;
  /** The environment's files changed and the re-evaluation has not succeeded yet. */
  readonly stale: boolean;
  readonly lastRefresh?: { readonly at: number; readonly ok: boolean; readonly error?: { readonly code: string; readonly message: string } };
  readonly consecutiveFailures: number;
  readonly hits: number;
  readonly lastUsedAt: number;
}

export interface EnvironmentCacheOptions {
  readonly source: EnvironmentSource;
  readonly clock: Clock;
  /** For backoff jitter; Math.random by default. */
  readonly random?: () => number;
  readonly audit?: AuditSink;
  /** Environments kept (least recently used dropped first). */
  readonly maxEntries?: number;
  /** Environments unused this long are dropped rather than renewed. */
  readonly idleMs?: number;
  /** How long a request waits for an evaluation before it gets an error. */
  readonly coldWaitMs?: number;
  /** How often the scheduler looks at wall time. */
  readonly checkIntervalMs?: number;
  /** An evaluation still running after this is abandoned as failed, so the next attempt can start. */
  readonly evaluationTimeoutMs?: number;
  /** Watch the environments directory (default true). */
  readonly watch?: boolean;
}

interface Entry {
  readonly name: string;
  current: Session | undefined;
  loading: Promise<Session> | undefined;
  /** Files changed since `current` was made. */
  stale: boolean;
  /** Files as they were when the last evaluation started (to notice a fix after a failed one). */
  attemptFiles: readonly FileStamp[];
  failures: number;
  /** The scheduler does not retry before this (backoff after failures). */
  retryAt: number;
  lastRefresh: EntryStatus['lastRefresh'];
  hits: number;
  lastUsedAt: number;
}

export const DEFAULT_MAX_ENTRIES = 256;
export const DEFAULT_IDLE_MS = 8 * 60 * 60_000;
export const DEFAULT_COLD_WAIT_MS = 8_000;
export const DEFAULT_CHECK_INTERVAL_MS = 5_000;
export const DEFAULT_EVALUATION_TIMEOUT_MS = 60_000;

export class EnvironmentCache {
  private readonly source: EnvironmentSource;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly audit: AuditSink;
  private readonly idleMs: number;
  private readonly coldWaitMs: number;
  private readonly checkIntervalMs: number;
  private readonly evaluationTimeoutMs: number;
  private readonly entries: LRUCache<string, Entry>;
  private timer: TimerHandle | undefined;
  private watcher: DirWatcher | undefined;
  private changedPaths = new Set<string | null>();
  private changeTimer: NodeJS.Timeout | undefined;
  /** Evaluations started, for status and tests. */
  evaluations = 0;

  constructor(options: EnvironmentCacheOptions) {
    this.source = options.source;
    this.clock = options.clock;
    this.random = options.random ?? Math.random;
    this.audit = options.audit ?? NO_AUDIT;
    this.idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
    this.coldWaitMs = options.coldWaitMs ?? DEFAULT_COLD_WAIT_MS;
    this.checkIntervalMs = options.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS;
    this.evaluationTimeoutMs = options.evaluationTimeoutMs ?? DEFAULT_EVALUATION_TIMEOUT_MS;
    this.entries = new LRUCache<string, Entry>({ max: options.maxEntries ?? DEFAULT_MAX_ENTRIES });
    if (options.watch ?? true) this.watcher = watchDirectory(this.source.environmentsDir, (path) => this.fileChanged(path));
    this.arm();
  }

  /**
   * The environment's session when the cache can serve it as it is (valid, not stale, its files
   * unchanged), else undefined and `get` has work to do. Synchronous: the daemon answers a cache hit
   * in the turn it read the request, with no promise in between.
   */
  cached(requested: string): Served | undefined {
    const name = this.source.locate(requested).name;
    const entry = this.entries.get(name);
    const current = entry?.current;
    if (!entry || !current || entry.stale) return undefined;
    const now = this.clock.now();
    if (!isServable(current.expiresAt, now)) return undefined;
    if (filesChangedThisTurn(current.files)) {
      entry.stale = true;
      return undefined;
    }
    entry.hits++;
    entry.lastUsedAt = now;
    if (current.refreshAt !== undefined && now >= current.refreshAt && now >= entry.retryAt) this.background(entry);
    return { session: current, source: 'cache' };
  }

  /** The environment's current session: from the cache when valid, else after one shared evaluation. */
  async get(requested: string): Promise<Served> {
    const hit = this.cached(requested);
    if (hit) return hit;
    const name = this.source.locate(requested).name;
    const now = this.clock.now();
    let entry = this.entries.get(name);
    if (entry) {
      entry.hits++;
      entry.lastUsedAt = now;
      // Not a hit: none yet, expired, or stale (edited). Edited, and re-evaluating failed a moment ago with
      // the files untouched since: no point waiting again.
      const current = entry.current;
      if (current && entry.stale && isServable(current.expiresAt, now) && current.expiresAt !== undefined) {
        if (!entry.loading && now < entry.retryAt && !filesChanged(entry.attemptFiles)) return { session: current, source: 'stale' };
      }
    } else {
      entry = this.admit(name, now);
    }
    try {
      return { session: await this.withinColdWait(this.load(entry), entry), source: 'evaluated' };
    } catch (err) {
      // The last good session outlives a broken edit, but only while its credentials are valid.
      const fallback = entry.current;
      if (fallback && fallback.expiresAt !== undefined && isServable(fallback.expiresAt, this.clock.now())) {
        return { session: fallback, source: 'stale' };
      }
      throw err;
    }
  }

  /** The canonical name of `requested` (throws a CacheError for a name that is not allowed). */
  locate(requested: string): string {
    return this.source.locate(requested).name;
  }

  /** Drops one environment (or all); returns how many entries went. */
  flush(name?: string): number {
    if (name === undefined) {
      const count = this.entries.size;
      this.entries.clear();
      return count;
    }
    return this.entries.delete(this.source.locate(name).name) ? 1 : 0;
  }

  status(): EntryStatus[] {
    const out: EntryStatus[] = [];
    for (const entry of this.entries.values()) {
      const current = entry.current;
      const nextRefreshAt = current?.refreshAt === undefined ? undefined : Math.max(current.refreshAt, entry.retryAt);
      out.push({
        environment: entry.name,
        cached: current !== undefined,
        ...(current?.expiresAt !== undefined ? { expiresAt: current.expiresAt } : {}),
        ...(nextRefreshAt !== undefined ? { nextRefreshAt } : {}),
        refreshing: entry.loading !== undefined,
        stale: entry.stale,
        ...(entry.lastRefresh ? { lastRefresh: entry.lastRefresh } : {}),
        consecutiveFailures: entry.failures,
        hits: entry.hits,
        lastUsedAt: entry.lastUsedAt,
      });
    }
    return out.sort((a, b) => a.environment.localeCompare(b.environment));
  }

  /** Runs one scheduler pass now (the timer does this every `checkIntervalMs`). */
  check(): void {
    const now = this.clock.now();
    for (const entry of [...this.entries.values()]) {
      if (entry.loading) continue;
      if (now - entry.lastUsedAt > this.idleMs) {
        // Idle: let it go rather than renew a session nobody asks for.
        this.entries.delete(entry.name);
        continue;
      }
      const current = entry.current;
      if (!current || now < entry.retryAt) continue; // cold failures are retried by requests only
      const due = entry.stale || !isServable(current.expiresAt, now) || (current.refreshAt !== undefined && now >= current.refreshAt);
      if (due) this.background(entry);
    }
  }

  close(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.watcher?.close();
    this.watcher = undefined;
    if (this.changeTimer) clearTimeout(this.changeTimer);
    this.changeTimer = undefined;
  }

  private arm(): void {
    this.timer = this.clock.setTimer(this.checkIntervalMs, () => {
      this.check();
      if (this.timer) this.arm();
    });
  }

  /** Creates the entry for a name seen for the first time; unknown names are not admitted. */
  private admit(name: string, now: number): Entry {
    const { file, name: canonical } = this.source.locate(name);
    if (file !== undefined && !existsSync(file)) {
      // Worded as the CLI words it (src/store/store.ts), so `escd open` and the shim say the same.
      throw new CacheError('not_found', `environment ${canonical} does not exist (no file ${file})${didYouMean(canonical, knownEnvironmentNames(this.source.environmentsDir))}`);
    }
    const entry: Entry = {
      name,
      current: undefined,
      loading: undefined,
      stale: false,
      attemptFiles: [],
      failures: 0,
      retryAt: 0,
      lastRefresh: undefined,
      hits: 1,
      lastUsedAt: now,
    };
    this.entries.set(name, entry);
    return entry;
  }

  private background(entry: Entry): void {
    this.load(entry).catch(() => {}); // recorded on the entry and in the audit log
  }

  /** Starts (or joins) the entry's one evaluation. */
  private load(entry: Entry): Promise<Session> {
    if (entry.loading) return entry.loading;
    const known = entry.current ? entry.current.files.map((f) => f.path) : [];
    entry.attemptFiles = stampFiles([...filesOf(this.source, [entry.name]), ...known]);
    this.evaluations++;
    const loading = this.evaluate(entry.name).then(
      (session) => {
        if (this.entries.peek(entry.name) === entry) {
          entry.current = session;
          entry.stale = false;
          entry.failures = 0;
          entry.retryAt = 0;
        }
        entry.lastRefresh = { at: session.issuedAt, ok: true };
        this.audit.record({
          environment: entry.name,
          action: 'refresh',
          outcome: 'ok',
          ...(session.expiresAt !== undefined ? { expiresAt: new Date(session.expiresAt).toISOString() } : {}),
        });
        return session;
      },
      (err: unknown) => {
        const failure = asCacheError(err);
        const now = this.clock.now();
        entry.failures++;
        entry.retryAt = now + backoffDelay(entry.failures, this.random);
        entry.lastRefresh = { at: now, ok: false, error: { code: failure.code, message: failure.message } };
        this.audit.record({ environment: entry.name, action: 'refresh', outcome: 'error', code: failure.code });
        throw failure;
      },
    );
    entry.loading = loading;
    const clear = (): void => {
      if (entry.loading === loading) entry.loading = undefined;
    };
    loading.then(clear, clear);
    return loading;
  }

  /** One evaluation, abandoned (and aborted) after `evaluationTimeoutMs`. */
  private evaluate(name: string): Promise<Session> {
    const controller = new AbortController();
    return new Promise<Session>((resolve, reject) => {
      const timer = this.clock.setTimer(this.evaluationTimeoutMs, () => {
        const seconds = Math.round(this.evaluationTimeoutMs / 1000);
        const error = new CacheError('upstream_failed', `evaluating '${name}' did not finish within ${seconds} s (is STS reachable?)`);
        controller.abort(error);
        reject(error);
      });
      this.evaluateOnce(name, controller.signal).then(
        (session) => {
          timer.cancel();
          resolve(session);
        },
        (err: unknown) => {
          timer.cancel();
          reject(err);
        },
      );
    });
  }

  private async evaluateOnce(name: string, signal: AbortSignal): Promise<Session> {
    const result = await this.source.evaluate(name, signal);
    const error = result.diagnostics.find((d) => d.severity === 'error');
    if (error) {
      const line = (d: Diagnostic): string => formatDiagnostic({ ...d, file: d.file ?? name }).replace(/\s*\n\s*/g, ' ');
      throw new CacheError('evaluation_failed', line(error), result.diagnostics.map(line));
    }
    const issuedAt = this.clock.now();
    const expiresAt = result.expiresAt?.getTime();
    if (expiresAt !== undefined && !isServable(expiresAt, issuedAt)) {
      throw new CacheError('upstream_failed', `environment '${name}' evaluated to credentials that are already expired (${new Date(expiresAt).toISOString()})`);
    }
    const names = new Set([name, ...result.environments]);
    const files = stampFiles(filesOf(this.source, names));
    for (const file of files) this.watcher?.add(dirname(file.path));
    return {
      environment: name,
      result,
      issuedAt,
      expiresAt,
      refreshAt: expiresAt === undefined ? undefined : refreshAt(issuedAt, expiresAt),
      files,
      memo: new Map(),
    };
  }

  private withinColdWait(pending: Promise<Session>, entry: Entry): Promise<Session> {
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimer(this.coldWaitMs, () => {
        const waited = `evaluating '${entry.name}' took longer than ${Math.round(this.coldWaitMs / 1000)} s`;
        // A known cause beats a bare timeout: the attempt before this one failed, most likely for the same reason.
        const last = entry.lastRefresh;
        const known = last && !last.ok && last.error ? `; the last attempt failed ${Math.round((this.clock.now() - last.at) / 1000)} s ago: ${last.error.message}` : '';
        reject(new CacheError('upstream_failed', known ? `${waited} (still trying)${known}` : `${waited} (still trying; run the command again shortly)`));
      });
      pending.then(
        (session) => {
          timer.cancel();
          resolve(session);
        },
        (err: unknown) => {
          timer.cancel();
          reject(err);
        },
      );
    });
  }

  /** A file under the environments directory changed: collect a burst of events (a checkout, an editor's save dance), then act once. */
  private fileChanged(path: string | null): void {
    this.changedPaths.add(path);
    this.changeTimer ??= setTimeout(() => this.applyFileChanges(), 50);
    this.changeTimer.unref();
  }

  /** Marks what depends on the changed files stale and renews it in the background. */
  private applyFileChanges(): void {
    const paths = this.changedPaths;
    this.changedPaths = new Set();
    this.changeTimer = undefined;
    for (const entry of this.entries.values()) {
      const current = entry.current;
      if (!current) continue;
      const touched = paths.has(null) || current.files.some((f) => paths.has(f.path));
      if (!touched || !filesChanged(current.files)) continue;
      entry.stale = true;
      entry.retryAt = 0; // an edit deserves an immediate attempt, whatever the backoff said
      if (this.clock.now() - entry.lastUsedAt <= this.idleMs) this.background(entry);
    }
  }
}

function asCacheError(err: unknown): CacheError {
  if (err instanceof CacheError) return err;
  if (err instanceof EscdError) return new CacheError(err.code, err.message.split('\n')[0] ?? err.code);
  const message = err instanceof Error ? err.message : String(err);
  return new CacheError('evaluation_failed', message.split('\n')[0] ?? 'evaluation failed');
}

/** The files behind these environments (remote ones have none). */
function filesOf(source: EnvironmentSource, names: Iterable<string>): string[] {
  const files: string[] = [];
  for (const name of names) {
    const { file } = source.locate(name);
    if (file !== undefined) files.push(file);
  }
  return files;
}
