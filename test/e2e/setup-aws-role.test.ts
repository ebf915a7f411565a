// `escd setup aws --role-name`: against moto's IAM with the caller's (test) AWS credentials, it makes
// the IAM OIDC provider for escd's issuer, the role with escd's trust policy and the policy
// attachment, and writes the environment; run again it reuses them. The role it made is then
// assumed by `escd open` through the tests' verifying STS, built from what moto holds (the
// provider's client ids and the role's trust conditions), so a wrong trust policy would fail.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsCli } from '../support/aws-cli.js';
import { assertBuilt, runCli } from '../support/cli.js';
import { awsCliMissing, e2eSkipReason, motoMissing, startMoto, type Moto } from '../support/moto.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';
import { VerifyingSts } from '../support/verifying-sts.js';

const ISSUER = 'https://oidc.escd.test/acme';
const skip = e2eSkipReason(motoMissing(), awsCliMissing());

describe.skipIf(skip)('escd setup aws --role-name', () => {
  let moto: Moto;
  let home: TmpHome;
  let env: Record<string, string>;
  let callerEnv: Record<string, string>;
  let configFile: string;
  let sts: VerifyingSts | undefined;
  const config = (extra = '') => `org: acme\nuser: alice\nissuer:\n  url: ${ISSUER}\naws:\n  region: us-east-1\n${extra}`;

  beforeAll(async () => {
    assertBuilt();
    moto = await startMoto({ iamManagedPolicies: true });
    home = await makeTmpHome('escd-setup-iam-');
    env = { ...home.env, PATH: process.env.PATH ?? '' };
    // The caller's own AWS credentials, as a user would have them, pointed at moto.
    callerEnv = { ...env, AWS_ACCESS_KEY_ID: 'AKIAMOTOADMIN0000000', AWS_SECRET_ACCESS_KEY: 'moto-admin-secret', AWS_ENDPOINT_URL: moto.endpoint, AWS_EC2_METADATA_DISABLED: 'true' };
    await mkdir(home.env.ESCD_HOME!, { recursive: true });
    configFile = join(home.env.ESCD_HOME!, 'config.yaml');
    await writeFile(configFile, config());
  }, 120_000);
  afterAll(async () => {
    if (env) await runCli(['stop'], { env });
    await sts?.stop();
    await moto?.stop();
    await home?.cleanup();
  });

  it('creates the OIDC provider, the role and the attachment, and writes the environment', async () => {
    const setup = await runCli(['setup', 'aws', '--role-name', 'EscdRole', '--policy', 'ReadOnlyAccess', '--environment', 'proj/aws'], { env: callerEnv });
    expect(setup.code, setup.stderr).toBe(0);
    expect(setup.stdout).toContain('OIDC provider: arn:aws:iam::123456789012:oidc-provider/oidc.escd.test/acme (created)');
    expect(setup.stdout).toContain('IAM role: arn:aws:iam::123456789012:role/EscdRole (created)');
    expect(setup.stdout).toContain('policy attached: arn:aws:iam::aws:policy/ReadOnlyAccess');
    expect(setup.stdout).toMatch(/environment created: proj\/aws \(revision \d+\)/);

    const provider = JSON.parse((await awsCli(moto.endpoint, ['iam', 'get-open-id-connect-provider', '--open-id-connect-provider-arn', 'arn:aws:iam::123456789012:oidc-provider/oidc.escd.test/acme'])).stdout) as { ClientIDList: string[]; Url: string };
    expect(provider.ClientIDList).toEqual(['aws:acme']);
    const role = JSON.parse((await awsCli(moto.endpoint, ['iam', 'get-role', '--role-name', 'EscdRole'])).stdout) as { Role: { AssumeRolePolicyDocument: unknown } };
    const trust = (typeof role.Role.AssumeRolePolicyDocument === 'string' ? JSON.parse(decodeURIComponent(role.Role.AssumeRolePolicyDocument)) : role.Role.AssumeRolePolicyDocument) as {
      Statement: { Principal: { Federated: string }; Action: string; Condition: { StringEquals: Record<string, string> } }[];
    };
    expect(trust.Statement[0]).toMatchObject({
      Principal: { Federated: 'arn:aws:iam::123456789012:oidc-provider/oidc.escd.test/acme' },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: { StringEquals: { 'oidc.escd.test/acme:aud': 'aws:acme' } },
    });
    const attached = JSON.parse((await awsCli(moto.endpoint, ['iam', 'list-attached-role-policies', '--role-name', 'EscdRole'])).stdout) as { AttachedPolicies: { PolicyArn: string }[] };
    expect(attached.AttachedPolicies.map((p) => p.PolicyArn)).toEqual(['arn:aws:iam::aws:policy/ReadOnlyAccess']);
    const written = await readFile(join(home.env.ESCD_HOME!, 'environments', 'proj', 'aws.yaml'), 'utf8');
    expect(written).toContain('roleArn: arn:aws:iam::123456789012:role/EscdRole');
  });

  it('run again, it reuses the provider (audience already there) and the role', async () => {
    const again = await runCli(['setup', 'aws', '--role-name', 'EscdRole', '--policy', 'ReadOnlyAccess'], { env: callerEnv });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('(existing)');
    expect(again.stdout).toContain("audience 'aws:acme' already configured");
    expect(again.stdout).toContain('IAM role: arn:aws:iam::123456789012:role/EscdRole (existing)');
    expect(again.stdout).toContain('roleArn: arn:aws:iam::123456789012:role/EscdRole');
  });

  it('escd open assumes the role it made through a verifying STS that applies what moto holds', async () => {
    const provider = JSON.parse((await awsCli(moto.endpoint, ['iam', 'get-open-id-connect-provider', '--open-id-connect-provider-arn', 'arn:aws:iam::123456789012:oidc-provider/oidc.escd.test/acme'])).stdout) as { ClientIDList: string[] };
    const role = JSON.parse((await awsCli(moto.endpoint, ['iam', 'get-role', '--role-name', 'EscdRole'])).stdout) as { Role: { Arn: string; AssumeRolePolicyDocument: unknown } };
    const doc = role.Role.AssumeRolePolicyDocument;
    const trust = (typeof doc === 'string' ? JSON.parse(decodeURIComponent(doc)) : doc) as { Statement: { Condition: { StringEquals: Record<string, string> } }[] };
    const conditions = trust.Statement[0]!.Condition.StringEquals;
    const published = join(home.dir, 'published');
    expect((await runCli(['oidc', 'publish', '--out', published], { env })).code).toBe(0);
    sts = new VerifyingSts({
      publishedDir: published,
      clientIds: provider.ClientIDList,
      roles: [{ roleArn: role.Role.Arn, aud: conditions['oidc.escd.test/acme:aud']!, ...(conditions['oidc.escd.test/acme:sub'] ? { sub: conditions['oidc.escd.test/acme:sub'] } : {}) }],
    });
    const endpoint = await sts.start();
    await writeFile(configFile, config(`  stsEndpoint: ${endpoint}\n`));
    const open = await runCli(['open', 'proj/aws', 'aws.login'], { env });
    expect(open.stderr).toBe('');
    expect(open.code).toBe(0);
    expect(JSON.parse(open.stdout)).toMatchObject({ accessKeyId: expect.stringMatching(/^ASIA/), sessionToken: expect.any(String) });
    expect(sts.calls.filter((c) => c.action === 'AssumeRoleWithWebIdentity').map((c) => c.outcome)).toEqual(['ok']);
  });

  it('without --role-name the positional form is still required; --policy alone is refused', async () => {
    expect((await runCli(['setup', 'aws'], { env })).stderr).toMatch(/missing the environment: escd setup aws <env>/);
    expect((await runCli(['setup', 'aws', '--policy', 'X'], { env })).code).toBe(2);
  });
});
