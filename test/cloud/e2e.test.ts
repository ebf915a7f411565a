// A cloud environment end to end: the AWS CLI → escd-shim → a real escd daemon → the fake Pulumi Cloud
// (held to @pulumi/esc-sdk by contract.test.ts), counting the opens the service sees.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli, runProcess, runShim } from '../support/cli.js';
import { awsCliMissing, e2eSkipReason, motoMissing, startMoto, type Moto } from '../support/moto.js';
import { FAKE_AWS_LOGIN, startFakeCloud, type FakeCloud } from '../support/fake-pulumi-cloud.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';
import { awsLoginEnvironment } from '../support/environments.js';

const skip = e2eSkipReason(motoMissing(), awsCliMissing());

const AWS_ENV = awsLoginEnvironment({ roleArn: 'arn:aws:iam::123456789012:role/app', sessionName: 'escd' });

describe.skipIf(skip)('a Pulumi Cloud environment through the shim and the AWS CLI', () => {
  let moto: Moto;
  let cloud: FakeCloud;
  let home: TmpHome;
  let env: Record<string, string>;

  beforeAll(async () => {
    assertBuilt();
    [moto, cloud, home] = await Promise.all([startMoto(), startFakeCloud(), makeTmpHome('escd-cloud-e2e-')]);
    cloud.put('acme/app/dev', AWS_ENV);
    env = { ...home.env, PATH: process.env.PATH ?? '', AWS_DEFAULT_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true' };
    await mkdir(home.env.ESCD_HOME!, { recursive: true });
    await writeFile(join(home.env.ESCD_HOME!, 'config.yaml'), `orgs:\n  acme:\n    backend: ${cloud.url}\n`);
    const login = await runCli(['login', cloud.url], { env, input: `${cloud.token}\n` });
    expect(login.code, login.stderr).toBe(0);
    const started = await runCli(['start'], { env });
    expect(started.code, started.stderr).toBe(0);
  });

  afterAll(async () => {
    if (env) await runCli(['stop'], { env });
    await Promise.all([moto?.stop(), cloud?.stop(), home?.cleanup()]);
  });

  it('100 shim calls make one open on the service', async () => {
    for (let batch = 0; batch < 10; batch++) {
      const answers = await Promise.all(Array.from({ length: 10 }, () => runShim(['aws', 'acme/app/dev'], { env })));
      for (const a of answers) {
        expect(a.stderr).toBe('');
        expect(JSON.parse(a.stdout)).toMatchObject({ Version: 1, AccessKeyId: FAKE_AWS_LOGIN.accessKeyId });
      }
    }
    expect(cloud.opens('acme/app/dev')).toBe(1);
  });

  it('20 `escd run`s are served from the same cache: still one open', async () => {
    for (let batch = 0; batch < 4; batch++) {
      const runs = await Promise.all(
        Array.from({ length: 5 }, () => runCli(['run', 'acme/app/dev', '--', process.execPath, '-e', 'process.stdout.write(process.env.AWS_ACCESS_KEY_ID ?? "")'], { env })),
      );
      for (const r of runs) expect(r).toMatchObject({ code: 0, stdout: FAKE_AWS_LOGIN.accessKeyId });
    }
    expect(cloud.opens('acme/app/dev')).toBe(1);
  });

  it('`escd setup aws` wires the cloud environment into ~/.aws/config and the AWS CLI uses it', async () => {
    const setup = await runCli(['setup', 'aws', 'acme/app/dev'], { env });
    expect(setup.code, setup.stderr).toBe(0);
    const profile = setup.stdout.match(/profile[ "']+([\w.-]+)/)?.[1] ?? 'acme-app-dev';
    const r = await runProcess('aws', ['sts', 'get-caller-identity', '--profile', profile, '--endpoint-url', moto.endpoint, '--output', 'json'], { env });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toHaveProperty('Account');
    expect(cloud.opens('acme/app/dev')).toBe(1);
  });

  it('the service down: cached values still served, `escd status` names the environment', async () => {
    cloud.setDown(true);
    try {
      const served = await runShim(['aws', 'acme/app/dev'], { env });
      expect(JSON.parse(served.stdout)).toMatchObject({ AccessKeyId: FAKE_AWS_LOGIN.accessKeyId });
      const cold = await runShim(['aws', 'acme/app/other'], { env });
      expect(cold.code).not.toBe(0);
      expect(cold.stderr.trim().split('\n')).toHaveLength(1);
      expect(cold.stderr).toContain('Pulumi Cloud');
      const status = await runCli(['status'], { env });
      expect(status.stdout).toContain('acme/app/dev');
      expect(status.stdout).toMatch(/acme\/app\/other.*\n?.*Pulumi Cloud at http:\/\/127\.0\.0\.1:\d+ cannot be reached/);
    } finally {
      cloud.setDown(false);
    }
  });
});
