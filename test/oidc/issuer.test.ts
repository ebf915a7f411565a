import { join } from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock/clock.js';
import { MemoryKeyStore } from '../../src/keystore/memory-store.js';
import { Issuer } from '../../src/oidc/issuer.js';
import type { TokenRequest } from '../../src/oidc/types.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

const request: TokenRequest = {
  audience: 'aws:acme',
  org: 'acme',
  currentEnvironment: 'proj/dev',
  rootEnvironment: 'proj/app',
  userLogin: 'alice',
  subjectAttributes: ['currentEnvironment.name'],
};
const URL_ = 'https://issuer.example.test/escd';

describe('Issuer', () => {
  let home: TmpHome;
  let store: MemoryKeyStore;
  let clock: ManualClock;
  let stateFile: string;
  const issuer = (algorithm: 'RS256' | 'ES256' = 'RS256') => new Issuer({ url: URL_, algorithm, tokenLifetimeSeconds: 300, store, stateFile, clock });
  const verify = async (token: string, at = clock.now()) =>
    jwtVerify(token, createLocalJWKSet(await issuer().jwks()), { issuer: URL_, audience: 'aws:acme', currentDate: new Date(at) });

  beforeEach(async () => {
    home = await makeTmpHome();
    store = new MemoryKeyStore();
    clock = new ManualClock(Date.UTC(2026, 5, 1, 8, 0, 0));
    stateFile = join(home.dir, 'state', 'oidc', 'signing-keys.json');
  });
  afterEach(() => home.cleanup());

  it('creates its key on first use, keeps the private key in the key store, and signs verifiable tokens', async () => {
    const iss = issuer();
    expect(await iss.keys()).toEqual([]);
    expect(store.entries.size).toBe(0);
    const token = await iss.mint(request);
    const [info] = await iss.keys();
    expect(info).toMatchObject({ alg: 'RS256', active: true, createdAt: '2026-06-01T08:00:00.000Z' });
    expect([...store.entries.keys()]).toEqual([`oidc-signing-key:${info!.kid}`]);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', kid: info!.kid, typ: 'JWT' });
    const { payload } = await verify(token);
    expect(payload).toEqual({
      iss: URL_,
      aud: 'aws:acme',
      sub: 'pulumi:environments:pulumi.organization.login:acme:currentEnvironment.name:proj/dev',
      current_env: 'proj/dev',
      root_env: 'proj/app',
      trigger_user: 'alice',
      iat: 1780300800,
      nbf: 1780300800,
      exp: 1780301100,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    const second = await verify(await iss.mint(request));
    expect(second.payload.jti).not.toBe(payload.jti);
  });

  it('checkActiveKey reports no key before first use, then the active key', async () => {
    expect(await issuer().checkActiveKey()).toBeUndefined();
    const [{ kid }] = (await issuer().jwks()).keys as [{ kid: string }];
    expect(await issuer().checkActiveKey()).toEqual({ kid, alg: 'RS256' });
  });

  it('publishes public key members only', async () => {
    const jwks = await issuer().jwks();
    expect(jwks.keys).toHaveLength(1);
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(jwks.keys[0]).not.toHaveProperty(member);
    expect(Object.keys(jwks.keys[0]!).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
  });

  it('rotation keeps tokens of the old key verifiable until they have expired, then drops the key', async () => {
    const iss = issuer();
    const oldToken = await iss.mint(request);
    const oldKid = decodeProtectedHeader(oldToken).kid!;
    clock.advance(60_000);
    const rotated = await iss.rotate();
    expect(rotated.kid).not.toBe(oldKid);
    expect(rotated.dropped).toEqual([]);
    const newToken = await iss.mint(request);
    expect(decodeProtectedHeader(newToken).kid).toBe(rotated.kid);
    await expect(verify(oldToken)).resolves.toBeDefined();
    await expect(verify(newToken)).resolves.toBeDefined();
    expect((await iss.keys()).map((k) => [k.kid, k.active])).toEqual([
      [oldKid, false],
      [rotated.kid, true],
    ]);
    // Past the longest possible lifetime of its tokens (1 h) plus skew, the old key leaves the JWKS...
    clock.advance(3600_000 + 300_000);
    expect((await iss.jwks()).keys.map((k) => k.kid)).toEqual([rotated.kid]);
    // ...and the next rotation deletes its private key.
    const again = await iss.rotate();
    expect(again.dropped).toEqual([oldKid]);
    expect(store.entries.has(`oidc-signing-key:${oldKid}`)).toBe(false);
    expect(store.entries.has(`oidc-signing-key:${rotated.kid}`)).toBe(true);
  });

  it('a prepared key is in the JWKS before it signs, so tokens after the rotation verify against the earlier JWKS', async () => {
    const iss = issuer();
    const before = await iss.mint(request);
    const prepared = await iss.prepare();
    const published = await iss.jwks();
    expect(published.keys.map((k) => k.kid)).toContain(prepared.kid);
    expect(decodeProtectedHeader(await iss.mint(request)).kid).toBe(decodeProtectedHeader(before).kid);
    await expect(iss.prepare()).rejects.toThrow(`key ${prepared.kid} is already prepared`);
    expect((await iss.keys()).map((k) => [k.active, k.next])).toEqual([
      [true, false],
      [false, true],
    ]);
    clock.advance(86_400_000);
    const rotated = await iss.rotate();
    expect(rotated).toMatchObject({ kid: prepared.kid, wasPrepared: true });
    const after = await iss.mint(request);
    expect(decodeProtectedHeader(after).kid).toBe(prepared.kid);
    await expect(jwtVerify(after, createLocalJWKSet(published), { issuer: URL_, currentDate: new Date(clock.now()) })).resolves.toBeDefined();
  });

  it('signs with ES256 when configured', async () => {
    const token = await issuer('ES256').mint(request);
    expect(decodeProtectedHeader(token).alg).toBe('ES256');
    const jwks = await issuer('ES256').jwks();
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
    await expect(verify(token)).resolves.toBeDefined();
  });

  it('two issuers racing to create the first key agree on one', async () => {
    const tokens = await Promise.all([issuer().mint(request), issuer().mint(request), issuer().mint(request)]);
    const kids = new Set(tokens.map((t) => decodeProtectedHeader(t).kid));
    expect(kids.size).toBe(1);
    expect((await issuer().keys()).length).toBe(1);
  });

  it('a token lifetime beyond an hour is refused', async () => {
    await expect(issuer().mint({ ...request, lifetimeSeconds: 7200 })).rejects.toThrow('token lifetime must be a whole number of seconds from 1 to 3600 (got 7200)');
  });

  it('a damaged private key is reported without quoting it', async () => {
    const [{ kid }] = (await issuer().jwks()).keys as [{ kid: string }];
    store.entries.set(`oidc-signing-key:${kid}`, '{"kty":"RSA","d":"SECRETSTUFF"');
    const err = await issuer().mint(request).catch((e: Error) => e);
    expect((err as Error).message).toBe(`the private signing key ${kid} in the (memory) is damaged (not JSON)`);
  });

  it('a missing private key is one clear error', async () => {
    await issuer().jwks();
    store.entries.clear();
    await expect(issuer().checkActiveKey()).rejects.toThrow(/the private signing key .+ is missing/);
    await expect(issuer().mint(request)).rejects.toThrow(/the private signing key .+ is missing from \(memory\); restore the key store from its backup, or run `escd keys replace signing --yes` \(relying parties reject/);
  });
});
