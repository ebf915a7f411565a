// Checks an EKS bearer token the way the cluster side does before trusting it, for tests that need a
// real validator (moto cannot be one: it answers a presigned GET as S3). Written from the SigV4 spec
// with node:crypto, independent of @smithy/signature-v4, which escd uses to make the tokens.
//
//   const who = verifyEksToken(token, { cluster: 'demo', now: Date.now(), secretFor: (akid) => sessions.get(akid) });
//
// Checks: the `k8s-aws-v1.` prefix and base64url body; an https STS host (allow-list, default
// sts[.<region>].amazonaws.com[.cn]); GET ?Action=GetCallerIdentity&Version=2011-06-15; SigV4 query
// parameters; `host` and `x-k8s-aws-id` signed, the latter equal to the expected cluster; the token's
// age (X-Amz-Date) within 15 minutes, as aws-iam-authenticator allows; the signature, recomputed with
// the secret of the access key.
import { createHash, createHmac } from 'node:crypto';

export interface EksTokenCheck {
  readonly cluster: string;
  /** Milliseconds since the epoch. */
  readonly now: number;
  /** The secret access key of `accessKeyId` (and its session token, when one is sent), or undefined when unknown. */
  secretFor(accessKeyId: string, sessionToken: string | undefined): string | undefined;
  /** Hosts accepted besides the AWS STS hosts (e.g. `127.0.0.1:PORT` in tests, which also allows http). */
  readonly extraHosts?: readonly string[];
}

export interface EksCaller {
  readonly accessKeyId: string;
  readonly region: string;
  readonly sessionToken?: string;
}

export class EksTokenRejected extends Error {}

const PREFIX = 'k8s-aws-v1.';
const MAX_AGE_MS = 15 * 60_000;
const MAX_SKEW_MS = 5 * 60_000;
const STS_HOST = /^sts(\.[a-z0-9-]+)?\.amazonaws\.com(\.cn)?$/;

const rfc3986 = (text: string): string => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
const hmac = (key: Buffer | string, text: string): Buffer => createHmac('sha256', key).update(text, 'utf8').digest();

function reject(reason: string): never {
  throw new EksTokenRejected(reason);
}

export function verifyEksToken(token: string, check: EksTokenCheck): EksCaller {
  if (!token.startsWith(PREFIX)) reject('not a k8s-aws-v1 token');
  const body = token.slice(PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(body)) reject('the token is not base64url without padding');
  let url: URL;
  try {
    url = new URL(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return reject('the token does not hold a URL');
  }
  const extra = check.extraHosts?.includes(url.host) ?? false;
  if (!extra && !(url.protocol === 'https:' && STS_HOST.test(url.host))) reject(`unexpected host ${url.host}`);
  const q = url.searchParams;
  const one = (name: string): string => {
    const values = q.getAll(name);
    if (values.length !== 1) reject(`query parameter ${name} missing or repeated`);
    return values[0]!;
  };
  if (one('Action') !== 'GetCallerIdentity' || one('Version') !== '2011-06-15') reject('not a GetCallerIdentity request');
  if (one('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') reject('not SigV4');
  const credential = /^([^/]+)\/(\d{8})\/([a-z0-9-]+)\/sts\/aws4_request$/.exec(one('X-Amz-Credential'));
  if (!credential) reject('malformed X-Amz-Credential');
  const [, accessKeyId, day, region] = credential as unknown as [string, string, string, string];
  const amzDate = one('X-Amz-Date');
  const date = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(amzDate);
  if (!date || amzDate.slice(0, 8) !== day) reject('malformed X-Amz-Date');
  const signedAt = Date.UTC(+date[1]!, +date[2]! - 1, +date[3]!, +date[4]!, +date[5]!, +date[6]!);
  if (check.now - signedAt > MAX_AGE_MS) reject('the token has expired (older than 15 minutes)');
  if (signedAt - check.now > MAX_SKEW_MS) reject('the token is dated in the future');
  const expires = Number(one('X-Amz-Expires'));
  if (!Number.isInteger(expires) || expires < 1 || expires > 900) reject('X-Amz-Expires out of range');
  const signedHeaders = one('X-Amz-SignedHeaders').split(';');
  if (!signedHeaders.includes('host') || !signedHeaders.includes('x-k8s-aws-id')) reject('host and x-k8s-aws-id must be signed');
  if (signedHeaders.some((h) => h !== 'host' && h !== 'x-k8s-aws-id')) reject(`unexpected signed headers ${signedHeaders.join(';')}`);
  const sessionToken = q.get('X-Amz-Security-Token') ?? undefined;
  const secret = check.secretFor(accessKeyId, sessionToken);
  if (secret === undefined) reject('unknown access key or session token');

  // The request the API server will replay: the cluster header carries the expected cluster, so a
  // token made for another cluster fails the signature.
  const headers: Record<string, string> = { host: url.host, 'x-k8s-aws-id': check.cluster };
  const canonicalQuery = [...q.entries()]
    .filter(([name]) => name !== 'X-Amz-Signature')
    .map(([name, value]) => [rfc3986(name), rfc3986(value)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const canonicalRequest = [
    'GET',
    url.pathname.split('/').map((segment) => rfc3986(decodeURIComponent(segment))).join('/') || '/',
    canonicalQuery,
    [...signedHeaders].sort().map((h) => `${h}:${headers[h]!.trim()}\n`).join(''),
    [...signedHeaders].sort().join(';'),
    sha256Hex(''),
  ].join('\n');
  const scope = `${day}/${region}/sts/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), 'sts'), 'aws4_request');
  if (createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex') !== one('X-Amz-Signature')) reject('signature mismatch');
  return { accessKeyId, region, ...(sessionToken ? { sessionToken } : {}) };
}
