// The container-credentials endpoint with the real clients: the AWS CLI, boto3 and the AWS SDK for
// JavaScript (fromContainerMetadata, fromHttp, the default chain) get an environment's session from a
// real daemon (dist/) through AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN,
// with moto as STS; anything without a live grant, or with a foreign Host, is refused.
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, ROOT, runCli, runProcess } from '../support/cli.js';
import { awsLoginEnvironment } from '../support/environments.js';
import { awsCliMissing, e2eSkipReason, motoMissing, startMoto, type Moto } from '../support/moto.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

function boto3Missing(): string | undefined {
  const probe = spawnSync('python3', ['-c', 'import boto3'], { encoding: 'utf8', timeout: 20_000 });
  return probe.status === 0 ? undefined : `boto3 for python3 is not installed: ${(probe.error?.message ?? probe.stderr).trim().split('\n').pop()}`;
}

const skip = e2eSkipReason(motoMissing(), awsCliMissing(), boto3Missing());

interface Proc {
  code: number | null;
  stdout: string;
  stderr: string;
}

const run = (command: string, args: string[], env: Record<string, string>, cwd?: string): Promise<Proc> =>
  runProcess(command, args, { env, ...((cwd ?? env.HOME) ? { cwd: cwd ?? env.HOME } : {}), timeoutMs: 60_000 });

/** One GET with full control of the headers (the clients always send the right Host) and of the path. */
function get(url: string, headers: Record<string, string>, rawPath?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, setHost: !('Host' in headers), ...(rawPath !== undefined ? { path: rawPath } : {}) }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

interface Grant {
  id: string;
  environment: string;
  expiresAt: string;
  variables: { AWS_CONTAINER_CREDENTIALS_FULL_URI: string; AWS_CONTAINER_AUTHORIZATION_TOKEN: string };
}

const ROLE = 'arn:aws:iam::123456789012:role/deployer';
const DEV_ARN = 'arn:aws:sts::123456789012:assumed-role/deployer/escd-dev';

