// The cache and handlers over the real runtime: store, YAML evaluator, imports, diagnostics.
// Only the `fn::open` provider is a fake (an STS-like one on the manual clock).
import { mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend } from '../../daemon/backend.js';
import type { DaemonBackend } from '../../daemon/main.js';
import { EnvironmentCache } from '../../src/cache/environment-cache.js';
import { guaranteedServedLife } from '../../src/cache/refresh-policy.js';
import { ManualClock } from '../../src/clock/clock.js';
import { escValue, fromJS, markSecretDeep } from '../../src/esc/value.js';
import type { Provider } from '../../src/esc/provider.js';
import type { Request } from '../../src/protocol/wire.js';
import { settle } from '../cache/fake-source.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';
import { dispatchOnce, type DispatchReply } from './harness.js';

const MIN = 60_000;
let home: TmpHome;
let envDir: string;
let clock: ManualClock;
let backend: DaemonBackend;
let cache: EnvironmentCache;
let opened = 0;

const fakeSts: Provider = {
  inputSchema: true,
  outputSchema: true,
  async open(_inputs, context) {
    opened++;
    const expiresAt = new Date(clock.now() + 60 * MIN);
    context.noteExpiry(expiresAt);
    return escValue(
      new Map([
        ['accessKeyId', fromJS(`ASIAINTEGRATION${opened}`)],
        ['secretAccessKey', markSecretDeep(fromJS(`integration-secret-${opened}`))],
        ['sessionToken', markSecretDeep(fromJS(`integration-token-${opened}`))],
        ['expiration', fromJS(expiresAt.toISOString())],
      ]),
    );
  },
};

