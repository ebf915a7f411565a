// Load (issue 7): 1,000 shim invocations — the built escd-shim as AWS credential_process and as the
// kubectl exec plugin would run it — from 50 parallel workers against a warm daemon (the real
// `escd daemon`, aws-login through moto). Zero errors, every answer valid and the same session, no
// extra STS call, every request audited; the daemon's memory measured before and after.
// (The served-life floor over simulated hours with many environments refreshing is in
// test/cache/environment-cache.test.ts; throughput figures are the benchmarks' job, not this test's.)
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../../src/protocol/client.js';
import { assertBuilt, runCli, runShim, type RunResult } from '../support/cli.js';
import { e2eSkipReason, motoMissing, startMoto, type Moto } from '../support/moto.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';
import { awsLoginEnvironment } from '../support/environments.js';

const skip = e2eSkipReason(motoMissing());
const WORKERS = 50;
const PER_WORKER = 20;

const rssKiB = (pid: number): number | undefined => {
  try {
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  } catch {
    return undefined; // not Linux
  }
};

describe.skipIf(skip)('1,000 shim invocations from 50 parallel workers', () => {
  let moto: Moto;
  let home: TmpHome;
  let socket: string;

  beforeAll(async () => {
    assertBuilt();
    moto = await startMoto();
    home = await makeTmpHome('escd-load-');
    const escdHome = home.env.ESCD_HOME!;
    socket = join(escdHome, 'run', 'escd.sock');
    await mkdir(join(escdHome, 'environments', 'proj'), { recursive: true });
    await writeFile(join(escdHome, 'config.yaml'), `org: acme\nuser: alice\naws:\n  region: us-east-1\n  stsEndpoint: ${moto.endpoint}\n`);
    await writeFile(
      join(escdHome, 'environments', 'proj', 'dev.yaml'),
      awsLoginEnvironment({ roleArn: 'arn:aws:iam::123456789012:role/load', sessionName: 'load' }),
    );
    const started = await runCli(['start'], { env: home.env });
    expect(started.code, started.stderr).toBe(0);
  });

  afterAll(async () => {
    if (home) await runCli(['stop'], { env: home.env });
    await moto?.stop();
    await home?.cleanup();
  });

  it('serves them all: zero errors, one STS session, every request audited', async () => {
    // Warm: the session and one EKS token per cluster exist before the load.
    const warm = await runShim(['aws', 'proj/dev'], { env: home.env });
    expect(warm.stderr).toBe('');
    const session = JSON.parse(warm.stdout) as { AccessKeyId: string };
    for (const cluster of ['a', 'b']) expect((await runShim(['kube', 'proj/dev', '--cluster', cluster], { env: home.env })).code).toBe(0);
    const ping = await request(socket, 'ping', {});
    const pid = (ping as { result: { pid: number } }).result.pid;
    const rssBefore = rssKiB(pid);
    const assumedBefore = await moto.count('AssumeRoleWithWebIdentity');

    const started = Date.now();
    const results: { args: string[]; result: RunResult }[] = [];
    await Promise.all(
      Array.from({ length: WORKERS }, async (_, w) => {
        for (let i = 0; i < PER_WORKER; i++) {
          // One in five as kubectl's exec plugin, the rest as credential_process.
          const args = (w * PER_WORKER + i) % 5 === 0 ? ['kube', 'proj/dev', '--cluster', i % 2 ? 'a' : 'b'] : ['aws', 'proj/dev'];
          results.push({ args, result: await runShim(args, { env: home.env, timeoutMs: 60_000 }) });
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    const rssAfter = rssKiB(pid);

    const failures = results.filter(({ result }) => result.code !== 0 || result.stderr !== '');
    expect(failures.slice(0, 3).map(({ args, result }) => `${args.join(' ')}: ${result.code} ${result.stderr}`)).toEqual([]);
    expect(results).toHaveLength(WORKERS * PER_WORKER);
    const now = Date.now();
    let aws = 0;
    for (const { args, result } of results) {
      const answer = JSON.parse(result.stdout) as { AccessKeyId?: string; Expiration?: string; status?: { token: string; expirationTimestamp: string } };
      if (args[0] === 'aws') {
        aws++;
        expect(answer.AccessKeyId).toBe(session.AccessKeyId);
        expect(Date.parse(answer.Expiration!) - now).toBeGreaterThan(15 * 60_000);
      } else {
        expect(answer.status!.token).toMatch(/^k8s-aws-v1\./);
        expect(Date.parse(answer.status!.expirationTimestamp)).toBeGreaterThan(now);
      }
    }
    expect(await moto.count('AssumeRoleWithWebIdentity')).toBe(assumedBefore); // all from the cache

    // The daemon counted and audited every one of them, and is the same process.
    const status = await request(socket, 'status', {});
    const entry = (status as { result: { daemon: { pid: number }; environments: { environment: string; hits: number }[] } }).result;
    expect(entry.daemon.pid).toBe(pid);
    expect(entry.environments.find((e) => e.environment === 'proj/dev')!.hits).toBeGreaterThanOrEqual(WORKERS * PER_WORKER);
    const audit = readFileSync(join(home.env.ESCD_HOME!, 'state', 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string; outcome: string });
    expect(audit.filter((e) => e.action === 'aws.credentials' && e.outcome === 'ok').length).toBe(aws + 1);
    expect(audit.filter((e) => e.outcome === 'error')).toEqual([]);
    console.log(
      `load: ${results.length} shim runs (${aws} aws, ${results.length - aws} kube) from ${WORKERS} workers in ${seconds.toFixed(1)} s, ${failures.length} errors; ` +
        `daemon RSS ${rssBefore === undefined ? '?' : Math.round(rssBefore / 1024)} → ${rssAfter === undefined ? '?' : Math.round(rssAfter / 1024)} MiB`,
    );
    if (rssBefore !== undefined && rssAfter !== undefined) expect(rssAfter - rssBefore).toBeLessThan(64 * 1024); // no per-request growth worth the name
  }, 300_000);
});
