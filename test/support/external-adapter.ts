// An ESC Connect adapter for tests, as the external provider's documentation describes one: HTTPS
// on 127.0.0.1 (a self-signed certificate made with openssl for this run), POST only, the bearer
// JWT verified against escd's published JWKS (signature, iss, aud = the adapter URL, exp), and the
// body bound to it by `body_hash` (SRI sha256). It answers `{request, claims}` or a set answer.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';

export interface AdapterCall {
  /** Why the adapter refused the call, if it did. */
  readonly refused?: string;
  readonly claims?: JWTPayload;
  readonly body: string;
}

export interface ExternalAdapter {
  /** `https://127.0.0.1:<port>/fetch-secrets`. */
  readonly url: string;
  /** The PEM certificate to trust. */
  readonly ca: string;
  readonly calls: AdapterCall[];
  /** The next answers (status and body), instead of the echo. */
  answerWith(status: number, body: string): void;
  stop(): Promise<void>;
}

export async function startExternalAdapter(options: { readonly issuer: string; readonly jwks: JSONWebKeySet }): Promise<ExternalAdapter> {
  const dir = await mkdtemp(join(tmpdir(), 'escd-adapter-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=escd-test-adapter', '-addext', 'subjectAltName=IP:127.0.0.1'],
    { stdio: 'ignore' },
  );
  const ca = await readFile(certFile, 'utf8');
  const keys = createLocalJWKSet(options.jwks);
  const calls: AdapterCall[] = [];
  let fixed: { status: number; body: string } | undefined;
  let url = '';

  const server: Server = createServer({ key: await readFile(keyFile), cert: ca }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const refuse = (status: number, why: string): void => {
        calls.push({ refused: why, body });
        res.writeHead(status, { 'content-type': 'text/plain' }).end(why);
      };
      if (req.method !== 'POST') return refuse(405, 'POST only');
      if (!String(req.headers['content-type']).startsWith('application/json')) return refuse(415, 'expected application/json');
      const auth = req.headers.authorization ?? '';
      if (!auth.startsWith('Bearer ')) return refuse(401, 'Missing or invalid Authorization header');
      jwtVerify(auth.slice('Bearer '.length), keys, { issuer: options.issuer, audience: url, algorithms: ['RS256', 'ES256'] }).then(
        ({ payload }) => {
          const actual = `sha256-${createHash('sha256').update(body).digest('base64')}`;
          if (payload.body_hash !== actual) return refuse(401, `Body hash mismatch: expected ${String(payload.body_hash)}, got ${actual}`);
          calls.push({ claims: payload, body });
          if (fixed) return void res.writeHead(fixed.status, { 'content-type': 'application/json' }).end(fixed.body);
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ request: JSON.parse(body) as unknown, sub: payload.sub }));
        },
        (err: unknown) => refuse(401, `Invalid token: ${(err as Error).message}`),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as { port: number }).port}/fetch-secrets`;
  return {
    url,
    ca,
    calls,
    answerWith(status, body) {
      fixed = { status, body };
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
