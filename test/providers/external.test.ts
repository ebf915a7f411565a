// fn::open::external through the real evaluator and issuer, against an HTTPS adapter that checks the
// token with escd's published JWKS and the body with the token's body_hash, as the docs ask adapters to.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { evaluateEnvironment } from '../../src/esc/evaluate.js';
import type { EvaluateResult } from '../../src/esc/types.js';
import { toJSON } from '../../src/esc/value.js';
import { MemoryKeyStore } from '../../src/keystore/memory-store.js';
import { writePublication } from '../../src/oidc/discovery.js';
import { Issuer } from '../../src/oidc/issuer.js';
import { createExternalProvider } from '../../src/providers/external/provider.js';
import { e2eSkipReason } from '../support/moto.js';
import { startExternalAdapter, type ExternalAdapter } from '../support/external-adapter.js';
import { testCipher } from '../support/test-cipher.js';

const ISSUER = 'https://oidc.escd.test/acme';
const skip = e2eSkipReason(spawnSync('openssl', ['version']).status === 0 ? undefined : 'openssl is not installed (it makes the adapter certificate)');

describe.skipIf(skip)('fn::open::external', () => {
  let dir: string;
  let issuer: Issuer;
  let adapter: ExternalAdapter;

  const evaluate = (source: string, mode: 'check' | 'eval' = 'eval'): Promise<EvaluateResult> =>
    evaluateEnvironment('proj/connect', source, {
      loader: (name) => Promise.reject(new Error(`no environment ${name}`)),
      providers: new Map([['external', createExternalProvider({ issuer, ca: adapter.ca })]]),
      cipher: testCipher,
      context: { pulumi: { user: { login: 'alice' }, organization: { login: 'acme' } } },
      mode,
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'escd-external-'));
    issuer = new Issuer({ url: ISSUER, algorithm: 'RS256', tokenLifetimeSeconds: 300, store: new MemoryKeyStore(), stateFile: join(dir, 'keys.json') });
    const published = await writePublication(join(dir, 'published'), ISSUER, await issuer.jwks());
    adapter = await startExternalAdapter({ issuer: ISSUER, jwks: JSON.parse(await readFile(published.jwks, 'utf8')) as JSONWebKeySet });
  });
  afterAll(async () => {
    await adapter?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    adapter.calls.length = 0;
  });

  const env = (extra = '') => `values:
  custom:
    fn::open::external:
      url: ${adapter.url}
      request:
        secretName: MY_API_KEY
        count: 2
${extra}`;

  it('POSTs the request with a token the adapter verifies; the answer is `response`, secret by default', async () => {
    const result = await evaluate(env());
    expect(result.diagnostics).toEqual([]);
    expect(adapter.calls).toHaveLength(1);
    const call = adapter.calls[0]!;
    expect(call.refused).toBeUndefined();
    expect(JSON.parse(call.body)).toEqual({ secretName: 'MY_API_KEY', count: 2 });
    expect(call.claims).toMatchObject({
      iss: ISSUER,
      aud: adapter.url,
      sub: 'pulumi:environments:pulumi.organization.login:acme',
      org: 'acme',
      current_env: 'proj/connect',
      root_env: 'proj/connect',
      trigger_user: 'alice',
      body_hash: expect.stringMatching(/^sha256-[A-Za-z0-9+/]{43}=$/),
    });
    expect(call.claims!.exp! - call.claims!.iat!).toBeLessThanOrEqual(60);
    expect(toJSON(result.values!, { redact: true })).toEqual({ custom: { response: '[secret]' } });
    expect(toJSON(result.values!, { redact: false })).toEqual({
      custom: { response: { request: { secretName: 'MY_API_KEY', count: 2 }, sub: 'pulumi:environments:pulumi.organization.login:acme' } },
    });
  });

  it('secret: false leaves the response in the clear; no request sends {}', async () => {
    const result = await evaluate(`values:\n  custom:\n    fn::open::external:\n      url: ${adapter.url}\n      secret: false\n`);
    expect(result.diagnostics).toEqual([]);
    expect(toJSON(result.values!, { redact: true })).toEqual({ custom: { response: { request: {}, sub: expect.any(String) } } });
  });

  it('the token is bound to the body: replayed with another body, the adapter refuses it', async () => {
    await evaluate(env());
    // Not escd's doing: shows the adapter's check is real, so the test above could fail.
    const token = await issuer.mint({ audience: adapter.url, org: 'acme', currentEnvironment: 'a', rootEnvironment: 'a', userLogin: 'x', extraClaims: { body_hash: 'sha256-AAAA' } });
    const { request } = await import('node:https');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(adapter.url, { method: 'POST', ca: adapter.ca, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('{"secretName":"OTHER"}');
    });
    expect(status).toBe(401);
    expect(adapter.calls.at(-1)?.refused).toMatch(/^Body hash mismatch/);
  });

  it("an adapter's refusal is one line at the fn::open with the status and its words", async () => {
    adapter.answerWith(404, 'Secret not found: MY_API_KEY');
    try {
      const result = await evaluate(env());
      expect(result.diagnostics.map((d) => `${d.line}: ${d.summary}`)).toEqual([`3: external: the adapter at ${adapter.url} answered HTTP 404: Secret not found: MY_API_KEY`]);
    } finally {
      adapter.answerWith(200, '{"ok":true}');
    }
  });

  it('an http:// URL or an unknown key is an error at its own line while checking, and nothing is called', async () => {
    const source = `values:\n  custom:\n    fn::open::external:\n      url: http://127.0.0.1:1/x\n      requests: {}\n`;
    for (const mode of ['check', 'eval'] as const) {
      const result = await evaluate(source, mode);
      expect(result.diagnostics.map((d) => `${d.line}: ${d.summary}`)).toEqual([
        '4: url: "http://127.0.0.1:1/x" must be an https:// URL (the adapter receives a bearer token)',
        '5: unknown property "requests"; did you mean "request"?',
      ]);
    }
    expect(adapter.calls).toEqual([]);
  });

  it('an untrusted certificate is refused', async () => {
    const result = await evaluateEnvironment('proj/connect', env(), {
      loader: (name) => Promise.reject(new Error(`no environment ${name}`)),
      providers: new Map([['external', createExternalProvider({ issuer })]]),
      cipher: testCipher,
      context: { pulumi: { user: { login: 'alice' }, organization: { login: 'acme' } } },
      mode: 'eval',
    });
    expect(result.diagnostics.map((d) => d.summary)).toEqual([expect.stringMatching(/^external: cannot reach the adapter at https:\/\/127\.0\.0\.1:\d+\/fetch-secrets: self.signed certificate/)]);
    expect(adapter.calls).toEqual([]);
  });
});
