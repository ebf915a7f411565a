// A small Kubernetes API server for tests: HTTPS on 127.0.0.1 (a self-signed certificate made with
// openssl for this run), bearer tokens checked the way clusters check them, and just enough API for
// `kubectl version` and `kubectl get --raw /version`.
//
// - EKS tokens (`k8s-aws-v1.<base64url presigned URL>`), as aws-iam-authenticator does: the URL must
//   be STS's (host of `eks.stsEndpoint`, path `/`, Action=GetCallerIdentity), SigV4 in the query with
//   `x-k8s-aws-id` among the signed headers, X-Amz-Expires ≤ 60 and X-Amz-Date within 15 minutes; then
//   the request is replayed to STS with `x-k8s-aws-id: <clusterId>` and the caller is STS's answer.
//   Moto neither checks presigned signatures nor routes an unsigned GET to STS, so with
//   `eks.credentials` (the secrets of the sessions the test knows) this server checks the signature
//   itself, over the URL and this cluster's id, and asks STS who owns the access key.
// - OIDC tokens: a JWT verified against the issuer's JWKS (`escd oidc publish` output), iss and aud.
//
// Refused tokens get 401 with a Kubernetes Status body, like a real API server.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';

export interface SessionSecret {
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface KubeApiServerOptions {
  readonly eks?: {
    /** The STS the presigned URLs must point at, and where they are replayed. */
    readonly stsEndpoint: string;
    /** The cluster name tokens must be bound to (the `x-k8s-aws-id` header). */
    readonly clusterId: string;
    /** Secrets by access key id, to check presigned signatures moto does not check. */
    readonly credentials?: (accessKeyId: string) => SessionSecret | undefined;
  };
  readonly oidc?: {
    /** Directory written by `escd oidc publish --out` (jwks.json, .well-known/openid-configuration). */
    readonly publishedDir: string;
    readonly audience: string;
  };
}

export interface AuthAttempt {
  readonly path: string;
  readonly kind: 'eks' | 'oidc' | 'none' | 'unknown';
  /** The caller (STS ARN or JWT sub), when accepted. */
  readonly identity?: string;
  /** Why it was refused. */
  readonly refused?: string;
}

export interface KubeApiServer {
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
  /** The server certificate (PEM file): the kubeconfig's CA. */
  readonly caFile: string;
  readonly attempts: AuthAttempt[];
  stop(): Promise<void>;
}

const EKS_PREFIX = 'k8s-aws-v1.';
const MAX_TOKEN_AGE_MS = 15 * 60_000;

class Refused extends Error {}

function refuse(reason: string): never {
  throw new Refused(reason);
}

const amzDate = (text: string): Date | undefined => {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : undefined;
};

/** Recomputes the presigned URL's signature for `cluster` with the session's secret. */
async function signatureMatches(url: URL, cluster: string, secret: SessionSecret): Promise<boolean> {
  const q = url.searchParams;
  const [accessKeyId, , region, service] = (q.get('X-Amz-Credential') ?? '').split('/');
  const signingDate = amzDate(q.get('X-Amz-Date') ?? '');
  if (!accessKeyId || !region || !service || !signingDate) return false;
  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey: secret.secretAccessKey, ...(secret.sessionToken ? { sessionToken: secret.sessionToken } : {}) },
    region,
    service,
    sha256: Sha256,
  });
  const query: Record<string, string> = {};
  for (const [k, v] of q) if (!k.startsWith('X-Amz-')) query[k] = v;
  const presigned = await signer.presign(
    new HttpRequest({
      method: 'GET',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query,
      headers: { host: url.host, 'x-k8s-aws-id': cluster },
    }),
    { expiresIn: Number(q.get('X-Amz-Expires')), signingDate },
  );
  return presigned.query?.['X-Amz-Signature'] === q.get('X-Amz-Signature');
}

