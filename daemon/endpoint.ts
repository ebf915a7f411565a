// The container-credentials endpoint: the protocol every AWS SDK speaks without starting a process
// (AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]; botocore's
// ContainerProvider, @aws-sdk/credential-provider-http, @smithy/credential-provider-imds). Plain HTTP,
// which those clients allow only on a loopback address: escd listens on 127.0.0.1 and nowhere else,
// from the first grant on (no grant, no listener).
//
//   GET /v1/aws/<env>   Authorization: <grant token>
//   200 {"AccessKeyId","SecretAccessKey","Token","Expiration"}   from the same cache as the shim
//   403 anything without a live grant for <env> (missing, wrong, expired or revoked token)
//   403 a Host header other than 127.0.0.1:<port> (a DNS-rebinding page reaches us under its own name)
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { auditServed, type AuditSink } from '../src/audit/audit-log.js';
import type { EnvironmentCache, Session } from '../src/cache/environment-cache.js';
import type { Clock } from '../src/clock/clock.js';
import type { ErrorCode } from '../src/protocol/wire.js';
import { awsCredentials } from './credentials.js';
import { GrantStore, type Grant, type IssuedGrant, type RevokeTarget } from './grants.js';
import { EscdError } from '../src/core/errors.js';

/** The one address served. The SDKs also accept ::1, but one address keeps the Host check exact. */
export const ENDPOINT_HOST = '127.0.0.1';
export const ENDPOINT_PATH_PREFIX = '/v1/aws/';

/** The path of an environment's credentials; each name segment is percent-encoded. */
export function endpointPath(environment: string): string {
  return ENDPOINT_PATH_PREFIX + environment.split('/').map(encodeURIComponent).join('/');
}

export interface EndpointDeps {
  readonly cache: EnvironmentCache;
  readonly clock: Clock;
  readonly audit: AuditSink;
  /** config.yaml `audit.required`: serve only once the audit line is written. */
  readonly auditRequired?: () => boolean;
  readonly log: (message: string) => void;
  /** Port to listen on; 0 (default) lets the system pick one. */
  readonly port?: number;
}

export interface EndpointGrant extends IssuedGrant {
  readonly url: string;
}

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  bad_request: 400,
  not_found: 404,
  not_credentials: 404,
  evaluation_failed: 500,
  upstream_failed: 502,
  shutting_down: 503,
};

export class CredentialEndpoint {
  readonly grants: GrantStore;
  private server: Server | undefined;
  private listening: Promise<number> | undefined;
  private closed = false;

  constructor(private readonly deps: EndpointDeps) {
    this.grants = new GrantStore(deps.clock);
  }

  /** `http://127.0.0.1:<port>` once listening. */
  get origin(): string | undefined {
    const address = this.server?.address() as AddressInfo | null | undefined;
    return address ? `http://${ENDPOINT_HOST}:${address.port}` : undefined;
  }

  /** Grants a token for `environment` (a canonical name), starting the listener on first use. */
  async grant(environment: string, ttlMs: number): Promise<EndpointGrant> {
    const port = await this.listen();
    const issued = this.grants.issue(environment, ttlMs);
    return { ...issued, url: `http://${ENDPOINT_HOST}:${port}${endpointPath(environment)}` };
  }

