// The token endpoints of workload identity federation, for tests (a fake only because Azure AD and
// Google STS cannot run here; the official clients drive it): HTTPS on 127.0.0.1 with a certificate
// made for this run. Each exchange verifies the escd token (signature against the JWKS that
// `escd oidc publish` wrote, issuer, audience, expiry) before it hands out an access token.
//
//   Azure AD (MSAL, client credentials with a client assertion):
//     GET  /<tenant>/v2.0/.well-known/openid-configuration
//     POST /<tenant>/oauth2/v2.0/token     client_assertion=<jwt>
//   Google STS (RFC 8693 token exchange, as google-auth-library's external_account client sends it):
//     POST /v1/token                       subject_token=<jwt>
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { selfSignedCertificate } from './kube-apiserver.js';

export interface FederationExchange {
  readonly kind: 'azure' | 'google';
  /** The escd token's sub when accepted. */
  readonly subject?: string;
  readonly refused?: string;
  /** The access token handed out. */
  readonly accessToken?: string;
}

export interface FederationTokenServer {
  /** `https://127.0.0.1:<port>`: Azure's authorityHost; Google's token_url is `${url}/v1/token`. */
  readonly url: string;
  readonly caFile: string;
  readonly exchanges: FederationExchange[];
  stop(): Promise<void>;
}

export interface FederationOptions {
  readonly publishedDir: string;
  readonly issuer: string;
  readonly azureAudience: string;
  readonly googleAudience: string;
}

const json = (res: ServerResponse, status: number, body: unknown): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
};

export async function startFederationTokenServer(options: FederationOptions): Promise<FederationTokenServer> {
  const dir = await mkdtemp(join(tmpdir(), 'escd-fed-'));
  const { keyFile, caFile } = selfSignedCertificate(dir, 'escd-test-federation');
  const jwks = createLocalJWKSet(JSON.parse(await readFile(join(options.publishedDir, 'jwks.json'), 'utf8')) as JSONWebKeySet);
  const exchanges: FederationExchange[] = [];
  let url = '';

  const exchange = async (kind: FederationExchange['kind'], token: string | null, audience: string, res: ServerResponse, answer: (accessToken: string) => unknown): Promise<void> => {
    try {
      if (!token) throw new Error('no token');
      const { payload } = await jwtVerify(token, jwks, { issuer: options.issuer, audience });
      const accessToken = `${kind}-access-${randomBytes(12).toString('hex')}`;
      exchanges.push({ kind, subject: payload.sub ?? '', accessToken });
      json(res, 200, answer(accessToken));
    } catch (err) {
      exchanges.push({ kind, refused: (err as Error).message });
      json(res, 400, kind === 'azure' ? { error: 'invalid_client', error_description: `AADSTS700211: ${(err as Error).message}` } : { error: 'invalid_grant', error_description: (err as Error).message });
    }
  };

  const server: Server = createServer({ key: await readFile(keyFile), cert: await readFile(caFile) }, (req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      const form = new URLSearchParams(body);
      const discovery = /^\/([\w-]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(path);
      if (req.method === 'GET' && discovery) {
        const tenant = discovery[1]!;
        return json(res, 200, {
          issuer: `${url}/${tenant}/v2.0`,
          authorization_endpoint: `${url}/${tenant}/oauth2/v2.0/authorize`,
          token_endpoint: `${url}/${tenant}/oauth2/v2.0/token`,
          end_session_endpoint: `${url}/${tenant}/oauth2/v2.0/logout`,
          jwks_uri: `${url}/${tenant}/discovery/v2.0/keys`,
          response_types_supported: ['code'],
          subject_types_supported: ['pairwise'],
          id_token_signing_alg_values_supported: ['RS256'],
        });
      }
      if (req.method === 'POST' && /^\/[\w-]+\/oauth2\/v2\.0\/token$/.test(path)) {
        return void exchange('azure', form.get('client_assertion'), options.azureAudience, res, (accessToken) => ({
          token_type: 'Bearer',
          expires_in: 3599,
          ext_expires_in: 3599,
          access_token: accessToken,
        }));
      }
      if (req.method === 'POST' && path === '/v1/token') {
        return void exchange('google', form.get('subject_token'), options.googleAudience, res, (accessToken) => ({
          access_token: accessToken,
          issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
          token_type: 'Bearer',
          expires_in: 3600,
        }));
      }
      json(res, 404, { error: 'not_found' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    caFile,
    exchanges,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
