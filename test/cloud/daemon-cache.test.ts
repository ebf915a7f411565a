// Cloud environments through the daemon's real backend and cache (on a manual clock) against the fake
// service: one open for many callers, renewal ahead of expiry, last good values through an outage,
// a local environment importing a cloud one, and every call audited with its request id.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend } from '../../daemon/backend.js';
import type { DaemonBackend } from '../../daemon/main.js';
import type { AuditEvent } from '../../src/audit/audit-log.js';
import { EnvironmentCache } from '../../src/cache/environment-cache.js';
import { ManualClock } from '../../src/clock/clock.js';
import type { Request } from '../../src/protocol/wire.js';
import { settle } from '../cache/fake-source.js';
import { FAKE_AWS_LOGIN, startFakeCloud, type FakeCloud } from '../support/fake-pulumi-cloud.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';
import { awsLoginEnvironment } from '../support/environments.js';
import { dispatchOnce, type DispatchReply } from '../daemon/harness.js';

const MIN = 60_000;
const AWS_ENV = awsLoginEnvironment({ roleArn: 'arn:aws:iam::123456789012:role/app', sessionName: 'escd' });

let cloud: FakeCloud;
let home: TmpHome;
let clock: ManualClock;
let backend: DaemonBackend;
let cache: EnvironmentCache;
const audited: AuditEvent[] = [];

const call = (method: Request['method'], params: Record<string, unknown>): Promise<DispatchReply> =>
  dispatchOnce({ cache, kube: backend.kube, clock, cloud: (p) => backend.cloud!(p) }, method, params);

/** Advances simulated time in scheduler-sized steps, letting background work run. */
async function advance(ms: number): Promise<void> {
  for (let left = ms; left > 0; left -= 5_000) {
    clock.advance(Math.min(5_000, left));
    await settle();
  }
  for (let i = 0; i < 500 && cache.status().some((e) => e.refreshing); i++) await new Promise((r) => setTimeout(r, 10));
}

beforeAll(async () => {
  cloud = await startFakeCloud();
  cloud.put('acme/app/dev', AWS_ENV);
  cloud.put('acme/app/cold', 'values:\n  x: 1\n');
  cloud.put('acme/shared/db', 'values:\n  host: db.internal\n  password:\n    fn::secret: hunter2\n');
  home = await makeTmpHome('escd-cloud-');
  const envDir = join(home.env.ESCD_HOME!, 'environments', 'default');
  mkdirSync(envDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(envDir, 'local.yaml'), 'imports:\n  - acme/shared/db\nvalues:\n  dsn: postgres://app:${password}@${host}/app\n', { mode: 0o600 });
  writeFileSync(join(home.env.ESCD_HOME!, 'config.yaml'), `orgs:\n  acme:\n    backend: ${cloud.url}\n`, { mode: 0o600 });
  clock = new ManualClock(Date.now());
  backend = await createBackend({ env: { ...process.env, ...home.env, PULUMI_ACCESS_TOKEN: cloud.token }, clock });
  backend.useAudit?.({ record: (e) => audited.push(e) });
  cache = new EnvironmentCache({ source: backend.source, clock, watch: false, evaluationTimeoutMs: 24 * 60 * MIN });
});

afterAll(async () => {
  cache?.close();
  await cloud?.stop();
  await home?.cleanup();
});