async function eksIdentity(token: string, eks: NonNullable<KubeApiServerOptions['eks']>): Promise<string> {
  let url: URL;
  try {
    url = new URL(Buffer.from(token.slice(EKS_PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    return refuse('token is not a base64url URL');
  }
  const sts = new URL(eks.stsEndpoint);
  if (url.host !== sts.host || url.protocol !== sts.protocol || url.pathname !== '/') refuse(`presigned URL is not for STS (${url.protocol}//${url.host}${url.pathname})`);
  const q = url.searchParams;
  if (q.get('Action') !== 'GetCallerIdentity' || q.get('Version') !== '2011-06-15') refuse('presigned URL is not GetCallerIdentity');
  if (q.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') refuse('not SigV4');
  const signed = (q.get('X-Amz-SignedHeaders') ?? '').split(';');
  if (!signed.includes('host') || !signed.includes('x-k8s-aws-id')) refuse('x-k8s-aws-id is not a signed header');
  const expires = Number(q.get('X-Amz-Expires'));
  if (!Number.isInteger(expires) || expires <= 0 || expires > 60) refuse('X-Amz-Expires must be 1..60');
  const date = amzDate(q.get('X-Amz-Date') ?? '');
  if (!date || Math.abs(Date.now() - date.getTime()) > MAX_TOKEN_AGE_MS) refuse('X-Amz-Date missing or more than 15 minutes off');
  if (!eks.credentials) return stsArn(await fetch(url, { headers: { 'x-k8s-aws-id': eks.clusterId }, signal: AbortSignal.timeout(5_000) }));
  const accessKeyId = (q.get('X-Amz-Credential') ?? '').split('/')[0] ?? '';
  const secret = eks.credentials(accessKeyId);
  if (!secret) refuse('unknown access key');
  if (!(await signatureMatches(url, eks.clusterId, secret))) refuse('signature does not match (wrong cluster or credentials)');
  // Moto routes an unsigned GET to S3, so the caller is asked of STS with a header-signed request instead.
  return stsArn(await signedGetCallerIdentity(sts, accessKeyId, secret, (q.get('X-Amz-Credential') ?? '').split('/')[2] ?? 'us-east-1'));
}

async function stsArn(res: Response): Promise<string> {
  const body = await res.text();
  if (!res.ok) refuse(`STS answered ${res.status}`);
  return /<Arn>([^<]+)<\/Arn>/.exec(body)?.[1] ?? refuse('STS answer has no Arn');
}

async function signedGetCallerIdentity(sts: URL, accessKeyId: string, secret: SessionSecret, region: string): Promise<Response> {
  const body = 'Action=GetCallerIdentity&Version=2011-06-15';
  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey: secret.secretAccessKey, ...(secret.sessionToken ? { sessionToken: secret.sessionToken } : {}) },
    region,
    service: 'sts',
    sha256: Sha256,
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: 'POST',
      protocol: sts.protocol,
      hostname: sts.hostname,
      ...(sts.port ? { port: Number(sts.port) } : {}),
      path: '/',
      headers: { host: sts.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body,
    }),
  );
  return fetch(new URL('/', sts), { method: 'POST', headers: signed.headers, body, signal: AbortSignal.timeout(5_000) });
}

async function oidcIdentity(token: string, oidc: NonNullable<KubeApiServerOptions['oidc']>): Promise<string> {
  const jwks = JSON.parse(await readFile(join(oidc.publishedDir, 'jwks.json'), 'utf8')) as JSONWebKeySet;
  const { issuer } = JSON.parse(await readFile(join(oidc.publishedDir, '.well-known', 'openid-configuration'), 'utf8')) as { issuer: string };
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer, audience: oidc.audience });
    return payload.sub ?? refuse('token has no sub');
  } catch (err) {
    if (err instanceof Refused) throw err;
    return refuse(`JWT rejected: ${(err as Error).message}`);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

/** A self-signed certificate for 127.0.0.1 in `dir` (key.pem, cert.pem: the CA clients trust). */
export function selfSignedCertificate(dir: string, commonName: string): { keyFile: string; caFile: string } {
  const keyFile = join(dir, 'key.pem');
  const caFile = join(dir, 'cert.pem');
  // node:crypto cannot make X.509 certificates; openssl can.
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', caFile, '-days', '1', '-subj', `/CN=${commonName}`, '-addext', 'subjectAltName=IP:127.0.0.1'],
    { stdio: 'ignore' },
  );
  return { keyFile, caFile };
}

export async function startKubeApiServer(options: KubeApiServerOptions): Promise<KubeApiServer> {
  const dir = await mkdtemp(join(tmpdir(), 'escd-kube-'));
  const { keyFile, caFile } = selfSignedCertificate(dir, 'escd-test-apiserver');
  const attempts: AuthAttempt[] = [];
  let port = 0;

  const authenticate = async (req: IncomingMessage): Promise<AuthAttempt> => {
    const path = req.url ?? '/';
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ')) return { path, kind: 'none', refused: 'no bearer token' };
    const token = auth.slice('Bearer '.length).trim();
    const kind = token.startsWith(EKS_PREFIX) ? 'eks' : token.split('.').length === 3 ? 'oidc' : 'unknown';
    try {
      if (kind === 'eks' && options.eks) return { path, kind, identity: await eksIdentity(token, options.eks) };
      if (kind === 'oidc' && options.oidc) return { path, kind, identity: await oidcIdentity(token, options.oidc) };
      return { path, kind, refused: 'no authenticator for this token' };
    } catch (err) {
      return { path, kind, refused: err instanceof Refused ? err.message : `error: ${(err as Error).message}` };
    }
  };

  const server: Server = createServer({ key: await readFile(keyFile), cert: await readFile(caFile) }, (req, res) => {
    void authenticate(req).then((attempt) => {
      attempts.push(attempt);
      if (attempt.refused) return send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/version') {
        return send(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.0-escd-test', gitCommit: '0', gitTreeState: 'clean', buildDate: '2026-01-01T00:00:00Z', goVersion: 'go1.23', compiler: 'gc', platform: 'linux/amd64' });
      }
      if (path === '/api') return send(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${port}` }] });
      if (path === '/apis') return send(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
      return send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  let stopped = false;
  return {
    url: `https://127.0.0.1:${port}`,
    caFile,
    attempts,
    async stop() {
      if (stopped) return;
      stopped = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
