// Answers from outside are capped (src/aws/response-cap.ts): an STS answer over 1 MiB is a clear error.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebIdentitySts } from '../../src/aws/sts-client.js';

const answer = (accessKeyId: string): string =>
  `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><Credentials>` +
  `<AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration>` +
  `</Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`;

describe('size cap on STS answers', () => {
  let server: Server;
  let endpoint: string;
  let body = '';
  let chunked = false;
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/xml', ...(chunked ? {} : { 'content-length': Buffer.byteLength(body) }) });
        res.end(body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const call = () =>
    createWebIdentitySts({ region: 'us-east-1', endpoint, maxAttempts: 1 }).assumeRoleWithWebIdentity({
      roleArn: 'arn:aws:iam::123456789012:role/r',
      sessionName: 's',
      token: 'e30.e30.',
      durationSeconds: 900,
    });

  it('accepts a normal answer', async () => {
    body = answer('ASIAOK');
    chunked = false;
    await expect(call()).resolves.toMatchObject({ accessKeyId: 'ASIAOK' });
  });

  it.each([false, true])('refuses a 2 MiB AccessKeyId (chunked: %s) with one clear line', async (isChunked) => {
    body = answer('A'.repeat(2 * 1024 * 1024));
    chunked = isChunked;
    const err = (await call().then(() => new Error('resolved'), (e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/larger than 1 MiB/);
    expect(err.message).not.toContain('\n');
  });
});
