// `escd oidc …` through the built CLI; tokens checked by independent verifiers: jose on the
// published files, and the verifying STS through the AWS SDK.
import { execFile, spawnSync } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli } from '../support/cli.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';
import { VerifyingSts } from '../support/verifying-sts.js';

const hasAwsCli = spawnSync('sh', ['-c', 'command -v aws']).status === 0;
if (!hasAwsCli) {
  if (process.env.ESCD_REQUIRE_E2E === '1') throw new Error('test/oidc/cli.test.ts needs the AWS CLI (aws)');
  console.warn('skipping the AWS CLI check of the verifying STS: aws is not installed');
}

const ISSUER = 'https://issuer.example.test/escd';
const ROLE = 'arn:aws:iam::123456789012:role/deploy';
const SUB = 'pulumi:environments:pulumi.organization.login:acme:currentEnvironment.name:proj/dev';

/** An environment whose aws-login adds currentEnvironment.name to the subject (as the trust policy below wants). */
const PROJ_DEV = `values:
  aws:
    login:
      fn::open::aws-login:
        oidc:
          roleArn: ${ROLE}
          sessionName: esc-alice
          subjectAttributes: [currentEnvironment.name]
`;

async function setup(algorithm: 'RS256' | 'ES256'): Promise<{ home: TmpHome; env: Record<string, string>; site: string }> {
  const home = await makeTmpHome();
  await mkdir(home.env.ESCD_HOME!, { recursive: true });
  await writeFile(join(home.env.ESCD_HOME!, 'config.yaml'), `org: acme\nuser: alice\nissuer:\n  url: ${ISSUER}\n  algorithm: ${algorithm}\n`);
  const environments = join(home.env.ESCD_HOME!, 'environments', 'proj');
  await mkdir(environments, { recursive: true });
  await writeFile(join(environments, 'dev.yaml'), PROJ_DEV);
  await writeFile(join(environments, 'app.yaml'), 'imports:\n  - proj/dev\nvalues:\n  name: app\n');
  await writeFile(join(environments, 'plain.yaml'), 'values:\n  name: plain\n');
  return { home, env: home.env, site: join(home.dir, 'site') };
}