describe.skipIf(skip)('the container-credentials endpoint with real AWS clients', () => {
  let moto: Moto;
  let home: TmpHome;
  /** The daemon's environment, and the base of every client's: no AWS keys, no profile. */
  let env: Record<string, string>;
  let grant: Grant;

  const endpoint = async (args: string[]): Promise<Grant> => {
    const r = await runCli(['endpoint', ...args, '--format', 'json'], { env });
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Grant;
  };
  const clientEnv = (g: Grant, extra: Record<string, string> = {}): Record<string, string> => ({ ...env, ...g.variables, ...extra });

  beforeAll(async () => {
    assertBuilt();
    moto = await startMoto();
    home = await makeTmpHome('escd-ep-');
    env = { ...home.env, PATH: process.env.PATH ?? '', AWS_DEFAULT_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true' };
    const escdHome = home.env.ESCD_HOME!;
    await mkdir(join(escdHome, 'environments', 'proj'), { recursive: true });
    await writeFile(join(escdHome, 'config.yaml'), `org: local\nuser: tester\naws:\n  region: us-east-1\n  stsEndpoint: ${moto.endpoint}\n`);
    await writeFile(join(escdHome, 'environments', 'proj', 'dev.yaml'), awsLoginEnvironment({ roleArn: ROLE, sessionName: 'escd-dev' }));
    await writeFile(join(escdHome, 'environments', 'proj', 'other.yaml'), awsLoginEnvironment({ roleArn: ROLE, sessionName: 'escd-other' }));
    await writeFile(join(escdHome, 'environments', 'proj', 'plain.yaml'), 'values:\n  environmentVariables:\n    REGION: us-east-1\n');
    // No `escd start`: the first `escd endpoint` starts the daemon, as the shim would.
    grant = await endpoint(['proj/dev']);
  });

  afterAll(async () => {
    if (env) await runCli(['stop'], { env });
    await moto?.stop();
    await home?.cleanup();
  });

  it('prints a loopback URL for the environment and a 32-byte random token; shell and dotenv formats', async () => {
    expect(grant.environment).toBe('proj/dev');
    expect(grant.variables.AWS_CONTAINER_CREDENTIALS_FULL_URI).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/aws\/proj\/dev$/);
    expect(Buffer.from(grant.variables.AWS_CONTAINER_AUTHORIZATION_TOKEN.replace(/^escd_/, ''), 'base64url').length).toBeGreaterThanOrEqual(32);
    const shell = await runCli(['endpoint', 'proj/dev', '--ttl', '10m'], { env });
    expect(shell.code, shell.stderr).toBe(0);
    // As `escd open --format shell` writes variables (sorted, quoted for eval).
    expect(shell.stdout).toMatch(/^export AWS_CONTAINER_AUTHORIZATION_TOKEN="escd_[\w-]{43}"\nexport AWS_CONTAINER_CREDENTIALS_FULL_URI="http:\/\/127\.0\.0\.1:\d+\/v1\/aws\/proj\/dev"\n$/);
    expect(shell.stderr).toMatch(/^escd: grant [0-9a-f]{8} for proj\/dev until /);
    const dotenv = await runCli(['endpoint', 'proj/dev', '--format', 'dotenv'], { env });
    expect(dotenv.stdout).toMatch(/^AWS_CONTAINER_AUTHORIZATION_TOKEN="escd_[\w-]{43}"\nAWS_CONTAINER_CREDENTIALS_FULL_URI="http:\/\/127\.0\.0\.1:\d+\/v1\/aws\/proj\/dev"\n$/);
  });

  it('the AWS CLI gets the assumed role through the endpoint', async () => {
    const r = await run('aws', ['sts', 'get-caller-identity', '--endpoint-url', moto.endpoint, '--output', 'json'], clientEnv(grant));
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).Arn).toBe(DEV_ARN);
  });

  it('boto3 gets the assumed role, with the token in the environment or in AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE', async () => {
    const script = `
import boto3, json, sys
s = boto3.Session()
c = s.get_credentials()
print(json.dumps({'method': c.method, 'arn': s.client('sts', endpoint_url=sys.argv[1]).get_caller_identity()['Arn']}))`;
    const direct = await run('python3', ['-c', script, moto.endpoint], clientEnv(grant));
    expect(direct.stderr).toBe('');
    expect(JSON.parse(direct.stdout)).toEqual({ method: 'container-role', arn: DEV_ARN });

    const tokenFile = join(home.dir, 'endpoint-token');
    await writeFile(join(tokenFile), grant.variables.AWS_CONTAINER_AUTHORIZATION_TOKEN, { mode: 0o600 });
    const { AWS_CONTAINER_AUTHORIZATION_TOKEN: _token, ...withoutToken } = clientEnv(grant);
    const fromFile = await run('python3', ['-c', script, moto.endpoint], { ...withoutToken, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile });
    expect(fromFile.stderr).toBe('');
    expect(JSON.parse(fromFile.stdout)).toEqual({ method: 'container-role', arn: DEV_ARN });
  });

  it('@aws-sdk: fromContainerMetadata, fromHttp and the default chain get the same session; STS says who it is', async () => {
    const script = `
      import { fromContainerMetadata, fromHttp, fromNodeProviderChain } from '@aws-sdk/credential-providers';
      import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
      const pick = (c) => ({ accessKeyId: c.accessKeyId, sessionToken: c.sessionToken, expiration: c.expiration.toISOString() });
      const container = pick(await fromContainerMetadata()());
      const http = pick(await fromHttp({})());
      const chain = pick(await fromNodeProviderChain()());
      const sts = new STSClient({ region: 'us-east-1', endpoint: process.argv[1] });
      const { Arn } = await sts.send(new GetCallerIdentityCommand({}));
      process.stdout.write(JSON.stringify({ container, http, chain, Arn }));`;
    const r = await run(process.execPath, ['--no-warnings', '--input-type=module', '-e', script, moto.endpoint], clientEnv(grant), ROOT);
    expect(r.stderr).toBe('');
    const got = JSON.parse(r.stdout) as { container: unknown; http: unknown; chain: unknown; Arn: string };
    expect(got.http).toEqual(got.container);
    expect(got.chain).toEqual(got.container);
    expect(got.Arn).toBe(DEV_ARN);
    expect(await moto.count('AssumeRoleWithWebIdentity')).toBe(1); // one session, from the daemon's cache
  });

  it('a wrong, missing or revoked token, or one for another environment, gets 403', async () => {
    const url = grant.variables.AWS_CONTAINER_CREDENTIALS_FULL_URI;
    const ok = await get(url, { Authorization: grant.variables.AWS_CONTAINER_AUTHORIZATION_TOKEN });
    expect(ok.status).toBe(200);
    expect(Object.keys(JSON.parse(ok.body) as object)).toEqual(['AccessKeyId', 'SecretAccessKey', 'Token', 'Expiration']);

    const wrong = grant.variables.AWS_CONTAINER_AUTHORIZATION_TOKEN.slice(0, -1) + (grant.variables.AWS_CONTAINER_AUTHORIZATION_TOKEN.endsWith('A') ? 'B' : 'A');
    for (const headers of [{ Authorization: wrong }, {} as Record<string, string>, { Authorization: '' }, { Authorization: `Bearer ${grant.variables.AWS_CONTAINER_AUTHORIZATION_TOKEN}` }]) {
      const r = await get(url, headers);
      expect(r.status).toBe(403);
      expect(r.body).not.toContain('AccessKeyId');
    }

    const other = await endpoint(['proj/other']);
    const crossed = await get(url, { Authorization: other.variables.AWS_CONTAINER_AUTHORIZATION_TOKEN });
    expect(crossed.status).toBe(403);
    expect((await get(other.variables.AWS_CONTAINER_CREDENTIALS_FULL_URI, { Authorization: other.variables.AWS_CONTAINER_AUTHORIZATION_TOKEN })).status).toBe(200);

    const revoked = await runCli(['endpoint', '--revoke', other.id], { env });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toBe('revoked 1 grant\n');
    expect((await get(other.variables.AWS_CONTAINER_CREDENTIALS_FULL_URI, { Authorization: other.variables.AWS_CONTAINER_AUTHORIZATION_TOKEN })).status).toBe(403);
    const cli = await run('aws', ['sts', 'get-caller-identity', '--endpoint-url', moto.endpoint], clientEnv(other));
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toMatch(/403/);
    // The revoked grant is gone; the first one still works.
    expect((await get(url, { Authorization: grant.variables.AWS_CONTAINER_AUTHORIZATION_TOKEN })).status).toBe(200);
  });

  it('a request with a foreign Host header is refused (DNS rebinding), even with a valid token', async () => {
    const url = new URL(grant.variables.AWS_CONTAINER_CREDENTIALS_FULL_URI);
    for (const host of [`attacker.example:${url.port}`, `localhost:${url.port}`, 'attacker.example', `127.0.0.1:${Number(url.port) + 1}`]) {
      const r = await get(url.href, { Host: host, Authorization: grant.variables.AWS_CONTAINER_AUTHORIZATION_TOKEN });
      expect(r.status, host).toBe(403);
      expect(r.body).toContain('InvalidHost');
    }
  });

  it('bad requests with a valid token get no credentials: other paths, other methods, oversized headers', async () => {
    const url = new URL(grant.variables.AWS_CONTAINER_CREDENTIALS_FULL_URI);
    const token = grant.variables.AWS_CONTAINER_AUTHORIZATION_TOKEN;
    for (const path of ['/v1/aws/proj/other', '/v1/aws/proj/../proj/dev', '/v1/aws/proj%2Fdev', '/v1/aws/proj/dev/', '/']) {
      const r = await get(url.origin, { Authorization: token }, path); // sent as written, not normalized
      expect(r.status, path).toBe(403);
    }
    const post = await new Promise<number>((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { Authorization: token } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('{}');
    });
    expect(post).toBe(405);
    const huge = await get(url.href, { Authorization: token, 'X-Padding': 'x'.repeat(16 * 1024) }).catch((err: NodeJS.ErrnoException) => ({ status: err.code, body: '' }));
    expect([431, 'ECONNRESET', 'EPIPE']).toContain(huge.status);
    expect((await get(url.href, { Authorization: token })).status).toBe(200); // still serving
  });

  it('an environment without AWS credentials, or that does not exist, gets no grant', async () => {
    const plain = await runCli(['endpoint', 'proj/plain'], { env });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/has no AWS credentials/);
    const missing = await runCli(['endpoint', 'proj/missing'], { env });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
  });

  it('escd run --endpoint: the child gets the endpoint, not the keys, and its grant ends with it', async () => {
    const script = `
import boto3, json, os, sys
keys = sorted(k for k in os.environ if k.startswith('AWS_') and not k.startswith('AWS_SDK_JS_') and k not in ('AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_DEFAULT_REGION', 'AWS_EC2_METADATA_DISABLED'))
arn = boto3.client('sts', endpoint_url=sys.argv[1]).get_caller_identity()['Arn']
print(json.dumps({'keys': keys, 'arn': arn, 'uri': os.environ['AWS_CONTAINER_CREDENTIALS_FULL_URI'], 'token': os.environ['AWS_CONTAINER_AUTHORIZATION_TOKEN']}))`;
    const grantIds = async (): Promise<string[]> =>
      (JSON.parse((await runCli(['status', '--json'], { env })).stdout) as { endpoint: { grants: { id: string }[] } }).endpoint.grants.map((g) => g.id);
    const before = await grantIds();
    // Keys in escd's own environment are not inherited either: the SDK would prefer them.
    const r = await runCli(['run', '--endpoint', 'proj/dev', '--', 'python3', '-c', script, moto.endpoint], {
      env: { ...env, AWS_ACCESS_KEY_ID: 'AKIAPARENTKEY', AWS_SECRET_ACCESS_KEY: 'parent-secret' },
    });
    expect(r.code, r.stderr).toBe(0);
    const child = JSON.parse(r.stdout) as { keys: string[]; arn: string; uri: string; token: string };
    expect(child.keys).toEqual(['AWS_CONTAINER_AUTHORIZATION_TOKEN', 'AWS_CONTAINER_CREDENTIALS_FULL_URI']);
    expect(child.arn).toBe(DEV_ARN);
    expect(child.token).toBe('[secret]'); // the grant token is filtered from the output like any secret
    // The run's grant was revoked when python exited: the same grants are live as before.
    expect(await grantIds()).toEqual(before);
  });

  it('escd status lists the live grants (never their tokens); --revoke --all ends them', async () => {
    const json = await runCli(['status', '--json'], { env });
    const status = JSON.parse(json.stdout) as { endpoint: { url: string; grants: { id: string; environment: string; requests: number }[] } };
    expect(status.endpoint.url).toBe(new URL(grant.variables.AWS_CONTAINER_CREDENTIALS_FULL_URI).origin);
    expect(status.endpoint.grants.find((g) => g.id === grant.id)).toMatchObject({ environment: 'proj/dev' });
    expect(status.endpoint.grants.find((g) => g.id === grant.id)!.requests).toBeGreaterThanOrEqual(5);
    expect(json.stdout).not.toContain('escd_');
    const text = await runCli(['status'], { env });
    expect(text.stdout).toMatch(new RegExp(`Endpoint http://127\\.0\\.0\\.1:\\d+:\\n.*GRANT +ENVIRONMENT +EXPIRES +REQUESTS\\n(.*\\n)*${grant.id} +proj/dev +in 1[12]h`));

    const all = await runCli(['endpoint', '--revoke', '--all', '--format', 'json'], { env });
    expect(JSON.parse(all.stdout).revoked).toBeGreaterThanOrEqual(3);
    expect((await get(grant.variables.AWS_CONTAINER_CREDENTIALS_FULL_URI, { Authorization: grant.variables.AWS_CONTAINER_AUTHORIZATION_TOKEN })).status).toBe(403);
  });
});
