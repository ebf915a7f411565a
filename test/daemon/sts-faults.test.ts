// Renewals against a failing STS, with the real runtime and aws-login provider: moto behind a small
// fault-injecting proxy (500, throttling as 400 and as 429, a rejected token, malformed XML, a hang,
// a refused connection). Simulated time (ManualClock) brings each renewal due; the HTTP traffic is real.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend } from '../../daemon/backend.js';
import type { DaemonBackend } from '../../daemon/main.js';
import { EnvironmentCache, type Served } from '../../src/cache/environment-cache.js';
import { ManualClock } from '../../src/clock/clock.js';
import { e2eSkipReason, motoMissing, startMoto, type Moto } from '../support/moto.js';
import { startStsFaultProxy, type StsFaultProxy } from '../support/sts-fault-proxy.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';
import { awsLoginEnvironment } from '../support/environments.js';

const skip = e2eSkipReason(motoMissing());
const MIN = 60_000;

describe.skipIf(skip)('renewals while STS fails (moto behind a fault proxy)', () => {
  let moto: Moto;
  let proxy: StsFaultProxy;
  let home: TmpHome;
  let clock: ManualClock;
  let backend: DaemonBackend;
  let cache: EnvironmentCache;

  const status = () => cache.status().find((e) => e.environment === 'default/dev')!;

  /** Moves simulated time by `ms` in scheduler steps; a renewal that starts gets real time to finish first. */
  async function advance(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += 5_000) {
      clock.advance(Math.min(5_000, ms - t));
      await new Promise((r) => setImmediate(r));
      for (let i = 0; i < 1_500 && status().refreshing; i++) await new Promise((r) => setTimeout(r, 10));
    }
  }

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startStsFaultProxy(moto.endpoint);
    home = await makeTmpHome('escd-faults-');
    const envDir = join(home.env.ESCD_HOME!, 'environments', 'default');
    mkdirSync(envDir, { recursive: true, mode: 0o700 });
    writeFileSync(
      join(envDir, 'dev.yaml'),
      awsLoginEnvironment({ roleArn: 'arn:aws:iam::123456789012:role/dev', sessionName: 'faults' }),
      { mode: 0o600 },
    );
    clock = new ManualClock(Date.now());
    backend = await createBackend({ env: { PATH: process.env.PATH ?? '', ...home.env, AWS_ENDPOINT_URL_STS: proxy.url, AWS_REGION: 'us-east-1' }, clock });
    cache = new EnvironmentCache({ source: backend.source, clock, watch: false, random: () => 0.5, coldWaitMs: 60_000 });
  });

  afterAll(async () => {
    cache?.close();
    await proxy?.close();
    await moto?.stop();
    await home?.cleanup();
  });

  it('keeps serving the valid session through every kind of failure, and recovers', async () => {
    const first: Served = await cache.get('dev');
    expect(first.source).toBe('evaluated');
    expect(await moto.count('AssumeRoleWithWebIdentity')).toBe(1);
    await advance(39 * MIN);
    expect(status().lastRefresh?.ok).toBe(true);

    const seen: string[] = [];
    for (const mode of ['500', 'throttle', '429', 'invalid-token', 'malformed', 'refuse'] as const) {
      proxy.mode = mode;
      const failuresBefore = status().consecutiveFailures;
      const requestsBefore = proxy.requests;
      // Into the renewal window, then past each backoff: exactly one more failed renewal, in this mode.
      for (let t = 0; t < 10 * MIN && status().consecutiveFailures === failuresBefore; t += 5_000) await advance(5_000);
      const s = status();
      expect(s.consecutiveFailures, mode).toBe(failuresBefore + 1);
      expect(proxy.requests, mode).toBeGreaterThan(requestsBefore);
      expect(s.lastRefresh?.ok, mode).toBe(false);
      expect(s.lastRefresh?.error?.message.split('\n'), mode).toHaveLength(1);
      expect(s.nextRefreshAt!, mode).toBeGreaterThan(s.lastRefresh!.at); // the retry waits (backoff)
      seen.push(s.lastRefresh!.error!.message);
      const served = await cache.get('dev'); // answered at once, from the cache
      expect(served.session, mode).toBe(first.session);
      expect(served.source).toBe('cache');
    }
    expect(seen[0]).toMatch(/InternalFailure|500/);
    expect(seen[1]).toMatch(/Throttling|Rate exceeded/);
    expect(seen[2]).toMatch(/throttling requests \(HTTP 429\)/);
    expect(seen[3]).toMatch(/does not accept tokens from issuer .*\(InvalidIdentityToken\)/);
    expect(seen[4]).toMatch(/not an STS answer/);
    expect(seen[5]).toMatch(/the connection was reset \(ECONNRESET\)/);

    // A hang: the evaluation is aborted after 60 s (simulated) and counted as a failure.
    proxy.mode = 'hang';
    const failuresBeforeHang = status().consecutiveFailures;
    for (let t = 0; t < 2 * MIN && !status().refreshing; t += 5_000) {
      clock.advance(5_000);
      await new Promise((r) => setImmediate(r));
    }
    expect(status().refreshing).toBe(true);
    await new Promise((r) => setTimeout(r, 200)); // the request reaches the proxy, which never answers
    clock.advance(61_000);
    for (let i = 0; i < 500 && status().refreshing; i++) await new Promise((r) => setTimeout(r, 10));
    expect(status()).toMatchObject({
      refreshing: false,
      consecutiveFailures: failuresBeforeHang + 1,
      lastRefresh: { ok: false, error: { code: 'upstream_failed', message: expect.stringContaining('did not finish within 60 s') } },
    });
    expect((await cache.get('dev')).session).toBe(first.session);

    // STS is back: the next renewal succeeds and fresh credentials are served. (moto dates them by
    // the real clock, so their length in simulated time is not checked here.)
    proxy.mode = 'pass';
    await advance(6 * MIN);
    const renewed = await cache.get('dev');
    expect(status().lastRefresh, JSON.stringify(status())).toMatchObject({ ok: true });
    expect(renewed.session).not.toBe(first.session);
    expect(await moto.count('AssumeRoleWithWebIdentity')).toBeGreaterThanOrEqual(2);
  });
});