async function cli(args: string[], env: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
  const r = await runCli(args, { env });
  if (r.code !== 0) throw new Error(`escd ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

const token = async (env: Record<string, string>, ...extra: string[]): Promise<string> =>
  (await cli(['oidc', 'token', 'proj/dev', '--subject-attribute', 'currentEnvironment.name', ...extra], env)).stdout.trim();

const assume = (sts: STSClient, webIdentityToken: string) =>
  sts.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: ROLE, RoleSessionName: 'esc-alice', WebIdentityToken: webIdentityToken, DurationSeconds: 900 }));

describe('escd oidc (built CLI)', () => {
  let home: TmpHome;
  let env: Record<string, string>;
  let site: string;
  let server: VerifyingSts;
  let sts: STSClient;
  let skew = 0;

  beforeAll(async () => {
    assertBuilt();
    ({ home, env, site } = await setup('RS256'));
    await cli(['oidc', 'publish', '--out', site], env);
    server = new VerifyingSts({
      publishedDir: site,
      clientIds: ['aws:acme'],
      roles: [{ roleArn: ROLE, aud: 'aws:acme', sub: SUB }],
      now: () => Date.now() + skew,
    });
    sts = new STSClient({ endpoint: await server.start(), region: 'us-east-1', credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' }, maxAttempts: 1 });
  });
  afterAll(async () => {
    sts?.destroy();
    await server?.stop();
    await home?.cleanup();
  });

  it('publish writes the discovery document and a public-only JWKS at the URL it names', async () => {
    const discovery = JSON.parse(await readFile(join(site, '.well-known', 'openid-configuration'), 'utf8')) as Record<string, unknown>;
    expect(discovery).toEqual({
      issuer: ISSUER,
      jwks_uri: `${ISSUER}/jwks.json`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid'],
      claims_supported: ['aud', 'current_env', 'exp', 'iat', 'iss', 'jti', 'nbf', 'root_env', 'sub', 'trigger_user'],
    });
    const jwks = JSON.parse(await readFile(join(site, 'jwks.json'), 'utf8')) as JSONWebKeySet;
    expect(jwks.keys).toHaveLength(1);
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(jwks.keys[0]).not.toHaveProperty(member);
    expect((await stat(join(site, 'jwks.json'))).mode & 0o777).toBe(0o644);
    expect((await stat(join(site, '.nojekyll'))).size).toBe(0);
  });

  it('a token from `escd oidc token` verifies against the published files with the exact claims', async () => {
    const r = await runCli(['oidc', 'token', 'proj/dev', '--subject-attribute', 'currentEnvironment.name'], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('this token is a credential');
    const jwks = JSON.parse(await readFile(join(site, 'jwks.json'), 'utf8')) as JSONWebKeySet;
    const before = Math.floor(Date.now() / 1000);
    const { payload, protectedHeader } = await jwtVerify(r.stdout.trim(), createLocalJWKSet(jwks), { issuer: ISSUER, audience: 'aws:acme' });
    expect(protectedHeader).toEqual({ alg: 'RS256', kid: jwks.keys[0]!.kid, typ: 'JWT' });
    expect(payload).toEqual({
      iss: ISSUER,
      aud: 'aws:acme',
      sub: SUB,
      current_env: 'proj/dev',
      root_env: 'proj/dev',
      trigger_user: 'alice',
      iat: expect.any(Number),
      nbf: payload.iat,
      exp: payload.iat! + 300,
      jti: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
    });
    expect(Math.abs(payload.iat! - before)).toBeLessThan(30);
  });

  it('without flags, the token is the one the environment\'s aws-login sends: its subjectAttributes, the importing root', async () => {
    const jwks = createLocalJWKSet(JSON.parse(await readFile(join(site, 'jwks.json'), 'utf8')) as JSONWebKeySet);
    const own = await runCli(['oidc', 'token', 'proj/dev'], { env });
    expect(own.code).toBe(0);
    expect((await jwtVerify(own.stdout.trim(), jwks)).payload).toMatchObject({ aud: 'aws:acme', sub: SUB, current_env: 'proj/dev', root_env: 'proj/dev' });
    // Opened through an importer, the call runs in proj/dev with proj/app as the root.
    const imported = await runCli(['oidc', 'token', 'proj/app'], { env });
    expect((await jwtVerify(imported.stdout.trim(), jwks)).payload).toMatchObject({ sub: SUB, current_env: 'proj/dev', root_env: 'proj/app' });
    // No aws-login: the default token, and a warning saying so.
    const plain = await runCli(['oidc', 'token', 'proj/plain'], { env });
    expect(plain.code).toBe(0);
    expect(plain.stderr).toContain('escd: proj/plain has no fn::open::aws-login with oidc');
    expect((await jwtVerify(plain.stdout.trim(), jwks)).payload).toMatchObject({ sub: 'pulumi:environments:pulumi.organization.login:acme', current_env: 'proj/plain' });
  });

  it('refuses to make a token for an environment that does not exist', async () => {
    const r = await runCli(['oidc', 'token', 'proj/nope'], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^escd: environment proj\/nope does not exist .*\n$/);
  });

  it('the verifying STS accepts it and returns credentials for the assumed role', async () => {
    const out = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: ROLE,
        RoleSessionName: 'esc-alice',
        WebIdentityToken: await token(env),
        DurationSeconds: 900,
        PolicyArns: [{ arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }, { arn: 'arn:aws:iam::123456789012:policy/extra' }],
      }),
    );
    expect(server.calls.at(-1)).toMatchObject({ policyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess', 'arn:aws:iam::123456789012:policy/extra'], durationSeconds: 900 });
    expect(out.AssumedRoleUser?.Arn).toBe('arn:aws:sts::123456789012:assumed-role/deploy/esc-alice');
    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    expect(out.Credentials!.Expiration!.getTime() - Date.now()).toBeGreaterThan(800_000);
    const who = new STSClient({
      endpoint: server.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: out.Credentials!.SecretAccessKey!, sessionToken: out.Credentials!.SessionToken! },
    });
    expect((await who.send(new GetCallerIdentityCommand({}))).Arn).toBe('arn:aws:sts::123456789012:assumed-role/deploy/esc-alice');
    who.destroy();
    // A request signed with the wrong secret is refused: the STS checks SigV4, not just the key id.
    const forger = new STSClient({
      endpoint: server.endpoint,
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: 'x'.repeat(40), sessionToken: out.Credentials!.SessionToken! },
    });
    await expect(forger.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
    forger.destroy();
    expect(server.calls.at(-3)).toMatchObject({ action: 'AssumeRoleWithWebIdentity', outcome: 'ok', claims: { sub: SUB, aud: 'aws:acme' } });
    expect(server.calls.slice(-2).map((c) => c.outcome)).toEqual(['ok', 'SignatureDoesNotMatch']);
  });

  it.skipIf(!hasAwsCli)('the AWS CLI accepts the STS answers and its SigV4 requests pass the check', async () => {
    const out = await assume(sts, await token(env));
    const { stdout } = await promisify(execFile)('aws', ['sts', 'get-caller-identity', '--endpoint-url', server.endpoint, '--region', 'us-east-1', '--output', 'json'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: home.dir,
        AWS_CONFIG_FILE: join(home.dir, 'none'),
        AWS_SHARED_CREDENTIALS_FILE: join(home.dir, 'none'),
        AWS_ACCESS_KEY_ID: out.Credentials!.AccessKeyId!,
        AWS_SECRET_ACCESS_KEY: out.Credentials!.SecretAccessKey!,
        AWS_SESSION_TOKEN: out.Credentials!.SessionToken!,
      },
    });
    expect(JSON.parse(stdout)).toMatchObject({ Account: '123456789012', Arn: 'arn:aws:sts::123456789012:assumed-role/deploy/esc-alice' });
  });

  it('refuses a wrong audience, a wrong subject, an expired token and a bad signature, with AWS error codes', async () => {
    await expect(assume(sts, await token(env, '--audience', 'aws:other'))).rejects.toMatchObject({ name: 'InvalidIdentityTokenException', message: 'Incorrect token audience' });
    // Right org, but the subject lacks the environment the trust policy requires.
    const plain = (await cli(['oidc', 'token', 'proj/plain'], env)).stdout.trim();
    await expect(assume(sts, plain)).rejects.toMatchObject({ name: 'AccessDenied' });
    const short = await token(env, '--lifetime', '60');
    skew = 120_000;
    try {
      await expect(assume(sts, short)).rejects.toMatchObject({ name: 'ExpiredTokenException' });
    } finally {
      skew = 0;
    }
    const good = await token(env);
    const [h, p, s] = good.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), sub: 'x' })).toString('base64url')}.${s}`;
    await expect(assume(sts, forged)).rejects.toMatchObject({ name: 'InvalidIdentityTokenException', message: 'The signature of the web identity token is invalid' });
    expect(server.calls.slice(-4).map((c) => c.outcome)).toEqual(['InvalidIdentityToken', 'AccessDenied', 'ExpiredTokenException', 'InvalidIdentityToken']);
  });

  it('after rotate and publish, tokens of the old key and of the new key both verify', async () => {
    const oldToken = await token(env);
    const rotated = JSON.parse((await cli(['oidc', 'rotate', '--json'], env)).stdout) as { kid: string };
    const newToken = await token(env);
    expect(decodeProtectedHeader(newToken).kid).toBe(rotated.kid);
    expect(decodeProtectedHeader(oldToken).kid).not.toBe(rotated.kid);
    // Not yet published: a relying party cannot know the new key.
    await expect(assume(sts, newToken)).rejects.toMatchObject({ name: 'InvalidIdentityTokenException' });
    await cli(['oidc', 'publish', '--out', site], env);
    await expect(assume(sts, oldToken)).resolves.toBeDefined();
    await expect(assume(sts, newToken)).resolves.toBeDefined();
    const keys = JSON.parse((await cli(['oidc', 'keys', '--json'], env)).stdout) as { keys: { kid: string; active: boolean }[]; keystore: { backend: string } };
    expect(keys.keystore.backend).toBe('file');
    expect(keys.keys.map((k) => k.active)).toEqual([false, true]);
  });

  it('rotate --prepare publishes the next key ahead, so the rotation itself needs no republish', async () => {
    const prepared = JSON.parse((await cli(['oidc', 'rotate', '--prepare', '--json'], env)).stdout) as { kid: string };
    const keys = JSON.parse((await cli(['oidc', 'keys', '--json'], env)).stdout) as { keys: { kid: string; active: boolean; next: boolean }[] };
    expect(keys.keys.find((k) => k.kid === prepared.kid)).toMatchObject({ active: false, next: true });
    expect(decodeProtectedHeader(await token(env)).kid).not.toBe(prepared.kid);
    await cli(['oidc', 'publish', '--out', site], env);
    const r = await runCli(['oidc', 'rotate'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`New active signing key ${prepared.kid} (RS256), prepared earlier.`);
    expect(r.stderr).toBe('');
    const t = await token(env);
    expect(decodeProtectedHeader(t).kid).toBe(prepared.kid);
    await expect(assume(sts, t)).resolves.toBeDefined();
  });

  it('trust-policy prints the policy of the seed documents for this issuer', async () => {
    const r = await cli(['oidc', 'trust-policy', '--role-account', '123456789012', '--env', 'proj/dev', '--sub'], env);
    expect(JSON.parse(r.stdout)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Federated: 'arn:aws:iam::123456789012:oidc-provider/issuer.example.test/escd' },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: { StringEquals: { 'issuer.example.test/escd:aud': 'aws:acme', 'issuer.example.test/escd:sub': SUB } },
        },
      ],
    });
    expect(r.stderr).toContain('- currentEnvironment.name');
    // --user asks for the subject condition by itself.
    const withUser = await cli(['oidc', 'trust-policy', '--role-account', '123456789012', '--env', 'proj/dev', '--user', 'alice'], env);
    expect(JSON.parse(withUser.stdout).Statement[0].Condition.StringEquals['issuer.example.test/escd:sub']).toBe(`${SUB}:pulumi.user.login:alice`);
    const bad = await runCli(['oidc', 'trust-policy', '--role-account', '12345', '--env', 'proj/dev'], { env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('escd: --role-account: the account must be 12 digits (got "12345")\n');
  });
});

describe('escd oidc with ES256', () => {
  it('publishes an EC key and its tokens pass the verifying STS', async () => {
    assertBuilt();
    const { home, env, site } = await setup('ES256');
    const server = new VerifyingSts({ publishedDir: site, roles: [{ roleArn: ROLE, aud: 'aws:acme', sub: SUB }] });
    const sts = new STSClient({ endpoint: await server.start(), region: 'us-east-1', credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' }, maxAttempts: 1 });
    try {
      await cli(['oidc', 'publish', '--out', site], env);
      const jwks = JSON.parse(await readFile(join(site, 'jwks.json'), 'utf8')) as JSONWebKeySet;
      expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
      expect(jwks.keys[0]).not.toHaveProperty('d');
      const t = await token(env);
      expect(decodeProtectedHeader(t).alg).toBe('ES256');
      await expect(assume(sts, t)).resolves.toMatchObject({ AssumedRoleUser: { Arn: 'arn:aws:sts::123456789012:assumed-role/deploy/esc-alice' } });
    } finally {
      sts.destroy();
      await server.stop();
      await home.cleanup();
    }
  });
});