function write(name: string, text: string): string {
  const file = join(envDir, `${name}.yaml`);
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

/**
 * A request the daemon reads after a file changed comes in a later turn of its event loop; within one
 * turn the cache sees the files as the turn's first request did (src/cache/file-stamps.ts).
 */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const call = (method: Request['method'], params: Record<string, unknown>): Promise<DispatchReply> => dispatchOnce({ cache, kube: backend.kube, clock }, method, params);

beforeAll(async () => {
  home = await makeTmpHome('escd-int-');
  envDir = join(home.env.ESCD_HOME!, 'environments', 'default');
  mkdirSync(envDir, { recursive: true, mode: 0o700 });
  write('base', 'values:\n  creds:\n    fn::open::fake-sts:\n      role: arn:aws:iam::123456789012:role/dev\n');
  write(
    'app',
    'imports:\n  - base\nvalues:\n  environmentVariables:\n    AWS_ACCESS_KEY_ID: ${creds.accessKeyId}\n    AWS_SECRET_ACCESS_KEY: ${creds.secretAccessKey}\n    AWS_SESSION_TOKEN: ${creds.sessionToken}\n',
  );
  clock = new ManualClock(Date.now());
  backend = await createBackend({ env: { ...process.env, ...home.env, AWS_ENDPOINT_URL_STS: '', AWS_ENDPOINT_URL: '' }, clock, providers: new Map([['fake-sts', fakeSts]]) });
  // Simulated time races real file reads here: no evaluation timeout on the manual clock.
  cache = new EnvironmentCache({ source: backend.source, clock, watch: false, evaluationTimeoutMs: 24 * 60 * MIN });
});

afterAll(async () => {
  cache?.close();
  await home?.cleanup();
});

describe('daemon over the real runtime', () => {
  it('serves credential_process JSON whose expiry comes from the provider', async () => {
    const res = await call('aws.credentials', { env: 'app' });
    expect(res).toMatchObject({ ok: true, result: { Version: 1, AccessKeyId: 'ASIAINTEGRATION1', SecretAccessKey: 'integration-secret-1', SessionToken: 'integration-token-1' } });
    expect(Date.parse(res.result!.Expiration as string)).toBe(clock.now() + 60 * MIN);
    expect(opened).toBe(1);
    expect(cache.status()[0]).toMatchObject({ environment: 'default/app' });
  });

  it('redacts secrets in env.open', async () => {
    const res = await call('env.open', { env: 'app' });
    expect(JSON.stringify(res)).not.toContain('integration-secret');
    expect(res.result!.values).toMatchObject({ environmentVariables: { AWS_ACCESS_KEY_ID: 'ASIAINTEGRATION1', AWS_SECRET_ACCESS_KEY: '[secret]' } });
  });

  it('renews in the background ahead of expiry, by the stated rule', async () => {
    const first = await call('aws.credentials', { env: 'app' });
    for (let i = 0; i < 41 * 12; i++) {
      clock.advance(5_000);
      await settle();
    }
    // The renewal reads files for real: give it real time to finish.
    for (let i = 0; i < 500 && cache.status()[0]!.refreshing; i++) await new Promise((r) => setTimeout(r, 10));
    expect(opened).toBe(2);
    const renewed = await call('aws.credentials', { env: 'app' });
    expect(renewed.result!.AccessKeyId).toBe('ASIAINTEGRATION2');
    expect(Date.parse(renewed.result!.Expiration as string) - clock.now()).toBeGreaterThan(guaranteedServedLife(60 * MIN));
    expect(first.result!.AccessKeyId).toBe('ASIAINTEGRATION1');
  });

  it('re-evaluates an environment when a file it imports changes', async () => {
    const before = opened;
    const later = new Date(Date.now() + 10_000);
    utimesSync(join(envDir, 'base.yaml'), later, later);
    await nextTurn();
    const res = await call('aws.credentials', { env: 'default/app' });
    expect(opened).toBe(before + 1);
    expect(res.result!.AccessKeyId).toBe(`ASIAINTEGRATION${before + 1}`);
  });

  it('names the file and line of an error, and keeps the last good session while a broken edit lasts', async () => {
    const good = await call('aws.credentials', { env: 'app' });
    const file = write('app', 'imports:\n  - base\nvalues:\n  environmentVariables:\n    AWS_ACCESS_KEY_ID: ${creds.nope}\n');
    await nextTurn();
    const stale = await call('aws.credentials', { env: 'app' });
    expect(stale.result).toEqual(good.result);
    const status = cache.status().find((e) => e.environment === 'default/app')!;
    expect(status.stale).toBe(true);
    expect(status.lastRefresh?.error?.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5:\\d+: error: `));
    const cold = await call('aws.credentials', { env: 'nothere' });
    expect(cold).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('presigns EKS tokens with the environment credentials, for the cluster region', async () => {
    const res = await call('kube.credentials', { env: 'app', cluster: 'prod-cluster', region: 'eu-west-1', apiVersion: 'client.authentication.k8s.io/v1beta1' });
    expect(res).toMatchObject({ ok: true, result: { kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1beta1' } });
    const { token, expirationTimestamp } = res.result!.status as { token: string; expirationTimestamp: string };
    expect(token.startsWith('k8s-aws-v1.')).toBe(true);
    const url = new URL(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString());
    expect(url.host).toBe('sts.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('Action')).toBe('GetCallerIdentity');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^ASIAINTEGRATION\d+\/\d{8}\/eu-west-1\/sts\/aws4_request$/);
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(Date.parse(expirationTimestamp) - clock.now()).toBeLessThanOrEqual(14 * MIN);
    expect(Date.parse(expirationTimestamp) - clock.now()).toBeGreaterThan(13 * MIN);
    const again = await call('kube.credentials', { env: 'app', cluster: 'prod-cluster', region: 'eu-west-1', apiVersion: 'client.authentication.k8s.io/v1beta1' });
    expect((again.result!.status as { token: string }).token).toBe(token); // reused while ≥ 5 min left
  });

  it('mints OIDC kube tokens from the real issuer', async () => {
    write('plain', 'values:\n  x: 1\n');
    const res = await call('kube.credentials', { env: 'plain', cluster: 'kind', oidc: true, apiVersion: 'client.authentication.k8s.io/v1' });
    expect(res).toMatchObject({ ok: true, result: { kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1' } });
    const token = (res.result!.status as { token: string }).token;
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(payload).toMatchObject({ aud: 'kind', iss: 'https://oidc.escd.invalid' });
  });

  it('a deleted file: the last good session is served until it expires, then not_found; a restored file recovers', async () => {
    const file = write('gone', 'imports:\n  - base\nvalues:\n  environmentVariables:\n    AWS_ACCESS_KEY_ID: ${creds.accessKeyId}\n    AWS_SECRET_ACCESS_KEY: ${creds.secretAccessKey}\n');
    const text = readFileSync(file, 'utf8');
    const good = await call('aws.credentials', { env: 'gone' });
    expect(good.ok).toBe(true);
    rmSync(file);
    expect(await call('aws.credentials', { env: 'gone' })).toEqual(good); // stale but valid
    const status = cache.status().find((e) => e.environment === 'default/gone')!;
    expect(status).toMatchObject({ stale: true, lastRefresh: { ok: false, error: { code: 'not_found' } } });
    clock.jump(61 * MIN);
    expect(await call('aws.credentials', { env: 'gone' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    writeFileSync(file, text, { mode: 0o600 });
    const back = await call('aws.credentials', { env: 'gone' });
    expect(back.ok).toBe(true);
    expect(Date.parse(back.result!.Expiration as string) - clock.now()).toBe(60 * MIN);
  });
});
