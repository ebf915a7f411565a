import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../../src/protocol/client.js';
import { MAX_REQUEST_BYTES } from '../../src/protocol/wire.js';
import { SECRET_PREFIX } from '../cache/fake-source.js';
import { LineClient, startDaemon, type TestDaemon } from './harness.js';

let daemon: TestDaemon;
const clients: LineClient[] = [];

function client(): LineClient {
  const c = new LineClient(daemon.socket);
  clients.push(c);
  return c;
}

async function waitFor(check: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function status(): Promise<{ daemon: Record<string, unknown>; environments: Record<string, unknown>[] }> {
  const res = await request(daemon.socket, 'status', {});
  if (!res.ok) throw new Error(res.error.message);
  return res.result as { daemon: Record<string, unknown>; environments: Record<string, unknown>[] };
}

beforeAll(async () => {
  daemon = await startDaemon({ limits: { partialLineTimeoutMs: 300, maxWriteBufferBytes: 64 * 1024, idleTimeoutMs: 2_000 } });
  daemon.source.write('dev');
  daemon.source.write('plain');
  daemon.source.static.add('plain');
});

afterAll(async () => {
  for (const c of clients) c.close();
  await daemon?.stop();
});

describe('daemon protocol over a real socket', () => {
  it('answers ping with its pid and version', async () => {
    const res = await request(daemon.socket, 'ping', {});
    expect(res).toMatchObject({ v: 1, id: 1, ok: true, result: { pong: true, pid: process.pid, version: '0.0.0-test' } });
  });

  it('the socket is 0600 in a 0700 directory', () => {
    expect(statSync(daemon.socket).mode & 0o777).toBe(0o600);
    expect(statSync(daemon.socket.replace(/\/escd\.sock$/, '')).mode & 0o777).toBe(0o700);
  });

  it('answers bad input with errors and keeps the connection', async () => {
    const c = client();
    await c.ready();
    c.send('{not json\n');
    expect(await c.next()).toMatchObject({ ok: false, id: null, error: { code: 'bad_request', message: 'the request is not valid JSON' } });
    c.send(randomBytes(2_000).toString('latin1').replace(/\n/g, ' ') + '\n');
    expect(await c.next()).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    c.send('[1,2,3]\n');
    expect(await c.next()).toMatchObject({ ok: false, error: { code: 'bad_request', message: 'the request must be a JSON object' } });
    expect(await c.call('no.such.method', {}, 'a')).toMatchObject({ ok: false, id: 'a', error: { code: 'unknown_method' } });
    expect(await c.call('aws.credentials', { env: 42 }, 'b')).toMatchObject({
      ok: false,
      id: 'b',
      error: { code: 'bad_request', message: 'params.env must be a non-empty string' },
    });
    expect(await c.call('kube.credentials', { env: 'dev', cluster: 'c', apiVersion: 'v2' }, 'c')).toMatchObject({
      error: { code: 'bad_request', message: expect.stringContaining('params.apiVersion') },
    });
    expect(await c.call('env.open', { env: 'dev', showSecrets: 'yes' }, 'd')).toMatchObject({ error: { message: 'params.showSecrets must be true or false' } });
    c.send(JSON.stringify({ v: 3, id: 7, method: 'ping', params: {} }) + '\n');
    expect(await c.next()).toMatchObject({ ok: false, id: 7, error: { code: 'unsupported_version' } });
    c.send(JSON.stringify({ v: 1, id: { x: 1 }, method: 'ping' }) + '\n');
    expect(await c.next()).toMatchObject({ ok: false, id: null, error: { code: 'bad_request' } });
    // Still the same, working connection.
    expect(await c.call('ping', {}, 'last')).toMatchObject({ ok: true, id: 'last' });
    expect(c.closed).toBe(false);
  });

  it('answers a line over the size limit with too_large and closes; others are unaffected', async () => {
    const c = client();
    await c.ready();
    c.send('x'.repeat(MAX_REQUEST_BYTES + 10));
    expect(await c.next()).toMatchObject({ ok: false, error: { code: 'too_large' } });
    expect(await c.next()).toBeNull(); // closed
    const huge = client();
    await huge.ready();
    huge.send(Buffer.alloc(10 * 1024 * 1024, 0x61)); // a 10 MB line
    expect(await huge.next()).toMatchObject({ error: { code: 'too_large' } });
    expect((await request(daemon.socket, 'ping', {})).ok).toBe(true);
  });

  it('closes a connection whose line never ends (read timeout)', async () => {
    const c = client();
    await c.ready();
    c.send('{"v":1,"id":1,"method":"pi');
    expect(await c.next()).toMatchObject({ ok: false, error: { code: 'bad_request', message: expect.stringContaining('incomplete request') } });
    expect(await c.next()).toBeNull();
  });

  it('serves many requests on one persistent connection, in any framing', async () => {
    const c = client();
    await c.ready();
    const n = 500;
    const text = Array.from({ length: n }, (_, i) => JSON.stringify({ v: 1, id: i, method: i % 2 ? 'ping' : 'aws.credentials', params: i % 2 ? {} : { env: 'dev' } }) + '\n').join('');
    // Split at awkward places: mid-line and mid-character boundaries.
    for (let i = 0; i < text.length; i += 777) c.send(text.slice(i, i + 777));
    const ids = new Set<unknown>();
    for (let i = 0; i < n; i++) {
      const res = await c.next();
      expect(res).toMatchObject({ ok: true });
      ids.add(res!.id);
    }
    expect(ids.size).toBe(n);
  });

  it('works on at most 16 requests of one connection at a time, and answers them all', async () => {
    const names = Array.from({ length: 40 }, (_, i) => `burst-${i}`);
    for (const n of names) daemon.source.write(n);
    daemon.source.latencyMs = 200;
    daemon.source.maxInFlight = 0;
    const c = client();
    await c.ready();
    c.send(names.map((n, i) => JSON.stringify({ v: 1, id: i, method: 'aws.credentials', params: { env: n } }) + '\n').join(''));
    const answers = [];
    for (let i = 0; i < names.length; i++) answers.push(await c.next());
    daemon.source.latencyMs = 0;
    expect(answers.every((a) => a?.ok === true)).toBe(true);
    expect(new Set(answers.map((a) => a!.id)).size).toBe(40);
    expect(daemon.source.maxInFlight).toBeLessThanOrEqual(16);
    expect(daemon.source.maxInFlight).toBeGreaterThan(1);
  });

  it('serves 200 parallel clients for one cold environment with a single evaluation', async () => {
    daemon.source.write('cold');
    daemon.source.latencyMs = 500; // an STS round trip: all 200 arrive while it is in flight
    const before = daemon.source.evaluations.filter((e) => e.name === 'cold').length;
    const answers = await Promise.all(Array.from({ length: 200 }, () => request(daemon.socket, 'aws.credentials', { env: 'cold' })));
    daemon.source.latencyMs = 0;
    expect(answers.every((a) => a.ok)).toBe(true);
    expect(daemon.source.evaluations.filter((e) => e.name === 'cold').length - before).toBe(1);
    expect(new Set(answers.map((a) => JSON.stringify(a.ok && a.result))).size).toBe(1);
  });

  it('aws.credentials returns credential_process JSON with the session expiry', async () => {
    const res = await request(daemon.socket, 'aws.credentials', { env: 'dev' });
    expect(res.ok).toBe(true);
    const body = (res as { result: Record<string, string> }).result;
    expect(body).toMatchObject({ Version: 1, AccessKeyId: expect.stringMatching(/^ASIAFAKE/), SecretAccessKey: expect.stringContaining(SECRET_PREFIX) });
    expect(body.SessionToken).toContain('token');
    const life = Date.parse(body.Expiration!) - Date.now();
    expect(life).toBeGreaterThan(59 * 60_000);
    expect(life).toBeLessThanOrEqual(60 * 60_000);
  });

  it('aws.credentials on an environment without AWS variables is not_credentials; unknown is not_found', async () => {
    expect(await request(daemon.socket, 'aws.credentials', { env: 'plain' })).toMatchObject({ ok: false, error: { code: 'not_credentials' } });
    expect(await request(daemon.socket, 'aws.credentials', { env: 'missing' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await request(daemon.socket, 'aws.credentials', { env: '../../etc/passwd' })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });

  it('kube.credentials returns an ExecCredential in the requested version and reuses the token', async () => {
    const v1 = await request(daemon.socket, 'kube.credentials', { env: 'dev', cluster: 'prod', apiVersion: 'client.authentication.k8s.io/v1' });
    expect(v1).toMatchObject({
      ok: true,
      result: { apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: expect.stringMatching(/^k8s-aws-v1\.fake-prod-eu-west-1-/) } },
    });
    const status = (v1 as { result: { status: { expirationTimestamp: string; token: string } } }).result.status;
    expect(status.expirationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const again = await request(daemon.socket, 'kube.credentials', { env: 'dev', cluster: 'prod', apiVersion: 'client.authentication.k8s.io/v1' });
    expect((again as { result: { status: { token: string } } }).result.status.token).toBe(status.token);
    const region = await request(daemon.socket, 'kube.credentials', { env: 'dev', cluster: 'prod', region: 'ap-south-1', apiVersion: 'client.authentication.k8s.io/v1beta1' });
    expect(region).toMatchObject({ result: { apiVersion: 'client.authentication.k8s.io/v1beta1', status: { token: expect.stringContaining('ap-south-1') } } });
    const oidc = await request(daemon.socket, 'kube.credentials', { env: 'dev', cluster: 'prod', oidc: true, audience: 'kubernetes', apiVersion: 'client.authentication.k8s.io/v1' });
    expect(oidc).toMatchObject({ ok: true, result: { status: { token: 'jwt.dev.kubernetes.' + String(daemon.backend.kubeFake.minted.length) } } });
    expect(await request(daemon.socket, 'kube.credentials', { env: 'plain', cluster: 'prod', apiVersion: 'client.authentication.k8s.io/v1' })).toMatchObject({
      ok: false,
      error: { code: 'not_credentials' },
    });
  });

  it('env.open redacts secrets unless asked', async () => {
    const redacted = JSON.stringify(await request(daemon.socket, 'env.open', { env: 'dev' }));
    expect(redacted).toContain('[secret]');
    expect(redacted).not.toContain(SECRET_PREFIX);
    const shown = JSON.stringify(await request(daemon.socket, 'env.open', { env: 'dev', showSecrets: true }));
    expect(shown).toContain(SECRET_PREFIX);
  });

  it('env.open and env.check take traces as a flag (the wire value carries them when the evaluation has them)', async () => {
    await request(daemon.socket, 'env.open', { env: 'dev', format: 'wire' });
    const before = daemon.source.evaluations.length;
    await request(daemon.socket, 'env.open', { env: 'dev', format: 'wire' });
    expect(daemon.source.evaluations.length).toBe(before);
    // Traced: one evaluation more, beside the cached session (which keeps no traces).
    expect(await request(daemon.socket, 'env.open', { env: 'dev', format: 'wire', traces: true })).toMatchObject({ ok: true, result: { values: { o: {} } } });
    expect(daemon.source.evaluations.length).toBe(before + 1);
    const c = client();
    await c.ready();
    expect(await c.call('env.open', { env: 'dev', traces: 1 }, 't')).toMatchObject({ error: { message: 'params.traces must be true or false' } });
    c.send(JSON.stringify({ v: 2, id: 'u', method: 'env.check', params: { env: 'dev', values: true, traces: 'yes' } }) + '\n');
    expect(await c.next()).toMatchObject({ error: { message: 'params.traces must be true or false' } });
  });

  it('status lists the cached environments; flush drops them', async () => {
    await request(daemon.socket, 'aws.credentials', { env: 'dev' });
    const s = await status();
    expect(s.daemon).toMatchObject({ pid: process.pid, version: '0.0.0-test', socket: daemon.socket, socketActivated: false, issuer: 'https://issuer.test', keystore: { backend: 'file' } });
    const dev = s.environments.find((e) => e.environment === 'dev')!;
    expect(dev).toMatchObject({ lastRefresh: { ok: true }, refreshing: false });
    expect(dev.hits as number).toBeGreaterThan(1);
    expect(Date.parse(dev.nextRefreshAt as string)).toBeLessThan(Date.parse(dev.expiresAt as string));
    expect(JSON.stringify(s)).not.toContain(SECRET_PREFIX);
    expect(await request(daemon.socket, 'flush', { env: 'dev' })).toMatchObject({ ok: true, result: { flushed: 1 } });
    expect((await status()).environments.some((e) => e.environment === 'dev')).toBe(false);
  });

  it('cuts off a client that reads nothing, and stays responsive', async () => {
    const c = client();
    await c.ready();
    c.socket.pause(); // never reads its answers
    const line = JSON.stringify({ v: 1, id: 1, method: 'env.open', params: { env: 'dev', showSecrets: true } }) + '\n';
    for (let i = 0; i < 20_000 && !c.socket.destroyed; i++) if (!c.socket.write(line)) await new Promise((r) => setTimeout(r, 1));
    await waitFor(async () => (await status()).daemon.connections === 1); // only the status request itself
    expect((await request(daemon.socket, 'ping', {})).ok).toBe(true);
  });

  it('closes idle connections and keeps 1000 idle ones without trouble', async () => {
    const idle: LineClient[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const some = Array.from({ length: 100 }, () => client());
      await Promise.all(some.map((c) => c.ready()));
      idle.push(...some);
    }
    expect((await status()).daemon.connections as number).toBeGreaterThanOrEqual(1000);
    expect((await request(daemon.socket, 'ping', {})).ok).toBe(true);
    await waitFor(() => idle.every((c) => c.closed), 10_000); // idle timeout is 2 s here
  });

  it('writes audit lines for served and refreshed credentials, without secrets', async () => {
    await request(daemon.socket, 'aws.credentials', { env: 'dev' });
    await waitFor(() => {
      try {
        return readFileSync(daemon.auditFile, 'utf8').includes('"action":"refresh"');
      } catch {
        return false;
      }
    });
    const text = readFileSync(daemon.auditFile, 'utf8');
    expect(statSync(daemon.auditFile).mode & 0o777).toBe(0o600);
    expect(text).not.toContain(SECRET_PREFIX);
    expect(text).not.toContain('ASIAFAKE');
    const events = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events).toContainEqual(expect.objectContaining({ environment: 'dev', action: 'aws.credentials', outcome: 'ok', source: 'cache' }));
    expect(events).toContainEqual(expect.objectContaining({ environment: 'dev', action: 'refresh', outcome: 'ok' }));
    expect(events).toContainEqual(expect.objectContaining({ environment: 'missing', action: 'aws.credentials', outcome: 'error', code: 'not_found' }));
    expect(events).toContainEqual(expect.objectContaining({ environment: 'dev', action: 'env.open', outcome: 'ok', revealed: true }));
    for (const e of events) expect(Date.parse(e.time as string)).not.toBeNaN();
  });
});

describe('at the connection limit', () => {
  let small: TestDaemon;
  const mine: LineClient[] = [];
  const connectIdle = async (n: number): Promise<LineClient[]> => {
    const some = Array.from({ length: n }, () => new LineClient(small.socket));
    mine.push(...some);
    await Promise.all(some.map((c) => c.ready()));
    await new Promise((r) => setTimeout(r, 50)); // accepted by the daemon, in this order
    return some;
  };

  beforeAll(async () => {
    small = await startDaemon({ limits: { maxConnections: 8 } });
    small.source.write('slow');
  });
  afterAll(async () => {
    for (const c of mine) c.close();
    await small?.stop();
  });

  it('a new connection takes the place of the one idle the longest: idle connections cannot lock clients out', async () => {
    const idle: LineClient[] = [];
    for (let i = 0; i < 8; i++) idle.push(...(await connectIdle(1)));
    expect((await request(small.socket, 'ping', {})).ok).toBe(true);
    await waitFor(() => idle[0]!.closed);
    expect(idle.slice(1).some((c) => c.closed)).toBe(false);
    // Clients keep getting in while the idle ones stay (each takes a free place or the oldest idle one).
    for (let i = 0; i < 20; i++) expect((await request(small.socket, 'ping', {})).ok).toBe(true);
    for (const c of idle) c.close();
    await waitFor(async () => {
      const res = await request(small.socket, 'status', {});
      return res.ok && (res.result as { daemon: { connections: number } }).daemon.connections === 1;
    });
  });

  it('when every connection is busy, a new one is refused, and served again once they are done', async () => {
    small.source.latencyMs = 1_500;
    const busy = await connectIdle(8);
    busy.forEach((c, i) => c.send(JSON.stringify({ v: 1, id: i, method: 'aws.credentials', params: { env: 'slow' } }) + '\n'));
    await new Promise((r) => setTimeout(r, 200));
    await expect(request(small.socket, 'ping', {}, 1_000)).rejects.toThrow();
    const answers = await Promise.all(busy.map((c) => c.next()));
    expect(answers.every((a) => (a as { ok: boolean } | null)?.ok === true)).toBe(true);
    expect((await request(small.socket, 'ping', {})).ok).toBe(true);
  });
});
