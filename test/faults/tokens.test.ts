// The OIDC tokens escd sends to STS (issue 7, security properties): short-lived, a fresh `jti` each,
// `nbf`/`exp` that the relying party enforces. The tokens are the ones the real runtime's aws-login
// sends while evaluating environments; the verifying STS (test/support/verifying-sts.ts) checks them
// against the JWKS `escd oidc publish` wrote, on a clock the test moves.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/runtime/runtime.js';
import { assertBuilt, runCli } from '../support/cli.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';
import { VerifyingSts } from '../support/verifying-sts.js';

const ISSUER = 'https://issuer.example.test/escd';
const ROLE = 'arn:aws:iam::123456789012:role/deploy';
const ENVIRONMENTS = 20;

describe('tokens sent to STS', () => {
  let home: TmpHome;
  let sts: VerifyingSts;
  let runtime: Runtime;
  let skewMs = 0;

  /** One AssumeRoleWithWebIdentity with `token`, as the AWS Query API takes it; resolves with the error code or 'ok'. */
  async function assume(token: string): Promise<string> {
    const body = new URLSearchParams({ Action: 'AssumeRoleWithWebIdentity', Version: '2011-06-15', RoleArn: ROLE, RoleSessionName: 'tokens', WebIdentityToken: token });
    const res = await fetch(sts.endpoint, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const xml = await res.text();
    return res.ok ? 'ok' : (/<Code>([^<]+)<\/Code>/.exec(xml)?.[1] ?? `HTTP ${res.status}`);
  }

  beforeAll(async () => {
    assertBuilt();
    home = await makeTmpHome('escd-tokens-');
    const published = join(home.dir, 'published');
    sts = new VerifyingSts({ publishedDir: published, clientIds: ['aws:acme'], roles: [{ roleArn: ROLE, aud: 'aws:acme' }], now: () => Date.now() + skewMs });
    const endpoint = await sts.start();
    const escdHome = home.env.ESCD_HOME!;
    await mkdir(join(escdHome, 'environments', 'proj'), { recursive: true });
    await writeFile(join(escdHome, 'config.yaml'), `org: acme\nuser: alice\nissuer:\n  url: ${ISSUER}\naws:\n  region: us-east-1\n  stsEndpoint: ${endpoint}\n`);
    for (let i = 0; i < ENVIRONMENTS; i++) {
      await writeFile(
        join(escdHome, 'environments', 'proj', `e${i}.yaml`),
        `values:\n  login:\n    fn::open::aws-login:\n      oidc:\n        roleArn: ${ROLE}\n        sessionName: esc-${i}\n        duration: 15m\n`,
      );
    }
    const publish = await runCli(['oidc', 'publish', '--out', published], { env: home.env });
    expect(publish.code, publish.stderr).toBe(0);
    runtime = await createRuntime({ env: { PATH: process.env.PATH ?? '', ...home.env } });
  });

  afterAll(async () => {
    await sts?.stop();
    await home?.cleanup();
  });

  it('each evaluation sends a fresh, short-lived token: unique jti, nbf = iat, exp = iat + 300 s', async () => {
    const before = Math.floor(Date.now() / 1000);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < ENVIRONMENTS; i++) {
        const result = await runtime.evaluate(`proj/e${i}`, { mode: 'eval' });
        expect(result.diagnostics.filter((d) => d.severity === 'error'), `proj/e${i}`).toEqual([]);
      }
    }
    const after = Math.ceil(Date.now() / 1000);
    const accepted = sts.calls.filter((c) => c.action === 'AssumeRoleWithWebIdentity' && c.outcome === 'ok');
    expect(accepted).toHaveLength(2 * ENVIRONMENTS);
    const jtis = accepted.map((c) => c.claims?.jti);
    expect(jtis.every((j) => typeof j === 'string' && j.length >= 16)).toBe(true);
    expect(new Set(jtis).size).toBe(jtis.length);
    for (const { claims } of accepted) {
      expect(claims).toMatchObject({ iss: ISSUER, aud: 'aws:acme' });
      expect(claims!.nbf).toBe(claims!.iat);
      expect(claims!.exp! - claims!.iat!).toBe(300);
      expect(claims!.iat).toBeGreaterThanOrEqual(before);
      expect(claims!.iat).toBeLessThanOrEqual(after);
    }
  });

  it('the verifier refuses a token before its nbf and after its exp, and accepts it in between', async () => {
    const token = await runtime.tokenIssuer.mint({ audience: 'aws:acme', org: 'acme', currentEnvironment: 'proj/e0', rootEnvironment: 'proj/e0', userLogin: 'alice' });
    const { nbf, exp } = decodeJwt(token) as { nbf: number; exp: number };
    const at = async (unixSeconds: number): Promise<string> => {
      skewMs = unixSeconds * 1000 - Date.now();
      try {
        return await assume(token);
      } finally {
        skewMs = 0;
      }
    };
    expect(await at(nbf - 5)).toBe('InvalidIdentityToken');
    expect(sts.calls.at(-1)).toMatchObject({ outcome: 'InvalidIdentityToken' });
    expect(await at(nbf + 1)).toBe('ok');
    expect(await at(exp - 2)).toBe('ok');
    expect(await at(exp + 1)).toBe('ExpiredTokenException');
    // And the lifetime cannot be stretched by editing the token: the signature no longer matches.
    const [h, , s] = token.split('.') as [string, string, string];
    const stretched = `${h}.${Buffer.from(JSON.stringify({ ...decodeJwt(token), exp: exp + 3600 })).toString('base64url')}.${s}`;
    expect(await assume(stretched)).toBe('InvalidIdentityToken');
  });

  it('a lifetime over an hour cannot be configured or asked for', async () => {
    await expect(
      runtime.tokenIssuer.mint({ audience: 'aws:acme', org: 'acme', currentEnvironment: 'proj/e0', rootEnvironment: 'proj/e0', userLogin: 'alice', lifetimeSeconds: 3601 }),
    ).rejects.toThrow(/from 1 to 3600/);
    await writeFile(join(home.env.ESCD_HOME!, 'config.yaml'), `org: acme\nissuer:\n  url: ${ISSUER}\n  tokenLifetimeSeconds: 7200\n`);
    await expect(createRuntime({ env: { PATH: process.env.PATH ?? '', ...home.env } })).rejects.toThrow(/tokenLifetimeSeconds/);
  });
});
