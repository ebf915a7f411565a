// The real @aws-sdk/client-sts against a local HTTP server that answers like STS (or doesn't):
// every failure must come out as StsCallError with one clear line, and never with the token.
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebIdentitySts, StsCallError, type WebIdentityRequest } from '../../src/aws/sts-client.js';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

let server: Server;
let endpoint: string;
let handler: Handler;
const seen: { body: string; headers: IncomingMessage['headers'] }[] = [];

// A syntactically real JWT (header.payload.signature) with public claims the messages may quote.
const claims = { iss: 'https://oidc.example.com', aud: 'aws:acme', sub: 'pulumi:environments:pulumi.organization.login:acme' };
const TOKEN = [
  Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'k1' })).toString('base64url'),
  Buffer.from(JSON.stringify(claims)).toString('base64url'),
  Buffer.from('not-a-real-signature-but-long-enough').toString('base64url'),
].join('.');

const request: WebIdentityRequest = { roleArn: 'arn:aws:iam::123456789012:role/deploy', sessionName: 'esc-alice', token: TOKEN, durationSeconds: 3600 };

function xmlError(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'text/xml' });
  res.end(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`);
}

function okAnswer(res: ServerResponse, expiration: string): void {
  res.writeHead(200, { 'content-type': 'text/xml' });
  res.end(`<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>
<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/deploy/esc-alice</Arn><AssumedRoleId>AROA:esc-alice</AssumedRoleId></AssumedRoleUser>
<Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>secretsecret</SecretAccessKey><SessionToken>sessiontoken</SessionToken><Expiration>${expiration}</Expiration></Credentials>
</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`);
}

async function failure(sts = createWebIdentitySts({ region: 'us-east-1', endpoint, maxAttempts: 1 }), req = request): Promise<StsCallError> {
  try {
    await sts.assumeRoleWithWebIdentity(req);
  } catch (err) {
    expect(err).toBeInstanceOf(StsCallError);
    const e = err as StsCallError;
    expect(e.message).not.toContain(TOKEN.split('.')[2]!);
    expect(e.message).not.toContain('\n');
    return e;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      seen.push({ body, headers: req.headers });
      handler(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('createWebIdentitySts', () => {
  it('sends an unsigned AssumeRoleWithWebIdentity with every parameter and reads the session', async () => {
    handler = (_req, _body, res) => okAnswer(res, '2030-01-01T01:00:00Z');
    seen.length = 0;
    const sts = createWebIdentitySts({ region: 'us-east-1', endpoint: endpoint + '/' });
    expect(sts.endpoint).toBe(endpoint);
    const session = await sts.assumeRoleWithWebIdentity({ ...request, policyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess', 'arn:aws:iam::123456789012:policy/p'] });
    expect(session).toEqual({
      accessKeyId: 'ASIAEXAMPLE',
      secretAccessKey: 'secretsecret',
      sessionToken: 'sessiontoken',
      expiration: new Date('2030-01-01T01:00:00Z'),
      assumedRoleArn: 'arn:aws:sts::123456789012:assumed-role/deploy/esc-alice',
    });
    const params = new URLSearchParams(seen[0]!.body);
    expect(Object.fromEntries(params)).toEqual({
      Action: 'AssumeRoleWithWebIdentity',
      Version: '2011-06-15',
      RoleArn: request.roleArn,
      RoleSessionName: 'esc-alice',
      WebIdentityToken: TOKEN,
      DurationSeconds: '3600',
      'PolicyArns.member.1.arn': 'arn:aws:iam::aws:policy/ReadOnlyAccess',
      'PolicyArns.member.2.arn': 'arn:aws:iam::123456789012:policy/p',
    });
    expect(seen[0]!.headers.authorization).toBeUndefined();
    expect(seen[0]!.headers['x-amz-security-token']).toBeUndefined();
  });

  it.each([
    [403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity', 'AccessDenied', 'aud "aws:acme" and sub "pulumi:environments:pulumi.organization.login:acme"'],
    [400, 'InvalidIdentityToken', 'No OpenIDConnect provider found in your account for https://oidc.example.com', 'InvalidIdentityToken', 'issuer https://oidc.example.com (InvalidIdentityToken)'],
    [400, 'IDPCommunicationError', "Couldn't retrieve verification key", 'IDPCommunicationError', 'could not fetch the keys of issuer https://oidc.example.com'],
    [400, 'ExpiredTokenException', 'Token expired', 'ExpiredTokenException', 'has expired'],
    [400, 'Throttling', 'Rate exceeded', 'Throttling', 'is throttling requests (Throttling)'],
    [400, 'ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.', 'ValidationError', 'oidc.duration'],
  ])('HTTP %i %s becomes one clear line', async (status, code, message, expectedCode, words) => {
    handler = (_req, _body, res) => xmlError(res, status, code, message);
    const err = await failure();
    expect(err.failure.code).toBe(expectedCode);
    expect(err.message).toContain(words);
  });

  it('retries throttling within maxAttempts, then reports it', async () => {
    let calls = 0;
    handler = (_req, _body, res) => {
      calls++;
      xmlError(res, 400, 'Throttling', 'Rate exceeded');
    };
    const err = await failure(createWebIdentitySts({ region: 'us-east-1', endpoint, maxAttempts: 2 }));
    expect(err.failure.kind).toBe('throttled');
    expect(calls).toBe(2);
  });

  it('a proxy error page is a server failure', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body>Bad gateway</body></html>');
    };
    const err = await failure();
    expect(err.message).toBe(`STS at ${endpoint} failed on its side (HTTP 502): try again later`);
  });

  it('an answer that is not XML is malformed', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end('<html>this is a captive portal');
    };
    expect((await failure()).message).toBe(`STS at ${endpoint} sent an answer that is not an STS answer (HTTP 200): is the endpoint really STS?`);
  });

  it('an answer without credentials is malformed', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end('<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>');
    };
    expect((await failure()).failure.kind).toBe('malformed');
  });

  it('a server that never answers times out at the request timeout', async () => {
    handler = () => undefined; // hold the request
    const started = Date.now();
    const err = await failure(createWebIdentitySts({ region: 'us-east-1', endpoint, maxAttempts: 1, requestTimeoutMs: 300 }));
    expect(err.failure.kind).toBe('timeout');
    expect(err.message).toContain(`STS at ${endpoint} did not answer within 300 ms`);
    expect(Date.now() - started).toBeLessThan(5_000);
    server.closeAllConnections();
  });

  it('honours the AbortSignal', async () => {
    handler = () => undefined;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const err = await failure(createWebIdentitySts({ region: 'us-east-1', endpoint, maxAttempts: 1 }), { ...request, signal: controller.signal });
    expect(err.failure.kind).toBe('aborted');
    server.closeAllConnections();
  });

  it('a closed port is a network error naming the endpoint', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const err = await failure(createWebIdentitySts({ region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1 }));
    expect(err.failure).toMatchObject({ kind: 'network', code: 'ECONNREFUSED' });
    expect(err.message).toContain(`cannot reach STS at http://127.0.0.1:${port}: connection refused`);
  });
});

