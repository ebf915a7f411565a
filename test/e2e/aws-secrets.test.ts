// End to end: an environment that logs in with aws-login (OIDC, moto's STS) and reads two secrets
// and two parameters (one SecureString) that the real AWS CLI put into moto. `escd open` shows the
// values; the daemon caches them with the login's session, so a second open calls AWS no more.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../../src/protocol/client.js';
import { socketPath } from '../../src/protocol/socket-path.js';
import { awsCli } from '../support/aws-cli.js';
import { assertBuilt, runCli } from '../support/cli.js';
import { awsCliMissing, e2eSkipReason, motoMissing, startMoto, type Moto } from '../support/moto.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

const ENVIRONMENT = `values:
  aws:
    login:
      fn::open::aws-login:
        oidc:
          roleArn: arn:aws:iam::123456789012:role/app-reader
          sessionName: escd-secrets
          duration: 1h
    secrets:
      fn::open::aws-secrets:
        region: eu-west-1
        login: \${aws.login}
        get:
          api-key:
            secretId: api-key
          db-password:
            secretId: prod/db-password
    params:
      fn::open::aws-parameter-store:
        region: eu-west-1
        login: \${aws.login}
        get:
          bucket:
            name: /app/bucket
          token:
            name: /app/token
            decrypt: true
  environmentVariables:
    API_KEY: \${aws.secrets.api-key}
    BUCKET: \${aws.params.bucket}
`;

const skip = e2eSkipReason(motoMissing(), awsCliMissing());

describe.skipIf(skip)('aws-secrets and aws-parameter-store end to end', () => {
  let moto: Moto;
  let home: TmpHome;
  let env: Record<string, string>;
  const reads = async (): Promise<Record<string, number>> => {
    const counts: Record<string, number> = {};
    for (const call of await moto.calls()) if (call.action) counts[call.action] = (counts[call.action] ?? 0) + 1;
    return counts;
  };

  beforeAll(async () => {
    assertBuilt();
    moto = await startMoto();
    const cli = (...args: string[]) => awsCli(moto.endpoint, [...args, '--region', 'eu-west-1']);
    await cli('secretsmanager', 'create-secret', '--name', 'api-key', '--secret-string', 'key-0c4f9e');
    await cli('secretsmanager', 'create-secret', '--name', 'prod/db-password', '--secret-string', 'pw-71b2aa');
    await cli('ssm', 'put-parameter', '--name', '/app/bucket', '--type', 'String', '--value', 'app-bucket-eu');
    await cli('ssm', 'put-parameter', '--name', '/app/token', '--type', 'SecureString', '--value', 'tok-e5d3');
    home = await makeTmpHome('escd-e2e-sm-');
    env = { ...home.env, PATH: process.env.PATH ?? '' };
    const escdHome = home.env.ESCD_HOME!;
    await mkdir(join(escdHome, 'environments', 'proj'), { recursive: true });
    await writeFile(
      join(escdHome, 'config.yaml'),
      `org: local\nuser: tester\naws:\n  region: eu-west-1\n  stsEndpoint: ${moto.endpoint}\n  secretsManagerEndpoint: ${moto.endpoint}\n  ssmEndpoint: ${moto.endpoint}\n`,
    );
    await writeFile(join(escdHome, 'environments', 'proj', 'app.yaml'), ENVIRONMENT);
    const started = await runCli(['start'], { env });
    expect(started.code, started.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    if (env) await runCli(['stop'], { env });
    await moto?.stop();
    await home?.cleanup();
  });

  it('escd open returns the secrets and parameters', async () => {
    const revealed = await runCli(['open', 'proj/app', 'aws', '--show-secrets'], { env });
    expect(revealed.code, revealed.stderr).toBe(0);
    const plain = JSON.parse(revealed.stdout) as { secrets: unknown; params: unknown };
    expect(plain.secrets).toEqual({ 'api-key': 'key-0c4f9e', 'db-password': 'pw-71b2aa' });
    expect(plain.params).toEqual({ bucket: 'app-bucket-eu', token: 'tok-e5d3' });
  });

  it('the daemon reads them once per session: a second open makes no call to STS, Secrets Manager or SSM', async () => {
    const socket = socketPath(env);
    const first = await request(socket, 'env.open', { env: 'proj/app', showSecrets: true });
    expect(first).toMatchObject({ ok: true });
    const values = (first as { result: { values: { environmentVariables: unknown } } }).result.values;
    expect(values.environmentVariables).toEqual({ API_KEY: 'key-0c4f9e', BUCKET: 'app-bucket-eu' });
    const after = await reads();
    const second = await request(socket, 'env.open', { env: 'proj/app', showSecrets: true });
    expect(second).toEqual(first);
    expect(await reads()).toEqual(after);
    expect(after).toMatchObject({ GetSecretValue: expect.any(Number), GetParameter: expect.any(Number), AssumeRoleWithWebIdentity: expect.any(Number) });
  });
});
