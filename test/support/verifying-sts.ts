// A small AWS STS for tests that, unlike moto, really checks web-identity tokens the way AWS does:
// the signature against the JWKS that `escd oidc publish` wrote, iss, aud (the IAM OIDC provider's
// client ids), exp/nbf, then the role's trust conditions (StringEquals on aud and sub). Answers
// the Query API (form POST) with AWS's XML, errors included, and records every call.
//
// GetCallerIdentity checks the SigV4 signature of the request against the credentials it issued, signed
// in the Authorization header (SDKs, the AWS CLI) or presigned in the query with `x-k8s-aws-id` signed
// (EKS tokens, replayed by a kube API server as aws-iam-authenticator does; checked by the independent
// verifier in test/aws/eks-token-verifier.ts).
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { EksTokenRejected, verifyEksToken } from '../aws/eks-token-verifier.js';

export interface TrustedRole {
  /** `arn:aws:iam::<account>:role/<name>` */
  readonly roleArn: string;
  /** StringEquals conditions of the trust policy; a list means any of them. Absent = not checked. */
  readonly aud?: string | readonly string[];
  readonly sub?: string | readonly string[];
  /** The role's MaxSessionDuration, seconds (AWS default 3600). */
  readonly maxSessionSeconds?: number;
}

export interface VerifyingStsOptions {
  /** The directory `escd oidc publish --out` wrote (jwks.json and .well-known/openid-configuration). */
  readonly publishedDir: string;
  /** The IAM OIDC provider's URL (`iss` must equal it). Default: the `issuer` of the published discovery document. */
  readonly issuer?: string;
  /** The provider's client id list (audiences). Absent = any audience passes this step. */
  readonly clientIds?: readonly string[];
  readonly roles: readonly TrustedRole[];
  /** Milliseconds since the epoch; default Date.now. */
  readonly now?: () => number;
  /** Every answer waits this long first: a slow STS (benchmarks). Default 0. */
  readonly delayMs?: number;
}

export interface StsCall {
  readonly action: string;
  readonly roleArn?: string;
  readonly sessionName?: string;
  readonly durationSeconds?: number;
  /** `PolicyArns.member.N.arn`, in order. */
  readonly policyArns?: readonly string[];
  /** The verified token's claims (or the unverified ones when verification failed, for diagnosis). */
  readonly claims?: JWTPayload;
  readonly accessKeyId?: string;
  /** `ok`, or the AWS error code returned. */
  readonly outcome: string;
}

interface Session {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly account: string;
  readonly assumedRoleArn: string;
  readonly assumedRoleId: string;
  readonly expiresAt: number;
}

class StsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
  }
}

export class VerifyingSts {
  readonly calls: StsCall[] = [];
  private readonly sessions = new Map<string, Session>();
  private server?: Server;
  private readonly now: () => number;

  constructor(private readonly options: VerifyingStsOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Listens on 127.0.0.1, a random port; returns the endpoint URL. */
  async start(): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return this.endpoint;
  }

