// Finding 3 of issue 12 against the real daemon: an environment whose references copy the previous
// level ten times (r1..r9) ends in a diagnostic; the daemon stays up and keeps serving the others —
// from its cache while the hostile one is being evaluated (in a worker thread), with the same STS
// session before and after. The latency ratio (p99 during / idle) is a row of `npm run bench`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../../src/protocol/client.js';
import { assertBuilt, CLI } from '../support/cli.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';
import { expandingEnvironment } from '../support/hostile.js';
import { awsLoginEnvironment } from '../support/environments.js';
import { e2eSkipReason, motoMissing, startMoto, type Moto } from '../support/moto.js';

const skipSts = e2eSkipReason(motoMissing());
const accessKey = (answer: Awaited<ReturnType<typeof request>>): string | undefined => (answer.ok ? (answer.result as { AccessKeyId: string }).AccessKeyId : undefined);

describe('a hostile environment in the daemon', () => {
  let home: TmpHome;
  let daemon: ChildProcess;
  let socket: string;
  let stderr = '';
  let moto: Moto | undefined;

  beforeAll(async () => {
    assertBuilt();
    if (!skipSts) moto = await startMoto();
    home = await makeTmpHome('escd-hostile-');
    const dir = join(home.env.ESCD_HOME!, 'environments', 'proj');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'ok.yaml'), 'values:\n  greeting: hello\n');
    writeFileSync(join(dir, 'bomb.yaml'), expandingEnvironment('array'));
    writeFileSync(join(dir, 'bombstr.yaml'), expandingEnvironment('string'));
    for (let i = 0; i < 6; i++) writeFileSync(join(dir, `later${i}.yaml`), expandingEnvironment(i % 2 ? 'string' : 'array'));
    writeFileSync(join(dir, 'creds.yaml'), awsLoginEnvironment({ roleArn: 'arn:aws:iam::123456789012:role/deployer', sessionName: 'hostile-test' }));
    socket = join(home.env.ESCD_HOME!, 'run', 'escd.sock');
    const sts = moto ? { AWS_ENDPOINT_URL_STS: moto.endpoint, AWS_REGION: 'us-east-1' } : {};
    daemon = spawn(process.execPath, [CLI, 'daemon'], { env: { PATH: process.env.PATH ?? '', ...home.env, ...sts }, stdio: ['ignore', 'ignore', 'pipe'] });
    daemon.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    for (let i = 0; i < 200; i++) {
      if ((await request(socket, 'ping', {}, 1_000).catch(() => undefined))?.ok) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  afterAll(async () => {
    if (daemon.exitCode === null) {
      daemon.kill('SIGTERM');
      await new Promise((r) => daemon.once('exit', r));
    }
    await moto?.stop();
    await home.cleanup();
  });

  it('gives a diagnostic for each form, while the daemon keeps answering for the others', async () => {
    const ok = await request(socket, 'env.open', { env: 'proj/ok' });
    expect(ok.ok, stderr).toBe(true);
    const [bomb, bombstr, during] = await Promise.all([
      request(socket, 'env.open', { env: 'proj/bomb' }, 30_000),
      request(socket, 'env.open', { env: 'proj/bombstr' }, 30_000),
      request(socket, 'env.open', { env: 'proj/ok' }),
    ]);
    expect(bomb).toMatchObject({ ok: false, error: { code: 'evaluation_failed' } });
    expect(JSON.stringify(bomb)).toContain('more than 100000 values (evaluation limit)');
    expect(bombstr).toMatchObject({ ok: false, error: { code: 'evaluation_failed' } });
    expect(JSON.stringify(bombstr)).toContain('more than 16 MiB (evaluation limit)');
    expect(during.ok).toBe(true);
    expect((await request(socket, 'ping', {})).ok).toBe(true);
    expect(daemon.exitCode).toBeNull();
  }, 60_000);

  it.skipIf(skipSts)('answers cached environments while a hostile one is evaluated, and keeps its STS session', async () => {
    const before = await request(socket, 'aws.credentials', { env: 'proj/creds' }, 30_000);
    expect(before.ok, stderr).toBe(true);
    const key = accessKey(before);
    let bombDone = false;
    const hostile = Array.from({ length: 6 }, (_, i) => request(socket, 'env.open', { env: `proj/later${i}` }, 60_000));
    const bombs = Promise.all(hostile).finally(() => (bombDone = true));
    // Cached answers, one after another, until the hostile evaluations end: some come back meanwhile.
    let servedMeanwhile = 0;
    while (!bombDone) {
      const [creds, ok] = await Promise.all([request(socket, 'aws.credentials', { env: 'proj/creds' }), request(socket, 'env.open', { env: 'proj/ok' })]);
      expect(creds.ok && ok.ok).toBe(true);
      if (!bombDone) servedMeanwhile++;
      expect(accessKey(creds)).toBe(key);
    }
    for (const answer of await bombs) expect(answer).toMatchObject({ ok: false, error: { code: 'evaluation_failed' } });
    expect(servedMeanwhile).toBeGreaterThan(0);
    const after = await request(socket, 'aws.credentials', { env: 'proj/creds' });
    expect(accessKey(after)).toBe(key);
    expect(await moto!.count('AssumeRoleWithWebIdentity')).toBe(1);
    expect(daemon.exitCode).toBeNull();
  }, 90_000);
});