  revoke(target: RevokeTarget): number {
    return this.grants.revoke(target);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.grants.revoke({ all: true });
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private listen(): Promise<number> {
    if (this.closed) return Promise.reject(new EscdError('shutting_down', 'the daemon is shutting down'));
    this.listening ??= new Promise<number>((resolve, reject) => {
      const server = createServer({ requestTimeout: 10_000, headersTimeout: 5_000, maxHeaderSize: 8 * 1024 }, (req, res) => this.handle(req, res));
      server.maxConnections = 1024;
      server.keepAliveTimeout = 5_000;
      server.once('error', (err: NodeJS.ErrnoException) => {
        this.listening = undefined;
        reject(new EscdError('internal', `cannot listen on ${ENDPOINT_HOST}: ${err.code ?? err.message}`));
      });
      server.listen({ host: ENDPOINT_HOST, port: this.deps.port ?? 0, exclusive: true }, () => {
        this.server = server;
        server.on('error', (err: NodeJS.ErrnoException) => this.deps.log(`credential endpoint: ${err.code ?? err.message}`));
        const { port } = server.address() as AddressInfo;
        this.deps.log(`credential endpoint listening on http://${ENDPOINT_HOST}:${port}`);
        resolve(port);
      });
    });
    return this.listening;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    req.resume(); // a body is never read; drain it so keep-alive works
    const port = (this.server?.address() as AddressInfo | null)?.port;
    if (req.headers.host !== `${ENDPOINT_HOST}:${port}`) {
      return send(res, 403, { Code: 'InvalidHost', Message: `Host must be ${ENDPOINT_HOST}:${port}` });
    }
    const authorization = req.headers.authorization;
    const grant = typeof authorization === 'string' && authorization.length > 0 ? this.grants.match(authorization) : undefined;
    if (!grant) return send(res, 403, { Code: 'AccessDenied', Message: 'no live escd endpoint grant for this Authorization token' });
    if (req.method !== 'GET') return send(res, 405, { Code: 'MethodNotAllowed', Message: 'only GET is served' }, { Allow: 'GET' });
    const path = (req.url ?? '').split('?')[0];
    if (path !== endpointPath(grant.environment)) {
      return send(res, 403, { Code: 'AccessDenied', Message: 'this grant is for another environment' });
    }
    grant.requests++;
    void this.serve(grant, res);
  }

  private async serve(grant: Grant, res: ServerResponse): Promise<void> {
    const environment = grant.environment;
    try {
      const served = await this.deps.cache.get(environment);
      const body = containerJson(served.session, grant);
      const { expiresAt } = served.session;
      const refused = await auditServed(this.deps.audit, this.deps.auditRequired?.() === true, {
        environment,
        action: 'aws.endpoint',
        outcome: 'ok',
        source: served.source,
        ...(expiresAt !== undefined ? { expiresAt: new Date(expiresAt).toISOString() } : {}),
      });
      if (refused !== undefined) return send(res, HTTP_STATUS.io ?? 500, { Code: 'io', Message: refused });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
      res.end(body);
    } catch (err) {
      const code: ErrorCode = err instanceof EscdError ? err.code : 'internal';
      const message = err instanceof EscdError ? (err.message.split('\n')[0] ?? code) : 'internal error (see the daemon log)';
      if (!(err instanceof EscdError)) this.deps.log(`credential endpoint: internal error: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      this.deps.audit.record({ environment, action: 'aws.endpoint', outcome: 'error', code });
      send(res, HTTP_STATUS[code] ?? 500, { Code: code, Message: message });
    }
  }
}

/**
 * The container-credentials answer. Every SDK requires all four fields as strings: a session without
 * a token gets "" and credentials that do not expire get the grant's expiry (the client asks again
 * then, and a grant that ended gets 403).
 */
export function containerJson(session: Session, grant: Pick<Grant, 'expiresAt'>): string {
  const memo = session.expiresAt !== undefined ? session.memo.get('aws.container') : undefined;
  if (typeof memo === 'string') return memo;
  const creds = awsCredentials(session);
  const text = JSON.stringify({
    AccessKeyId: creds.accessKeyId,
    SecretAccessKey: creds.secretAccessKey,
    Token: creds.sessionToken ?? '',
    Expiration: (creds.expiration ?? new Date(grant.expiresAt)).toISOString(),
  });
  if (session.expiresAt !== undefined) session.memo.set('aws.container', text);
  return text;
}

function send(res: ServerResponse, status: number, body: { Code: string; Message: string }, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
