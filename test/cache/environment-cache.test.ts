import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock/clock.js';
import { EnvironmentCache, type Served } from '../../src/cache/environment-cache.js';
import {
  BACKOFF_BASE_MS,
  BACKOFF_CAP_MS,
  CLIENT_REFRESH_WINDOW_MS,
  EXPIRY_MARGIN_MS,
  backoffDelay,
  guaranteedServedLife,
  refreshAt,
} from '../../src/cache/refresh-policy.js';
import type { AuditEvent } from '../../src/audit/audit-log.js';
import { FakeSource, settle } from './fake-source.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const CHECK_MS = 5_000;

let dir: string;
let clock: ManualClock;
let source: FakeSource;
let cache: EnvironmentCache | undefined;
let audit: AuditEvent[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'escd-cache-'));
  clock = new ManualClock(Date.UTC(2026, 0, 1, 8));
  source = new FakeSource(join(dir, 'environments'), clock);
  audit = [];
});

afterEach(() => {
  cache?.close();
  cache = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function makeCache(options: { random?: () => number; watch?: boolean; coldWaitMs?: number } = {}): EnvironmentCache {
  cache = new EnvironmentCache({
    source,
    clock,
    random: options.random ?? (() => 0.5),
    audit: { record: (e) => audit.push(e) },
    watch: options.watch ?? false,
    coldWaitMs: options.coldWaitMs ?? 30_000,
    checkIntervalMs: CHECK_MS,
  });
  return cache;
}

/** Awaits `promise` while moving the manual clock, so evaluations with simulated latency can finish. */
async function drive<T>(promise: Promise<T>, stepMs = 250): Promise<T> {
  let done = false;
  const tracked = promise.finally(() => (done = true));
  tracked.catch(() => {});
  await settle();
  for (let i = 0; !done && i < 100_000; i++) {
    clock.advance(stepMs);
    await settle();
  }
  return tracked;
}

/** Advances simulated time in steps, letting background refreshes run between them. */
async function elapse(ms: number, stepMs = 1_000): Promise<void> {
  for (let t = 0; t < ms; t += stepMs) {
    clock.advance(Math.min(stepMs, ms - t));
    await settle();
  }
}

function remainingLife(served: Served): number {
  return served.session.expiresAt! - clock.now();
}

describe('refresh policy', () => {
  it('renews one-hour sessions 20 minutes before expiry', () => {
    expect(refreshAt(0, HOUR)).toBe(40 * MIN);
    expect(guaranteedServedLife(HOUR)).toBe(20 * MIN);
  });

  it('keeps more than 15 minutes of served life for sessions of 18 minutes and longer', () => {
    for (let minutes = 18; minutes <= 12 * 60; minutes++) {
      const lifetime = minutes * MIN;
      // The worst case adds one scheduler interval and a slow STS round trip.
      expect(guaranteedServedLife(lifetime) - CHECK_MS - 10_000).toBeGreaterThan(CLIENT_REFRESH_WINDOW_MS);
      expect(lifetime - (refreshAt(0, lifetime) - 0)).toBe(guaranteedServedLife(lifetime));
    }
  });

  it('renews sessions of 18 to 25 minutes 16 minutes before expiry, never more often than every 2 minutes', () => {
    expect(refreshAt(0, 20 * MIN)).toBe(4 * MIN);
    expect(refreshAt(0, 18 * MIN)).toBe(2 * MIN);
    expect(refreshAt(0, 24 * MIN)).toBe(8 * MIN);
    expect(refreshAt(0, 25 * MIN)).toBe(25 * MIN / 3);
  });

  it('does not renew short sessions in a loop: at most every third of their life', () => {
    expect(refreshAt(0, 17 * MIN)).toBe(17 * MIN / 3);
    expect(refreshAt(0, 15 * MIN)).toBe(5 * MIN);
    expect(refreshAt(0, 3 * MIN)).toBe(MIN);
  });

  it('backs off exponentially with full jitter, capped', () => {
    const top = () => 0.999999;
    expect(backoffDelay(1, top)).toBe(BACKOFF_BASE_MS - 1);
    expect(backoffDelay(2, top)).toBe(2 * BACKOFF_BASE_MS - 1);
    expect(backoffDelay(4, top)).toBe(8 * BACKOFF_BASE_MS - 1);
    expect(backoffDelay(40, top)).toBe(BACKOFF_CAP_MS - 1);
    expect(backoffDelay(3, () => 0)).toBe(0);
    const samples = new Set(Array.from({ length: 50 }, (_, i) => backoffDelay(5, () => i / 50)));
    expect(samples.size).toBe(50);
  });
});

describe('EnvironmentCache', () => {
  it('serves from the cache without evaluating again', async () => {
    source.write('dev');
    const c = makeCache();
    const first = await drive(c.get('dev'));
    const second = await c.get('dev');
    expect(first.source).toBe('evaluated');
    expect(second.source).toBe('cache');
    expect(second.session).toBe(first.session);
    expect(source.evaluations).toHaveLength(1);
  });

  it('answers 200 simultaneous cold requests with exactly one evaluation', async () => {
    source.write('dev');
    source.latencyMs = 2_000;
    const c = makeCache();
    const all = Promise.all(Array.from({ length: 200 }, () => c.get('dev')));
    const served = await drive(all);
    expect(source.evaluations).toHaveLength(1);
    expect(new Set(served.map((s) => s.session)).size).toBe(1);
    expect(c.status()[0]!.hits).toBe(200);
  });

  it('keys entries by canonical name: two spellings share one evaluation', async () => {
    source.write('dev');
    const c = makeCache();
    const [a, b] = await drive(Promise.all([c.get('dev'), c.get('default/dev')]));
    expect(a.session).toBe(b.session);
    expect(source.evaluations).toHaveLength(1);
    expect(c.flush('default/dev')).toBe(1);
  });

  it('rejects unknown environments without caching them', async () => {
    const c = makeCache();
    await expect(c.get('nope')).rejects.toMatchObject({ code: 'not_found' });
    await expect(c.get('../etc/passwd')).rejects.toMatchObject({ code: 'bad_request' });
    expect(c.status()).toHaveLength(0);
    expect(source.evaluations).toHaveLength(0);
  });

  it('reports evaluation diagnostics as evaluation_failed with file and line', async () => {
    source.write('dev');
    source.failure = { stage: 'eval', severity: 'error', summary: 'unknown property "x"', file: 'dev', line: 3, column: 7 };
    const c = makeCache();
    await expect(drive(c.get('dev'))).rejects.toMatchObject({ code: 'evaluation_failed', message: 'dev:3:7: error: unknown property "x"' });
  });

  it('never lets a served credential drop below the stated life over a simulated day', async () => {
    for (const lifetimeMinutes of [60, 30, 20, 15]) {
      source = new FakeSource(join(dir, `env-${lifetimeMinutes}`), clock);
      source.write('dev');
      source.lifetimeMs = lifetimeMinutes * MIN;
      source.latencyMs = 1_500;
      cache?.close();
      const c = makeCache();
      const floor = guaranteedServedLife(source.lifetimeMs) - CHECK_MS - source.latencyMs;
      let lowest = Infinity;
      let served = 0;
      const end = clock.now() + 24 * HOUR;
      while (clock.now() < end) {
        const result = await drive(c.get('dev'));
        lowest = Math.min(lowest, remainingLife(result));
        served++;
        await elapse(37_000, 1_000); // a request every 37 s: not aligned with any interval
      }
      expect(served).toBeGreaterThan(2_000);
      expect(lowest).toBeGreaterThanOrEqual(floor);
      if (lifetimeMinutes >= 18) expect(lowest).toBeGreaterThan(CLIENT_REFRESH_WINDOW_MS);
      expect(source.maxInFlight).toBe(1);
      // Renewals follow the rule: one per (lifetime − served floor), not more.
      const period = source.lifetimeMs - guaranteedServedLife(source.lifetimeMs);
      expect(source.evaluations.length).toBeLessThanOrEqual(Math.ceil((24 * HOUR) / period) + 1);
      expect(source.evaluations.length).toBeGreaterThanOrEqual(Math.floor((24 * HOUR) / (period + CHECK_MS + source.latencyMs)));
    }
  });

  it('holds the served-life floor for 60 environments with mixed session lengths over 6 simulated hours', async () => {
    const names = Array.from({ length: 60 }, (_, i) => `env-${i}`);
    const lengths = [15, 20, 30, 45, 60, 720].map((m) => m * MIN);
    names.forEach((name, i) => {
      source.write(name);
      source.lifetimes.set(name, lengths[i % lengths.length]!);
    });
    source.latencyMs = 2_000;
    let seed = 42;
    const random = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const c = makeCache({ random });
    let served = 0;
    let worst = Infinity; // served life minus that environment's floor
    const end = clock.now() + 6 * HOUR;
    while (clock.now() < end) {
      const batch = names.filter(() => random() < 0.3);
      const results = await drive(Promise.all(batch.map((n) => c.get(n))));
      results.forEach((r, i) => {
        const lifetime = source.lifetimes.get(batch[i]!)!;
        const floor = guaranteedServedLife(lifetime) - CHECK_MS - source.latencyMs;
        worst = Math.min(worst, remainingLife(r) - floor);
        served++;
      });
      await elapse(20_000, 1_000);
    }
    expect(served).toBeGreaterThan(10_000);
    expect(worst).toBeGreaterThanOrEqual(0);
    expect(source.maxInFlightPerName).toBe(1);
    expect(source.maxInFlight).toBeGreaterThan(1); // different environments do renew in parallel
  });

  it('a warm request never waits on a slow renewal', async () => {
    source.write('dev');
    const c = makeCache();
    const first = await drive(c.get('dev'));
    source.hang = true; // STS stops answering
    clock.advance(40 * MIN + 10_000); // past the renewal time; the scheduler has started one that hangs
    await settle();
    expect(c.status()[0]!.refreshing).toBe(true);
    const served = await c.get('dev'); // resolves with no clock movement at all
    expect(served.session).toBe(first.session);
    expect(served.source).toBe('cache');
  });

  it('keeps serving the valid session while renewals fail, backs off, and recovers', async () => {
    source.write('dev');
    const c = makeCache({ random: () => 0.999 });
    const first = await drive(c.get('dev'));
    source.failure = new Error('STS: ServiceUnavailable (HTTP 503)');
    await elapse(40 * MIN, 1_000);
    const attemptsBefore = source.evaluations.length;
    expect(attemptsBefore).toBe(2); // the renewal at 40 min just failed
    // During the next 19 minutes: still the first session, and retries spaced by growing delays.
    const servedLives: number[] = [];
    for (let i = 0; i < 19; i++) {
      const served = await c.get('dev');
      expect(served.session).toBe(first.session);
      servedLives.push(remainingLife(served));
      await elapse(MIN, 1_000);
    }
    const attempts = source.evaluations.slice(1).map((e) => e.startedAt);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThanOrEqual(gaps[i - 1]! - CHECK_MS);
    expect(gaps.at(-1)!).toBeGreaterThanOrEqual(BACKOFF_BASE_MS * 8);
    expect(attempts.length).toBeLessThan(15); // not one per scheduler tick (228 ticks)
    const status = c.status()[0]!;
    expect(status.lastRefresh).toMatchObject({ ok: false, error: { code: 'evaluation_failed', message: 'STS: ServiceUnavailable (HTTP 503)' } });
    expect(status.consecutiveFailures).toBe(attempts.length);
    expect(audit.filter((e) => e.action === 'refresh' && e.outcome === 'error').length).toBe(attempts.length);
    // Past expiry nothing is served: a request waits for an evaluation and gets the error.
    await elapse(2 * MIN, 1_000);
    expect(clock.now()).toBeGreaterThan(first.session.expiresAt! - EXPIRY_MARGIN_MS);
    await expect(drive(c.get('dev'))).rejects.toMatchObject({ code: 'evaluation_failed' });
    // STS is back: the next attempt succeeds and a fresh session is served.
    source.failure = undefined;
    const fresh = await drive(c.get('dev'));
    expect(fresh.session).not.toBe(first.session);
    expect(remainingLife(fresh)).toBeGreaterThan(59 * MIN);
    expect(c.status()[0]!.lastRefresh).toMatchObject({ ok: true });
  });

  it('never serves expired credentials after a clock jump (suspend/resume), and renews at once', async () => {
    source.write('dev');
    source.latencyMs = 1_000;
    const c = makeCache();
    const first = await drive(c.get('dev'));
    clock.jump(3 * HOUR); // no timer fired while "asleep"
    const after = await drive(c.get('dev'));
    expect(after.session).not.toBe(first.session);
    expect(remainingLife(after)).toBeGreaterThan(59 * MIN);
    // A smaller jump into the renewal window: served at once (still valid), renewed in the background.
    clock.jump(45 * MIN);
    const during = await c.get('dev');
    expect(during.session).toBe(after.session);
    await elapse(2_000, 500);
    const renewed = await c.get('dev');
    expect(renewed.session).not.toBe(after.session);
  });

  it('a cold request while STS hangs gets an error within the bounded wait', async () => {
    source.write('dev');
    source.hang = true;
    const c = makeCache({ coldWaitMs: 8_000 });
    const started = clock.now();
    await expect(drive(c.get('dev'), 500)).rejects.toMatchObject({ code: 'upstream_failed' });
    expect(clock.now() - started).toBeLessThanOrEqual(8_500);
  });

  it('a cold request that times out names the cause of the attempt before it, when it failed', async () => {
    source.write('dev');
    source.hang = true;
    const c = makeCache({ coldWaitMs: 8_000 });
    await expect(drive(c.get('dev'), 500)).rejects.toThrow("evaluating 'dev' took longer than 8 s (still trying; run the command again shortly)");
    await elapse(60_000, 1_000); // the hanging attempt is abandoned after 60 s: the cause is now known
    await expect(drive(c.get('dev'), 500)).rejects.toThrow(
      /^evaluating 'dev' took longer than 8 s \(still trying\); the last attempt failed \d+ s ago: evaluating 'dev' did not finish within 60 s \(is STS reachable\?\)$/,
    );
  });

  it('abandons an evaluation that hangs, so the entry is not stuck and the next attempt runs', async () => {
    source.write('dev');
    const c = makeCache({ coldWaitMs: 8_000 });
    const first = await drive(c.get('dev'));
    source.hang = true;
    await elapse(40 * MIN + 30_000, 1_000); // renewal starts at 40 min and hangs
    expect(c.status()[0]!.refreshing).toBe(true);
    await elapse(60_000, 1_000);
    expect(source.aborted).toBe(1);
    expect(c.status()[0]).toMatchObject({ lastRefresh: { ok: false, error: { code: 'upstream_failed', message: expect.stringContaining('did not finish within 60 s') } } });
    expect((await c.get('dev')).session).toBe(first.session); // still valid: served meanwhile
    source.hang = false;
    await elapse(6 * MIN, 1_000); // the backoff passes; the scheduler tries again and succeeds
    const renewed = await c.get('dev');
    expect(renewed.session).not.toBe(first.session);
    expect(c.status()[0]!.lastRefresh).toMatchObject({ ok: true });
  });

  it('drops environments unused for 8 hours instead of renewing them forever', async () => {
    source.write('dev');
    const c = makeCache();
    await drive(c.get('dev'));
    await elapse(8 * HOUR + MIN, 10_000);
    const evaluationsAt8h = source.evaluations.length;
    expect(evaluationsAt8h).toBeGreaterThan(1); // renewed while recently used
    expect(c.status()).toHaveLength(0);
    await elapse(4 * HOUR, 10_000);
    expect(source.evaluations.length).toBe(evaluationsAt8h);
  });

  it('re-evaluates when the environment or one it imports changes on disk (mtime check)', async () => {
    source.write('base');
    source.write('app');
    source.imports.set('app', ['base']);
    const c = makeCache();
    const first = await drive(c.get('app'));
    expect((await c.get('app')).session).toBe(first.session);
    const later = new Date(Date.now() + 5_000);
    utimesSync(source.filePath('base'), later, later);
    // The requests of one turn of the event loop see the files as of that turn (file-stamps.ts); a
    // change shows from the next turn on, as for any request the daemon reads after it.
    await new Promise((resolve) => setImmediate(resolve));
    const second = await drive(c.get('app'));
    expect(second.session).not.toBe(first.session);
    expect(second.source).toBe('evaluated');
    expect(source.evaluations.map((e) => e.name)).toEqual(['app', 'app']);
  });

  it('keeps the last good session (until it expires) when an edited file fails to evaluate', async () => {
    source.write('dev');
    const c = makeCache();
    const first = await drive(c.get('dev'));
    source.write('dev', 'broken: [\n');
    source.failure = { stage: 'load', severity: 'error', summary: 'unexpected end of flow sequence', file: 'dev', line: 2 };
    const served = await drive(c.get('dev'));
    expect(served.source).toBe('stale');
    expect(served.session).toBe(first.session);
    expect(c.status()[0]).toMatchObject({ stale: true, lastRefresh: { ok: false, error: { code: 'evaluation_failed' } } });
    // Fixed: the next request picks the new evaluation up.
    source.failure = undefined;
    source.write('dev', '# fixed\n');
    const fixed = await drive(c.get('dev'));
    expect(fixed.source).toBe('evaluated');
    expect(fixed.session).not.toBe(first.session);
    // Broken again until after expiry: nothing is served.
    source.write('dev', 'broken again: [\n');
    source.failure = new Error('dev:1: bad YAML');
    clock.jump(61 * MIN);
    await expect(drive(c.get('dev'))).rejects.toMatchObject({ code: 'evaluation_failed' });
  });

  it('notices edits through the directory watcher, in project subdirectories too', async () => {
    source.write('project/dev');
    const c = makeCache({ watch: true });
    await drive(c.get('project/dev'));
    writeFileSync(source.filePath('project/dev'), '# edited\n');
    const deadline = Date.now() + 5_000;
    while (source.evaluations.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(source.evaluations.length).toBe(2); // re-evaluated in the background, before any request
    expect(c.status()[0]!.stale).toBe(false);
  });

  it('flush drops one or all entries', async () => {
    source.write('a');
    source.write('b');
    const c = makeCache();
    await drive(Promise.all([c.get('a'), c.get('b')]));
    expect(c.flush('a')).toBe(1);
    expect(c.flush('a')).toBe(0);
    expect(c.flush()).toBe(1);
    await drive(c.get('a'));
    expect(source.evaluations).toHaveLength(3);
  });

  it('static environments (no expiry) are cached without renewals', async () => {
    source.write('plain');
    source.static.add('plain');
    const c = makeCache();
    await drive(c.get('plain'));
    await elapse(3 * HOUR, 30_000);
    await c.get('plain');
    expect(source.evaluations).toHaveLength(1);
    expect(c.status()[0]!.nextRefreshAt).toBeUndefined();
  });
});
