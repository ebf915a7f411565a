// The bearer token EKS accepts, made exactly as `aws eks get-token` makes it: a presigned STS
// GetCallerIdentity URL (SigV4 in the query, valid 60 s, the signed header `x-k8s-aws-id: <cluster>`
// binding it to one cluster), base64url-encoded without padding behind `k8s-aws-v1.`. The API
// server replays the request to STS to learn who is calling. No network here: signing only.
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Clock } from '../clock/clock.js';
import { regionalStsUrl } from './sts-endpoint.js';

export interface EksTokenRequest {
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  readonly cluster: string;
  readonly region: string;
  readonly clock: Clock;
  /** Another STS endpoint (tests, private partitions); default the regional `https://sts.<region>.amazonaws.com`. */
  readonly stsEndpoint?: string;
}

export interface EksToken {
  readonly token: string;
  /** RFC 3339, whole seconds, `Z`: when clients should fetch a new token (14 minutes ahead, as the AWS CLI says). */
  readonly expirationTimestamp: string;
}

export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
/** The presigned URL's own validity (`X-Amz-Expires`); EKS accepts the token for up to 15 minutes regardless. */
export const PRESIGN_EXPIRES_SECONDS = 60;
export const TOKEN_LIFETIME_MS = 14 * 60_000;
const CLUSTER_HEADER = 'x-k8s-aws-id';

/** The order botocore writes the query in, so the token is byte-for-byte the AWS CLI's. */
const QUERY_ORDER = [
  'Action',
  'Version',
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Security-Token',
  'X-Amz-Signature',
];

const rfc3986 = (text: string): string => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export async function eksToken(request: EksTokenRequest): Promise<EksToken> {
  if (request.cluster === '') throw new Error('the cluster name is empty');
  const endpoint = new URL(request.stsEndpoint ?? regionalStsUrl(request.region));
  const { accessKeyId, secretAccessKey, sessionToken } = request.credentials;
  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) },
    region: request.region,
    service: 'sts',
    sha256: Sha256,
  });
  const now = request.clock.now();
  const presigned = await signer.presign(
    new HttpRequest({
      method: 'GET',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
      path: endpoint.pathname,
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: endpoint.host, [CLUSTER_HEADER]: request.cluster },
    }),
    { expiresIn: PRESIGN_EXPIRES_SECONDS, signingDate: new Date(now) },
  );

  const query = presigned.query as Record<string, string | string[] | null>;
  const names = [...QUERY_ORDER.filter((name) => name in query), ...Object.keys(query).filter((name) => !QUERY_ORDER.includes(name)).sort()];
  const search = names.map((name) => `${rfc3986(name)}=${rfc3986(String(query[name] ?? ''))}`).join('&');
  const url = `${endpoint.protocol}//${endpoint.host}${endpoint.pathname}?${search}`;
  return {
    token: EKS_TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url'),
    expirationTimestamp: new Date(now + TOKEN_LIFETIME_MS).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}