  get endpoint(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('the verifying STS is not started');
    return `http://127.0.0.1:${address.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const params = new URLSearchParams(req.method === 'POST' ? body : (req.url ?? '').split('?')[1] ?? '');
    const action = params.get('Action') ?? '';
    const delayMs = this.options.delayMs ?? 0;
    if (delayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
      if (res.destroyed) return; // stopped meanwhile
    }
    try {
      let xml: string;
      if (action === 'AssumeRoleWithWebIdentity') xml = await this.assumeRoleWithWebIdentity(params);
      else if (action === 'GetCallerIdentity') xml = await this.getCallerIdentity(req, body);
      else throw new StsError(400, 'InvalidAction', `Could not find operation ${action} for version ${params.get('Version') ?? ''}`);
      send(res, 200, xml);
    } catch (err) {
      const e = err instanceof StsError ? err : new StsError(500, 'InternalFailure', (err as Error).message, 'Receiver');
      if (!(err instanceof StsError)) this.calls.push({ action, outcome: e.code });
      send(res, e.status, errorXml(e));
    }
  }

  private async assumeRoleWithWebIdentity(params: URLSearchParams): Promise<string> {
    const roleArn = params.get('RoleArn') ?? '';
    const sessionName = params.get('RoleSessionName') ?? '';
    const token = params.get('WebIdentityToken') ?? '';
    const durationSeconds = Number(params.get('DurationSeconds') ?? '3600');
    const policyArns: string[] = [];
    for (let i = 1; params.has(`PolicyArns.member.${i}.arn`); i++) policyArns.push(params.get(`PolicyArns.member.${i}.arn`)!);
    const record = (outcome: string, claims?: JWTPayload): void => {
      this.calls.push({
        action: 'AssumeRoleWithWebIdentity',
        roleArn,
        sessionName,
        durationSeconds,
        ...(policyArns.length > 0 ? { policyArns } : {}),
        ...(claims ? { claims } : {}),
        outcome,
      });
    };
    let claims: JWTPayload | undefined;
    try {
      if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
        throw new StsError(400, 'ValidationError', `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
      }
      const role = /^arn:aws[\w-]*:iam::(\d{12}):role\/(?:[\w+=,.@/-]*\/)?([\w+=,.@-]+)$/.exec(roleArn);
      if (!role) throw new StsError(400, 'ValidationError', `${roleArn} is invalid`);
      claims = unverifiedClaims(token);
      const verified = await this.verifyToken(token);
      claims = verified;
      const trusted = this.options.roles.find((r) => r.roleArn === roleArn);
      if (!trusted || !conditionHolds(trusted.aud, verified.aud) || !conditionHolds(trusted.sub, verified.sub)) {
        throw new StsError(403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
      }
      const max = trusted.maxSessionSeconds ?? 3600;
      if (!Number.isInteger(durationSeconds) || durationSeconds < 900) {
        throw new StsError(400, 'ValidationError', `1 validation error detected: Value '${durationSeconds}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`);
      }
      if (durationSeconds > max) {
        throw new StsError(400, 'ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
      }
      const session = this.issueSession(role[1]!, role[2]!, sessionName, durationSeconds);
      record('ok', verified);
      return `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>${esc(String(verified.sub))}</SubjectFromWebIdentityToken>
    <Audience>${esc(String(verified.aud))}</Audience>
    <AssumedRoleUser>
      <Arn>${esc(session.assumedRoleArn)}</Arn>
      <AssumedRoleId>${esc(session.assumedRoleId)}</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>${esc(session.sessionToken)}</SessionToken>
      <SecretAccessKey>${esc(session.secretAccessKey)}</SecretAccessKey>
      <Expiration>${new Date(session.expiresAt).toISOString()}</Expiration>
      <AccessKeyId>${esc(session.accessKeyId)}</AccessKeyId>
    </Credentials>
    <Provider>${esc(String(verified.iss))}</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata>
    <RequestId>${randomUUID()}</RequestId>
  </ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>
`;
    } catch (err) {
      if (err instanceof StsError) record(err.code, claims);
      throw err;
    }
  }