describe('cloud environments in the daemon', () => {
  it('200 simultaneous credential requests make one open; the session lives as long as the aws-login duration', async () => {
    const answers = await Promise.all(Array.from({ length: 200 }, () => call('aws.credentials', { env: 'acme/app/dev' })));
    expect(cloud.opens('acme/app/dev')).toBe(1);
    for (const a of answers) expect(a).toMatchObject({ ok: true, result: { AccessKeyId: FAKE_AWS_LOGIN.accessKeyId, SecretAccessKey: FAKE_AWS_LOGIN.secretAccessKey } });
    expect(Date.parse(answers[0]!.result!.Expiration as string)).toBe(clock.now() + 60 * MIN);
  });

  it('is renewed ahead of expiry by the same rule as local sessions (40 min into a 1 h session)', async () => {
    await advance(39 * MIN);
    expect(cloud.opens('acme/app/dev')).toBe(1);
    await advance(2 * MIN);
    expect(cloud.opens('acme/app/dev')).toBe(2);
  });

  it('through an outage: the last good values are served until they expire, status says why, a cold one fails in one line', async () => {
    cloud.setDown(true);
    try {
      await advance(41 * MIN); // past the next renewal: it fails against the outage
      const served = await call('aws.credentials', { env: 'acme/app/dev' });
      expect(served).toMatchObject({ ok: true, result: { AccessKeyId: FAKE_AWS_LOGIN.accessKeyId } });
      const status = cache.status().find((e) => e.environment === 'acme/app/dev');
      expect(status?.lastRefresh).toMatchObject({ ok: false, error: { message: `Pulumi Cloud at ${cloud.url} cannot be reached (ECONNRESET)` } });
      const cold = await call('env.open', { env: 'acme/app/cold' });
      expect(cold).toMatchObject({ ok: false, error: { code: 'upstream_failed', message: expect.stringMatching(/^Pulumi Cloud at .* cannot be reached \(ECONNRESET\)$/) } });
      await advance(20 * MIN); // past expiry: nothing expired is ever served
      const expired = await call('aws.credentials', { env: 'acme/app/dev' });
      expect(expired.ok).toBe(false);
    } finally {
      cloud.setDown(false);
    }
    await advance(6 * MIN); // backoff is at most 5 minutes
    expect(await call('aws.credentials', { env: 'acme/app/dev' })).toMatchObject({ ok: true });
  });

  it('a local environment imports a cloud one: its values, secrets still secret', async () => {
    const shown = await call('env.open', { env: 'local' });
    expect(shown).toMatchObject({ ok: true, result: { values: { dsn: '[secret]', host: 'db.internal', password: '[secret]' } } });
    expect(cloud.opens('acme/shared/db')).toBe(1);
  });

  it('an unknown cloud environment is not_found, in one line', async () => {
    expect(await call('env.open', { env: 'acme/app/nope' })).toMatchObject({ ok: false, error: { code: 'not_found', message: expect.stringMatching(/^environment acme\/app\/nope not found in Pulumi Cloud/) } });
  });

  it('cloud.env: a write drops the cached open (the next open shows it); a write after another one, with the older ETag, is a conflict', async () => {
    expect(await call('env.open', { env: 'acme/app/cold' })).toMatchObject({ ok: true, result: { values: { x: 1 } } });
    const opens = cloud.opens('acme/app/cold');
    const read = await call('cloud.env', { op: 'read', env: 'acme/app/cold' });
    expect(read).toMatchObject({ ok: true, result: { yaml: 'values:\n  x: 1\n', revision: 1, etag: expect.any(String) } });
    const etag = read.result!.etag as string;
    expect(await call('cloud.env', { op: 'write', env: 'acme/app/cold', source: 'values:\n  x: 2\n', etag })).toMatchObject({ ok: true, result: { diagnostics: [], revision: 2 } });
    expect(await call('env.open', { env: 'acme/app/cold' })).toMatchObject({ ok: true, result: { values: { x: 2 } } });
    expect(cloud.opens('acme/app/cold')).toBe(opens + 1);
    const late = await call('cloud.env', { op: 'write', env: 'acme/app/cold', source: 'values:\n  x: 3\n', etag });
    expect(late).toMatchObject({ ok: false, error: { code: 'conflict', message: expect.stringMatching(/^acme\/app\/cold changed in Pulumi Cloud since it was read; nothing was written/) } });
    expect(await call('cloud.env', { op: 'read', env: 'default/app/x' })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await call('cloud.env', { op: 'list', org: 'acme' })).toMatchObject({ ok: true });
  });

  it('every call to the service is audited with the request id it returned, never the token', () => {
    const calls = audited.filter((e) => e.action === 'cloud.call');
    expect(calls.filter((e) => e.operation === 'open' && e.outcome === 'ok').length).toBeGreaterThanOrEqual(3);
    for (const e of calls.filter((c) => c.outcome === 'ok')) expect(e.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(calls.some((e) => e.status === 'unreachable')).toBe(true);
    expect(JSON.stringify(audited)).not.toContain(cloud.token);
  });
});
