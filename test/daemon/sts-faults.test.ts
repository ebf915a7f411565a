// Renewals against a failing STS, with the real runtime and aws-login provider: moto behind a small
// fault-injecting proxy (500, throttling, malformed XML, a hang, a refused connection). Simulated
// time (ManualClock) brings each renewal due; the HTTP traffic is real.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend } from '../../daemon/backend.js';
import type { DaemonBackend } from '../../daemon/main.js';
import { EnvironmentCache, type Served } from '../../src/cache/environment-cache.js';
import { ManualClock } from '../../src/clock/clock.js';
import { e2eSkipReason, motoMissing, startMoto, type Moto } from '../support/moto.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

const skip = e2eSkipReason(motoMissing());
const MIN = 60_000;

type Mode = 'pass' | '500' | 'throttle' | 'malformed' | 'hang' | 'refuse';

/** Forwards to moto in `pass` mode; otherwise fails the way `mode` says. */
async function startFaultProxy(target: string): Promise<{ url: string; mode: Mode; server: Server; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const proxy = {
    url: '',
    mode: 'pass' as Mode,
    server: createServer((req, res) => {
      const { mode } = proxy;
      if (mode === 'hang') return; // never answers
      if (mode === 'refuse') return req.socket.destroy();
      if (mode === '500') {
        res.writeHead(500, { 'content-type': 'text/xml' });
        return res.end('<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>boom</Message></Error><RequestId>1</RequestId></ErrorResponse>');
      }
      if (mode === 'throttle') {
        res.writeHead(400, { 'content-type': 'text/xml' });
        return res.end('<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>2</RequestId></ErrorResponse>');
      }
      if (mode === 'malformed') {
        res.writeHead(200, { 'content-type': 'text/xml' });
        return res.end('<AssumeRoleWithWebIdentityResponse><not-closed');
      }
      const upstream = httpRequest(target + (req.url ?? '/'), { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        proxy.server.close(() => resolve());
      }),
  };
  proxy.server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(proxy.server.address() as AddressInfo).port}`;
  return proxy;
}

describe.skipIf(skip)('renewals while STS fails (moto behind a fault proxy)', () => {
  let moto: Moto;
  let proxy: Awaited<ReturnType<typeof startFaultProxy>>;
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
    proxy = await startFaultProxy(moto.endpoint);
    home = await makeTmpHome('escd-faults-');
    const envDir = join(home.env.ESCD_HOME!, 'environments', 'default');
    mkdirSync(envDir, { recursive: true, mode: 0o700 });
    writeFileSync(
      join(envDir, 'dev.yaml'),
      `values:
  login:
    fn::open::aws-login:
      oidc:
        roleArn: arn:aws:iam::123456789012:role/dev
        sessionName: faults
        duration: 1h
  environmentVariables:
    AWS_ACCESS_KEY_ID: \${login.accessKeyId}
    AWS_SECRET_ACCESS_KEY: \${login.secretAccessKey}
    AWS_SESSION_TOKEN: \${login.sessionToken}
`,
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
    for (const mode of ['500', 'throttle', 'malformed', 'refuse'] as const) {
      proxy.mode = mode;
      await advance(mode === '500' ? MIN + 5_000 : 2 * MIN); // into the renewal window / past the backoff
      const s = status();
      expect(s.lastRefresh?.ok, mode).toBe(false);
      expect(s.lastRefresh?.error?.message.split('\n'), mode).toHaveLength(1);
      seen.push(s.lastRefresh!.error!.message);
      const served = await cache.get('dev'); // answered at once, from the cache
      expect(served.session, mode).toBe(first.session);
      expect(served.source).toBe('cache');
    }
    expect(seen[0]).toMatch(/InternalFailure|500/);
    expect(seen[1]).toMatch(/Throttling|Rate exceeded/);
    expect(status().consecutiveFailures).toBeGreaterThanOrEqual(4);

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
