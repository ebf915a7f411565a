import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../src/clock/clock.js';
import { eksToken } from '../../src/aws/eks-token.js';
import { awsCliMissing, e2eSkipReason } from '../support/moto.js';
import { verifyEksToken, type EksTokenCheck } from './eks-token-verifier.js';

const CREDS = { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'c2VjcmV0/key+with=chars', sessionToken: 'session/token+=' };
const AT = Date.UTC(2026, 0, 2, 3, 4, 5);

const check = (overrides: Partial<EksTokenCheck> = {}): EksTokenCheck => ({
  cluster: 'demo',
  now: AT + 30_000,
  secretFor: (akid, token) => (akid === CREDS.accessKeyId && token === CREDS.sessionToken ? CREDS.secretAccessKey : undefined),
  ...overrides,
});

const make = (cluster = 'demo', region = 'us-east-1') => eksToken({ credentials: CREDS, cluster, region, clock: new ManualClock(AT) });

/** Re-encodes the token with one query parameter changed. */
function tamper(token: string, name: string, value: string): string {
  const url = new URL(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString());
  url.searchParams.set(name, value);
  return 'k8s-aws-v1.' + Buffer.from(url.href).toString('base64url');
}

describe('verifyEksToken', () => {
  it('accepts an escd token for its cluster and names the caller', async () => {
    const { token } = await make();
    expect(verifyEksToken(token, check())).toEqual({ accessKeyId: CREDS.accessKeyId, region: 'us-east-1', sessionToken: CREDS.sessionToken });
    const cn = await make('demo', 'cn-north-1');
    expect(verifyEksToken(cn.token, check()).region).toBe('cn-north-1');
  });

  it.each([
    ['another cluster', async () => verifyEksToken((await make('other')).token, check()), 'signature mismatch'],
    ['a wrong secret', async () => verifyEksToken((await make()).token, check({ secretFor: () => 'wrong' })), 'signature mismatch'],
    ['an unknown key', async () => verifyEksToken((await make()).token, check({ secretFor: () => undefined })), 'unknown access key or session token'],
    ['an old token', async () => verifyEksToken((await make()).token, check({ now: AT + 16 * 60_000 })), 'the token has expired (older than 15 minutes)'],
    ['a token from the future', async () => verifyEksToken((await make()).token, check({ now: AT - 10 * 60_000 })), 'the token is dated in the future'],
    ['a longer X-Amz-Expires', async () => verifyEksToken(tamper((await make()).token, 'X-Amz-Expires', '900'), check()), 'signature mismatch'],
    ['another action', async () => verifyEksToken(tamper((await make()).token, 'Action', 'AssumeRole'), check()), 'not a GetCallerIdentity request'],
    ['another host', async () => verifyEksToken((await eksToken({ credentials: CREDS, cluster: 'demo', region: 'us-east-1', clock: new ManualClock(AT), stsEndpoint: 'https://sts.evil.example' })).token, check()), 'unexpected host sts.evil.example'],
    ['padding', async () => verifyEksToken((await make()).token + '=', check()), 'the token is not base64url without padding'],
    ['no prefix', async () => verifyEksToken('Bearer abc', check()), 'not a k8s-aws-v1 token'],
  ])('rejects %s', async (_what, run, reason) => {
    await expect(run()).rejects.toThrow(reason);
  });

  it('accepts a test endpoint only when told', async () => {
    const { token } = await eksToken({ credentials: CREDS, cluster: 'demo', region: 'us-east-1', clock: new ManualClock(AT), stsEndpoint: 'http://127.0.0.1:8443' });
    expect(() => verifyEksToken(token, check())).toThrow('unexpected host 127.0.0.1:8443');
    expect(verifyEksToken(token, check({ extraHosts: ['127.0.0.1:8443'] })).accessKeyId).toBe(CREDS.accessKeyId);
  });
});

// The verifier is only a fair judge if it accepts what the AWS CLI (botocore) signs.
describe.skipIf(e2eSkipReason(awsCliMissing()))('verifyEksToken and the AWS CLI', () => {
  it('accepts the token `aws eks get-token` makes now, and not for another cluster', () => {
    const home = mkdtempSync(join(tmpdir(), 'escd-eksv-'));
    try {
      const out = spawnSync('aws', ['eks', 'get-token', '--cluster-name', 'demo', '--region', 'eu-west-1'], {
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH ?? '',
          HOME: home,
          AWS_CONFIG_FILE: join(home, 'none'),
          AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
          AWS_ACCESS_KEY_ID: CREDS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: CREDS.secretAccessKey,
          AWS_SESSION_TOKEN: CREDS.sessionToken,
        },
      });
      expect(out.status, out.stderr).toBe(0);
      const token = (JSON.parse(out.stdout) as { status: { token: string } }).status.token;
      const now = systemClock.now();
      expect(verifyEksToken(token, check({ now })).region).toBe('eu-west-1');
      expect(() => verifyEksToken(token, check({ now, cluster: 'other' }))).toThrow('signature mismatch');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
