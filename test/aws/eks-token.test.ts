// EKS tokens against the real AWS CLI (`aws eks get-token`, which only presigns): with the clock
// pinned on both sides the tokens must be byte-for-byte equal, which checks the SigV4 signature
// independently of @smithy/signature-v4. Then the presigned request is sent to moto.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../src/clock/clock.js';
import { eksToken, EKS_TOKEN_PREFIX } from '../../src/aws/eks-token.js';
import { awsCliMissing, e2eSkipReason, motoMissing, startMoto, type Moto } from '../support/moto.js';

const CREDS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'IQoJb3JpZ2luX2Vj/session+token=' };

// Runs the AWS CLI's own `eks get-token` code with botocore's clock pinned to `at`.
const PINNED_CLI = `
import datetime, sys
fixed = datetime.datetime.fromtimestamp(int(sys.argv.pop(1)), datetime.timezone.utc).replace(tzinfo=None)
def now(remove_tzinfo=True):
    return fixed if remove_tzinfo else fixed.replace(tzinfo=datetime.timezone.utc)
import botocore.auth
botocore.auth.get_current_datetime = now
import awscli.customizations.eks.get_token as get_token
get_token.get_current_datetime = now
from awscli.clidriver import main
sys.exit(main())
`;

let home: string;

function cliEnv(creds: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'none'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    ...(creds.sessionToken ? { AWS_SESSION_TOKEN: creds.sessionToken } : {}),
  };
}

function run(command: string, args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} exited ${code}: ${err.trim()}`))));
  });
}

interface ExecCredential {
  status: { token: string; expirationTimestamp: string };
}

function presignedUrl(token: string): URL {
  expect(token.startsWith(EKS_TOKEN_PREFIX)).toBe(true);
  const body = token.slice(EKS_TOKEN_PREFIX.length);
  expect(body).toMatch(/^[A-Za-z0-9_-]+$/); // base64url, no padding
  return new URL(Buffer.from(body, 'base64url').toString('utf8'));
}

const skip = e2eSkipReason(awsCliMissing());

describe.skipIf(skip)('eksToken matches `aws eks get-token`', () => {
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'escd-eks-'));
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it.each([
    ['us-east-1', 'c', CREDS],
    ['eu-west-1', 'prod-cluster_2', { accessKeyId: CREDS.accessKeyId, secretAccessKey: CREDS.secretAccessKey }],
    ['cn-north-1', 'my.cluster', CREDS],
  ])('byte for byte with the clock pinned (%s, cluster %s)', async (region, cluster, creds) => {
    const at = Date.UTC(2026, 0, 2, 3, 4, 5);
    const cli = JSON.parse(await run('python3', ['-c', PINNED_CLI, String(at / 1000), 'eks', 'get-token', '--cluster-name', cluster, '--region', region], cliEnv(creds))) as ExecCredential;
    const ours = await eksToken({ credentials: creds, cluster, region, clock: new ManualClock(at) });
    expect(ours.token).toBe(cli.status.token);
    expect(ours.expirationTimestamp).toBe(cli.status.expirationTimestamp);
    expect(ours.expirationTimestamp).toBe('2026-01-02T03:18:05Z');
  });

  it('has the structure of a token made now by the unmodified CLI', async () => {
    const cli = JSON.parse(await run('aws', ['eks', 'get-token', '--cluster-name', 'c', '--region', 'us-east-1'], cliEnv(CREDS))) as ExecCredential;
    const ours = await eksToken({ credentials: CREDS, cluster: 'c', region: 'us-east-1', clock: systemClock });
    const [theirs, mine] = [presignedUrl(cli.status.token), presignedUrl(ours.token)];
    expect(mine.origin + mine.pathname).toBe('https://sts.us-east-1.amazonaws.com/');
    expect(mine.origin + mine.pathname).toBe(theirs.origin + theirs.pathname);
    expect([...mine.searchParams.keys()]).toEqual([...theirs.searchParams.keys()]);
    for (const name of ['Action', 'Version', 'X-Amz-Algorithm', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Security-Token']) {
      expect(mine.searchParams.get(name), name).toBe(theirs.searchParams.get(name));
    }
    expect(mine.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(mine.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(mine.searchParams.get('X-Amz-Credential')).toMatch(/^AKIDEXAMPLE\/\d{8}\/us-east-1\/sts\/aws4_request$/);
    const skew = Math.abs(Date.parse(ours.expirationTimestamp) - Date.parse(cli.status.expirationTimestamp));
    expect(skew).toBeLessThan(30_000);
    expect(ours.expirationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });
});

// Measured, because tests elsewhere may want moto to validate EKS tokens: moto (5.x, server mode)
// picks the service from the Authorization header or a form body, so a presigned GET has neither
// and lands in S3 (ListBuckets, HTTP 200) whatever its signature. A validator that only checks for
// HTTP 200 from moto would accept any token. It checks no signatures either.
describe.skipIf(e2eSkipReason(motoMissing()))('moto cannot validate EKS tokens', () => {
  let moto: Moto;
  beforeAll(async () => {
    moto = await startMoto();
  }, 30_000);
  afterAll(async () => {
    await moto?.stop();
  });

  it('answers the presigned GetCallerIdentity GET as S3 ListBuckets, even with a zeroed signature', async () => {
    const { token } = await eksToken({ credentials: CREDS, cluster: 'demo', region: 'us-east-1', clock: systemClock, stsEndpoint: moto.endpoint });
    const url = presignedUrl(token);
    expect(url.host).toBe(`127.0.0.1:${moto.port}`);
    url.searchParams.set('X-Amz-Signature', '0'.repeat(64));
    const res = await fetch(url, { headers: { 'x-k8s-aws-id': 'demo' } });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toContain('ListAllMyBucketsResult');
    expect(text).not.toContain('GetCallerIdentityResult');
  });
});