describe('no credential chain, no surprises from ~/.aws/config', () => {
  const saved = { ...process.env };
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'escd-sts-cfg-'));
    const marker = join(dir, 'credential-process-ran');
    const script = join(dir, 'creds.sh');
    await writeFile(script, `#!/bin/sh\ntouch '${marker}'\necho '{"Version":1,"AccessKeyId":"AKIDFROMPROCESS","SecretAccessKey":"s"}'\n`);
    await chmod(script, 0o755);
    // Everything here would change where or how the call goes if the SDK consulted it.
    await writeFile(
      join(dir, 'config'),
      `[default]\ncredential_process = ${script}\nregion = ap-south-1\nendpoint_url = http://127.0.0.1:1\nmax_attempts = 9\nauth_scheme_preference = sigv4a\n` +
        `[profile other]\ncredential_process = ${script}\nauth_scheme_preference = sigv4a\n`,
    );
    Object.assign(process.env, { AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), AWS_PROFILE: 'other', AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:1' });
  });

  afterAll(async () => {
    for (const key of ['AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_PROFILE', 'AWS_ENDPOINT_URL_STS']) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('goes to the given endpoint, unsigned, without running credential_process', async () => {
    handler = (_req, _body, res) => okAnswer(res, '2030-01-01T01:00:00Z');
    seen.length = 0;
    const session = await createWebIdentitySts({ region: 'us-east-1', endpoint }).assumeRoleWithWebIdentity(request);
    expect(session.accessKeyId).toBe('ASIAEXAMPLE');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers.authorization).toBeUndefined();
    await expect(stat(join(dir, 'credential-process-ran'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