  /** Verifies like AWS: signature (published JWKS), iss (a registered provider), aud (its client ids), exp/nbf. */
  private async verifyToken(token: string): Promise<JWTPayload> {
    const { jwks, issuer } = await this.published();
    const unverified = unverifiedClaims(token);
    if (unverified.iss !== issuer) {
      throw new StsError(400, 'InvalidIdentityToken', `No OpenIDConnect provider found in your account for ${String(unverified.iss)}`);
    }
    try {
      const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
        issuer,
        currentDate: new Date(this.now()),
        algorithms: ['RS256', 'ES256'],
        requiredClaims: ['exp', 'sub', 'aud', 'iat'],
      });
      if (this.options.clientIds && !audiences(payload.aud).some((a) => this.options.clientIds!.includes(a))) {
        throw new StsError(400, 'InvalidIdentityToken', 'Incorrect token audience');
      }
      return payload;
    } catch (err) {
      if (err instanceof StsError) throw err;
      if (err instanceof joseErrors.JWTExpired) throw new StsError(400, 'ExpiredTokenException', 'Token expired: current date/time must be before the expiration date/time');
      if (err instanceof joseErrors.JWKSNoMatchingKey) throw new StsError(400, 'InvalidIdentityToken', 'No matching key found in the identity provider JWKS for the token kid');
      if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw new StsError(400, 'InvalidIdentityToken', 'The signature of the web identity token is invalid');
      if (err instanceof joseErrors.JWTClaimValidationFailed) throw new StsError(400, 'InvalidIdentityToken', `The web identity token is not valid: ${err.message}`);
      throw new StsError(400, 'InvalidIdentityToken', `The web identity token could not be parsed: ${(err as Error).message}`);
    }
  }

  /** Read on every call, so republishing after a rotation is seen, as a real relying party eventually would. */
  private async published(): Promise<{ jwks: JSONWebKeySet; issuer: string }> {
    const dir = this.options.publishedDir;
    const jwks = JSON.parse(await readFile(join(dir, 'jwks.json'), 'utf8')) as JSONWebKeySet;
    const discovery = JSON.parse(await readFile(join(dir, '.well-known', 'openid-configuration'), 'utf8')) as { issuer: string };
    return { jwks, issuer: this.options.issuer ?? discovery.issuer };
  }

  private issueSession(account: string, roleName: string, sessionName: string, durationSeconds: number): Session {
    const alnum = (n: number): string =>
      Array.from(randomBytes(n), (b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[b % 32]).join('');
    const roleId = `AROA${alnum(17)}`;
    const session: Session = {
      accessKeyId: `ASIA${alnum(16)}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(96).toString('base64'),
      account,
      assumedRoleArn: `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}`,
      assumedRoleId: `${roleId}:${sessionName}`,
      expiresAt: this.now() + durationSeconds * 1000,
    };
    this.sessions.set(session.accessKeyId, session);
    return session;
  }

  private async getCallerIdentity(req: IncomingMessage, body: string): Promise<string> {
    const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
    if (req.method === 'GET' && query.has('X-Amz-Signature')) return this.presignedCallerIdentity(req);
    const auth = req.headers.authorization ?? '';
    const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
    const accessKeyId = m?.[1];
    const fail = (status: number, code: string, message: string): never => {
      this.calls.push({ action: 'GetCallerIdentity', ...(accessKeyId ? { accessKeyId } : {}), outcome: code });
      throw new StsError(status, code, message);
    };
    if (!m) return fail(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
    const session = this.sessions.get(m[1]!);
    if (!session) return fail(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    if (req.headers['x-amz-security-token'] !== session.sessionToken) return fail(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    if (this.now() >= session.expiresAt) return fail(403, 'ExpiredToken', 'The security token included in the request is expired');
    if (!(await signatureMatches(req, body, session, { region: m[3]!, service: m[4]!, signedHeaders: m[5]!.split(';'), signature: m[6]! }))) {
      return fail(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
    }
    return this.callerIdentityXml(session);
  }

  /** A presigned GET (an EKS token's URL): the signature covers `host` and the request's `x-k8s-aws-id`. */
  private presignedCallerIdentity(req: IncomingMessage): string {
    const url = `http://${req.headers.host ?? ''}${req.url ?? '/'}`;
    const accessKeyId = new URL(url).searchParams.get('X-Amz-Credential')?.split('/')[0];
    const fail = (code: string, message: string): never => {
      this.calls.push({ action: 'GetCallerIdentity', ...(accessKeyId ? { accessKeyId } : {}), outcome: code });
      throw new StsError(403, code, message);
    };
    const cluster = req.headers['x-k8s-aws-id'];
    if (typeof cluster !== 'string') return fail('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
    let caller;
    try {
      caller = verifyEksToken(`k8s-aws-v1.${Buffer.from(url).toString('base64url')}`, {
        cluster,
        now: this.now(),
        extraHosts: [req.headers.host ?? ''],
        secretFor: (id, token) => {
          const session = this.sessions.get(id);
          return session && session.sessionToken === token ? session.secretAccessKey : undefined;
        },
      });
    } catch (err) {
      if (!(err instanceof EksTokenRejected)) throw err;
      return fail(err.message.startsWith('unknown access key') ? 'InvalidClientTokenId' : 'SignatureDoesNotMatch', err.message);
    }
    const session = this.sessions.get(caller.accessKeyId)!;
    if (this.now() >= session.expiresAt) return fail('ExpiredToken', 'The security token included in the request is expired');
    return this.callerIdentityXml(session);
  }

  private callerIdentityXml(session: Session): string {
    this.calls.push({ action: 'GetCallerIdentity', accessKeyId: session.accessKeyId, outcome: 'ok' });
    return `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>${esc(session.assumedRoleArn)}</Arn>
    <UserId>${esc(session.assumedRoleId)}</UserId>
    <Account>${session.account}</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>${randomUUID()}</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>
`;
  }
}

/** Re-signs the request with the session's secret over the headers the client signed, and compares. */
async function signatureMatches(
  req: IncomingMessage,
  body: string,
  session: Session,
  scope: { region: string; service: string; signedHeaders: string[]; signature: string },
): Promise<boolean> {
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!date) return false;
  const headers: Record<string, string> = {};
  for (const name of scope.signedHeaders) {
    const value = req.headers[name];
    if (value === undefined) return false;
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const [path, query = ''] = (req.url ?? '/').split('?');
  // The signer adds x-amz-security-token and x-amz-content-sha256 on its own; only let it when the client signed them.
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: session.accessKeyId,
      secretAccessKey: session.secretAccessKey,
      ...(scope.signedHeaders.includes('x-amz-security-token') ? { sessionToken: session.sessionToken } : {}),
    },
    applyChecksum: false,
    region: scope.region,
    service: scope.service,
    sha256: Sha256,
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: req.method ?? 'POST',
      protocol: 'http:',
      hostname: (headers.host ?? '').split(':')[0] ?? '',
      path: path ?? '/',
      query: Object.fromEntries(new URLSearchParams(query)),
      headers,
      body,
    }),
    {
      signingDate: new Date(Date.UTC(+date[1]!, +date[2]! - 1, +date[3]!, +date[4]!, +date[5]!, +date[6]!)),
      signableHeaders: new Set(scope.signedHeaders),
    },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization ?? signed.headers.Authorization ?? ''))?.[1];
  return expected === scope.signature;
}

function unverifiedClaims(token: string): JWTPayload {
  try {
    const part = token.split('.')[1] ?? '';
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as JWTPayload;
  } catch {
    throw new StsError(400, 'InvalidIdentityToken', 'The web identity token could not be parsed');
  }
}

const audiences = (aud: JWTPayload['aud']): string[] => (aud === undefined ? [] : Array.isArray(aud) ? aud : [aud]);

function conditionHolds(expected: string | readonly string[] | undefined, actual: unknown): boolean {
  if (expected === undefined) return true;
  const allowed = typeof expected === 'string' ? [expected] : expected;
  const values = typeof actual === 'string' ? [actual] : Array.isArray(actual) ? (actual as unknown[]) : [];
  return values.some((v) => typeof v === 'string' && allowed.includes(v));
}

function send(res: ServerResponse, status: number, xml: string): void {
  res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() });
  res.end(xml);
}

function errorXml(e: StsError): string {
  return `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>${e.type}</Type>
    <Code>${esc(e.code)}</Code>
    <Message>${esc(e.message)}</Message>
  </Error>
  <RequestId>${randomUUID()}</RequestId>
</ErrorResponse>
`;
}

const esc = (s: string): string => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
