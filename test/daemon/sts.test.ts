// The real daemon (dist/) with the real aws-login provider against moto as STS: one STS call for a
// burst of cold requests, warm answers without STS, the refresh rule visible in status, and an STS
// outage that leaves cached sessions served and gives cold requests a quick, clear error.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../../src/protocol/client.js';
import { REFRESH_LEAD_MS } from '../../src/cache/refresh-policy.js';
import { CLI, assertBuilt } from '../support/cli.js';
import { e2eSkipReason, motoMissing, startMoto, type Moto } from '../support/moto.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';
import { awsLoginEnvironment } from '../support/environments.js';

const skip = e2eSkipReason(motoMissing());
const ROLE = 'arn:aws:iam::123456789012:role/deployer';

const awsLogin = (duration: string): string => awsLoginEnvironment({ roleArn: ROLE, sessionName: 'escd-daemon-test', duration });

interface Creds {
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  Expiration: string;
}

describe.skipIf(skip)('daemon against STS (moto)', () => {
  let moto: Moto;
  let home: TmpHome;
  let daemon: ChildProcess;
  let socket: string;
  let stderr = '';

  beforeAll(async () => {
    assertBuilt();
    moto = await startMoto();
    home = await makeTmpHome('escd-sts-');
    const envDir = join(home.env.ESCD_HOME!, 'environments', 'default');
    mkdirSync(envDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(envDir, 'hour.yaml'), awsLogin('1h'), { mode: 0o600 });
    writeFileSync(join(envDir, 'short.yaml'), awsLogin('15m'), { mode: 0o600 });
    writeFileSync(join(envDir, 'later.yaml'), awsLogin('1h'), { mode: 0o600 });
    socket = join(home.env.ESCD_HOME!, 'run', 'escd.sock');
    daemon = spawn(process.execPath, [CLI, 'daemon'], {
      env: { PATH: process.env.PATH ?? '', ...home.env, AWS_ENDPOINT_URL_STS: moto.endpoint, AWS_REGION: 'us-east-1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    daemon.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const deadline = Date.now() + 15_000;
    for (;;) {
      const up = await request(socket, 'ping', {}, 1_000).catch(() => undefined);
      if (up?.ok) break;
      if (Date.now() > deadline) throw new Error(`daemon did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  afterAll(async () => {
    if (daemon && daemon.exitCode === null) {
      const exited = new Promise((r) => daemon.once('exit', r));
      daemon.kill('SIGTERM');
      await exited;
    }
    await moto?.stop();
    await home?.cleanup();
  });

  it('answers 200 simultaneous cold requests with one AssumeRoleWithWebIdentity', async () => {
    const answers = await Promise.all(Array.from({ length: 200 }, () => request(socket, 'aws.credentials', { env: 'hour' }, 30_000)));
    const failures = answers.filter((a) => !a.ok);
    expect(failures).toEqual([]);
    const keys = new Set(answers.map((a) => (a.ok ? (a.result as Creds).AccessKeyId : '')));
    expect(keys.size).toBe(1);
    expect(await moto.count('AssumeRoleWithWebIdentity')).toBe(1);
    const creds = (answers[0] as { result: Creds }).result;
    const life = Date.parse(creds.Expiration) - Date.now();
    expect(life).toBeGreaterThan(59 * 60_000);
    expect(life).toBeLessThanOrEqual(60 * 60_000);
    // Warm: another burst costs STS nothing.
    await Promise.all(Array.from({ length: 50 }, () => request(socket, 'aws.credentials', { env: 'hour' })));
    expect(await moto.count('AssumeRoleWithWebIdentity')).toBe(1);
  });

  it('schedules renewals by the stated rule', async () => {
    await request(socket, 'aws.credentials', { env: 'short' });
    const status = await request(socket, 'status', {});
    const envs = (status as { result: { environments: { environment: string; expiresAt: string; nextRefreshAt: string; lastRefresh: { at: string } }[] } }).result.environments;
    const hour = envs.find((e) => e.environment === 'default/hour')!;
    expect(Date.parse(hour.expiresAt) - Date.parse(hour.nextRefreshAt)).toBe(REFRESH_LEAD_MS);
    const short = envs.find((e) => e.environment === 'default/short')!;
    // 15 min session: renewed a third of the way in (5 min after issue), not 20 min before expiry.
    const issued = Date.parse(short.lastRefresh.at);
    expect(Date.parse(short.nextRefreshAt) - issued).toBeCloseTo((Date.parse(short.expiresAt) - issued) / 3, -3);
  });

  it('during an STS outage: cached sessions are served, a cold request fails fast and clearly', async () => {
    const before = await request(socket, 'aws.credentials', { env: 'hour' });
    await moto.stop();
    const warm = await request(socket, 'aws.credentials', { env: 'hour' });
    expect(warm).toEqual(before);
    const started = Date.now();
    const cold = await request(socket, 'aws.credentials', { env: 'later' }, 30_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(cold.ok).toBe(false);
    const error = (cold as { error: { code: string; message: string } }).error;
    expect(['evaluation_failed', 'upstream_failed']).toContain(error.code);
    expect(error.message).toMatch(/STS|127\.0\.0\.1/);
    expect(error.message.split('\n')).toHaveLength(1);
    const status = await request(socket, 'status', {});
    const later = (status as { result: { environments: { environment: string; lastRefresh?: { ok: boolean } }[] } }).result.environments.find((e) => e.environment === 'default/later');
    expect(later?.lastRefresh?.ok).toBe(false);
    expect(JSON.stringify(status)).not.toContain((before as { result: Creds }).result.SecretAccessKey);
  });
});
