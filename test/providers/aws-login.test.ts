// The aws-login provider with the real OIDC issuer against real STS emulators: moto (accepts any
// token) for the happy path and what is sent, the verifying STS for the refusals.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../src/clock/clock.js';
import { defaultConfig, type EscdConfig } from '../../src/config/config.js';
import { createWebIdentitySts, type WebIdentitySts } from '../../src/aws/sts-client.js';
import { escValue, fromJS, isObject, toJSON, type EscValue, type JsonObject } from '../../src/esc/value.js';
import { MemoryKeyStore } from '../../src/keystore/memory-store.js';
import { writePublication } from '../../src/oidc/discovery.js';
import { Issuer } from '../../src/oidc/issuer.js';
import type { TokenIssuer, TokenRequest } from '../../src/oidc/types.js';
import { createAwsLoginProvider } from '../../src/providers/aws-login/provider.js';
import { createProviderRegistry } from '../../src/providers/registry.js';
import type { ProviderContext } from '../../src/esc/provider.js';
import { VerifyingSts } from '../support/verifying-sts.js';
import { e2eSkipReason, motoMissing, startMoto, type Moto } from '../support/moto.js';

const ISSUER_URL = 'https://oidc.escd.test/acme';
const ROLE = 'arn:aws:iam::123456789012:role/deploy';
const execution: JsonObject = { pulumi: { user: { login: 'alice', id: 'alice' }, organization: { login: 'acme' } } };

let dir: string;
let issuer: Issuer;
/** The issuer, counting and recording what it was asked to sign. */
const minted: TokenRequest[] = [];
const countingIssuer: TokenIssuer = {
  issuerUrl: ISSUER_URL,
  mint: (request) => {
    minted.push(request);
    return issuer.mint(request);
  },
};

function context(overrides: Partial<ProviderContext> = {}): ProviderContext & { expiries: Date[] } {
  const expiries: Date[] = [];
  return { rootEnvironment: 'acme/app/dev', currentEnvironment: 'acme/app/base', execution, noteExpiry: (at) => expiries.push(at), expiries, ...overrides };
}

function field(value: EscValue, key: string): EscValue {
  if (!isObject(value.data)) throw new Error('not an object');
  const item = value.data.get(key);
  if (!item) throw new Error(`no ${key}`);
  return item;
}

const oidc = (extra: Record<string, unknown> = {}): EscValue => fromJS({ oidc: { roleArn: ROLE, sessionName: 'esc-alice', duration: '1h', ...extra } });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'escd-awslogin-'));
  issuer = new Issuer({ url: ISSUER_URL, algorithm: 'RS256', tokenLifetimeSeconds: 300, store: new MemoryKeyStore(), stateFile: join(dir, 'keys.json') });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('inputs are checked before anything is signed or sent', () => {
  const untouchable: WebIdentitySts = {
    endpoint: 'http://127.0.0.1:9',
    assumeRoleWithWebIdentity: () => Promise.reject(new Error('STS must not be called')),
  };
  const provider = createAwsLoginProvider({ issuer: countingIssuer, sts: () => untouchable, clock: systemClock });

  it.each([
    [{ oidc: { roleArn: 'arn:aws:iam::123:role/x', sessionName: 'esc-alice' } }, 'oidc.roleArn: "arn:aws:iam::123:role/x" is not an IAM role ARN'],
    [{ oidc: { roleArn: ROLE, sessionName: 'esc-alice', duration: '24h' } }, 'oidc.duration: 24h is out of range: AWS allows sessions from 15m to 12h'],
    [{ oidc: { roleArn: ROLE, sessionName: 'esc alice' } }, 'oidc.sessionName: "esc alice" must be 2 to 64 characters'],
  ])('%j', async (inputs, message) => {
    minted.length = 0;
    await expect(provider.open(fromJS(inputs), context())).rejects.toThrow(message);
    expect(minted).toHaveLength(0);
  });

  it('needs the organization for the token subject and the aws:<org> audience', async () => {
    await expect(provider.open(oidc(), context({ execution: { pulumi: { user: { login: 'alice' } } } }))).rejects.toThrow(
      'aws-login: context.pulumi.organization.login is not set, so the token subject (and the audience aws:<org>) cannot be formed',
    );
  });

  it('stops before signing when the evaluation is already cancelled', async () => {
    minted.length = 0;
    const controller = new AbortController();
    controller.abort();
    await expect(provider.open(oidc(), context({ signal: controller.signal }))).rejects.toThrow();
    expect(minted).toHaveLength(0);
  });

  it('static credentials come back secret, with no expiry and no call', async () => {
    minted.length = 0;
    const ctx = context();
    const out = await provider.open(fromJS({ static: { accessKeyId: 'AKIDSTATIC', secretAccessKey: 'shh' } }), ctx);
    expect(toJSON(out, { redact: false })).toEqual({ accessKeyId: 'AKIDSTATIC', secretAccessKey: 'shh', sessionToken: '' });
    expect(toJSON(out, { redact: true })).toEqual({ accessKeyId: '[secret]', secretAccessKey: '[secret]', sessionToken: '[secret]' });
    expect(ctx.expiries).toEqual([]);
    expect(minted).toHaveLength(0);
  });

  it('static inputs that are secret in the environment stay secret', async () => {
    const inputs = escValue(new Map([['static', fromJS({ accessKeyId: 'AKID', secretAccessKey: 'shh' }, { secret: true })]]));
    const out = await provider.open(inputs, context());
    expect(field(out, 'secretAccessKey').secret).toBe(true);
  });
});

describe.skipIf(e2eSkipReason(motoMissing()))('against moto', () => {
  let moto: Moto;
  let sts: WebIdentitySts;

  beforeAll(async () => {
    moto = await startMoto();
    sts = createWebIdentitySts({ region: 'us-east-1', endpoint: moto.endpoint });
  }, 30_000);
  afterAll(async () => {
    await moto?.stop();
  });

  it('mints a token for aws:<org>, assumes the role, and returns working secret credentials with their expiry', async () => {
    await moto.reset();
    minted.length = 0;
    const provider = createAwsLoginProvider({ issuer: countingIssuer, sts: () => sts, clock: systemClock });
    const ctx = context();
    const before = Date.now();
    const out = await provider.open(oidc({ policyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'] }), ctx);

    for (const key of ['accessKeyId', 'secretAccessKey', 'sessionToken']) expect(field(out, key).secret, key).toBe(true);
    expect(field(out, 'expiration').secret).toBe(false);
    expect(out.secret).toBe(false);
    const expiration = new Date(field(out, 'expiration').data as string);
    // moto honours DurationSeconds.
    expect(Math.abs(expiration.getTime() - (before + 3600_000))).toBeLessThan(60_000);
    expect(ctx.expiries).toEqual([expiration]);

    expect(minted).toEqual([{ audience: 'aws:acme', org: 'acme', currentEnvironment: 'acme/app/base', rootEnvironment: 'acme/app/dev', userLogin: 'alice' }]);
    const calls = (await moto.calls()).filter((c) => c.action === 'AssumeRoleWithWebIdentity');
    expect(calls).toHaveLength(1);
    const p = calls[0]!.params;
    expect([p.get('RoleArn'), p.get('RoleSessionName'), p.get('DurationSeconds'), p.get('PolicyArns.member.1.arn')]).toEqual([ROLE, 'esc-alice', '3600', 'arn:aws:iam::aws:policy/ReadOnlyAccess']);
    expect(calls[0]!.headers.Authorization).toBeUndefined();
    const claims = decodeJwt(p.get('WebIdentityToken')!);
    expect(claims).toMatchObject({
      iss: ISSUER_URL,
      aud: 'aws:acme',
      sub: 'pulumi:environments:pulumi.organization.login:acme',
      current_env: 'acme/app/base',
      root_env: 'acme/app/dev',
      trigger_user: 'alice',
    });

    const plain = toJSON(out, { redact: false }) as Record<string, string>;
    const who = await new STSClient({
      region: 'us-east-1',
      endpoint: moto.endpoint,
      credentials: { accessKeyId: plain.accessKeyId!, secretAccessKey: plain.secretAccessKey!, sessionToken: plain.sessionToken! },
    }).send(new GetCallerIdentityCommand({}));
    expect(who.Arn).toBe('arn:aws:sts::123456789012:assumed-role/deploy/esc-alice');
  });

  it('passes subjectAttributes to the issuer and uses the reference default of 2h', async () => {
    await moto.reset();
    minted.length = 0;
    const provider = createAwsLoginProvider({ issuer: countingIssuer, sts: () => sts, clock: systemClock });
    await provider.open(fromJS({ oidc: { roleArn: ROLE, sessionName: 'esc-alice', subjectAttributes: ['currentEnvironment.name', 'pulumi.user.login'] } }), context());
    expect(minted[0]!.subjectAttributes).toEqual(['currentEnvironment.name', 'pulumi.user.login']);
    const call = (await moto.calls()).find((c) => c.action === 'AssumeRoleWithWebIdentity')!;
    expect(call.params.get('DurationSeconds')).toBe('7200');
    expect(decodeJwt(call.params.get('WebIdentityToken')!).sub).toBe(
      'pulumi:environments:pulumi.organization.login:acme:currentEnvironment.name:acme/app/base:pulumi.user.login:alice',
    );
  });

  it('refuses credentials that STS says have already expired (a wrong clock)', async () => {
    const clock = new ManualClock(Date.now() + 24 * 3600_000);
    const provider = createAwsLoginProvider({ issuer: countingIssuer, sts: () => sts, clock });
    const ctx = context();
    await expect(provider.open(oidc(), ctx)).rejects.toThrow(/^aws-login: STS at http:\/\/127\.0\.0\.1:\d+ returned credentials that expired at .*: is this computer's clock right\?$/);
    expect(ctx.expiries).toEqual([]);
  });

  describe('createProviderRegistry', () => {
    const config = (aws: EscdConfig['aws']): EscdConfig => ({ ...defaultConfig({}), org: 'acme', aws });

    it('offers aws-login (and the other providers), reaching STS through AWS_ENDPOINT_URL_STS', async () => {
      await moto.reset();
      const registry = createProviderRegistry({ config: config({ region: 'eu-west-1' }), issuer: countingIssuer, env: { AWS_ENDPOINT_URL_STS: moto.endpoint } });
      expect([...registry.keys()]).toEqual(expect.arrayContaining(['aws-login', 'aws-secrets', 'aws-parameter-store']));
      await registry.get('aws-login')!.open(oidc(), context());
      expect(await moto.count('AssumeRoleWithWebIdentity')).toBe(1);
    });

    it('or through config aws.stsEndpoint', async () => {
      await moto.reset();
      const registry = createProviderRegistry({ config: config({ region: 'eu-west-1', stsEndpoint: moto.endpoint }), issuer: countingIssuer, env: {} });
      await registry.get('aws-login')!.open(oidc(), context());
      expect(await moto.count('AssumeRoleWithWebIdentity')).toBe(1);
    });

    it('reports a bad endpoint setting as one line naming it', async () => {
      const registry = createProviderRegistry({ config: config({ region: 'eu-west-1' }), issuer: countingIssuer, env: { AWS_ENDPOINT_URL_STS: 'localhost:4566' } });
      await expect(registry.get('aws-login')!.open(oidc(), context())).rejects.toThrow('AWS_ENDPOINT_URL_STS: "localhost:4566" must be an http:// or https:// URL');
    });
  });
});

describe('against the verifying STS (checks signature, iss, aud, sub, expiry, trust)', () => {
  let verifying: VerifyingSts;
  let endpoint: string;
  const GOOD_SUB = 'pulumi:environments:pulumi.organization.login:acme';

  beforeAll(async () => {
    const published = join(dir, 'published');
    await writePublication(published, ISSUER_URL, await issuer.jwks());
    verifying = new VerifyingSts({
      publishedDir: published,
      roles: [
        { roleArn: ROLE, aud: 'aws:acme', sub: GOOD_SUB },
        { roleArn: 'arn:aws:iam::123456789012:role/other-org', aud: 'aws:globex' },
        { roleArn: 'arn:aws:iam::123456789012:role/custom-aud', aud: 'sts.amazonaws.com', sub: GOOD_SUB },
      ],
    });
    endpoint = await verifying.start();
  });
  afterAll(async () => {
    await verifying?.stop();
  });

  const open = (inputs: EscValue, tokenIssuer: TokenIssuer = countingIssuer): Promise<EscValue> =>
    createAwsLoginProvider({ issuer: tokenIssuer, sts: () => createWebIdentitySts({ region: 'us-east-1', endpoint, maxAttempts: 1 }), clock: systemClock }).open(inputs, context());

  it('config aws.audience replaces aws:<org> as the token audience', async () => {
    const customRole = 'arn:aws:iam::123456789012:role/custom-aud';
    const inputs = fromJS({ oidc: { roleArn: customRole, sessionName: 'esc-alice', duration: '1h' } });
    await expect(open(inputs)).rejects.toThrow('the token has aud "aws:acme"');
    const registry = createProviderRegistry({
      config: { ...defaultConfig({}), org: 'acme', aws: { region: 'us-east-1', stsEndpoint: endpoint, audience: 'sts.amazonaws.com' } },
      issuer: countingIssuer,
      env: {},
    });
    const out = await registry.get('aws-login')!.open(inputs, context());
    expect(typeof field(out, 'sessionToken').data).toBe('string');
    expect(verifying.calls.at(-1)).toMatchObject({ action: 'AssumeRoleWithWebIdentity', outcome: 'ok' });
  });

  it('a token matching the trust policy gets credentials', async () => {
    const out = await open(oidc());
    expect(typeof field(out, 'sessionToken').data).toBe('string');
    expect(verifying.calls.at(-1)).toMatchObject({ action: 'AssumeRoleWithWebIdentity', outcome: 'ok' });
  });

  it('a wrong aud is refused with the AccessDenied line naming aud and sub', async () => {
    await expect(open(fromJS({ oidc: { roleArn: 'arn:aws:iam::123456789012:role/other-org', sessionName: 'esc-alice', duration: '1h' } }))).rejects.toThrow(
      `STS refused to let the token assume arn:aws:iam::123456789012:role/other-org (AccessDenied): the token has aud "aws:acme" and sub "${GOOD_SUB}", ` +
        "which the role's trust policy must match (conditions on oidc.escd.test/acme:aud and oidc.escd.test/acme:sub; escd oidc trust-policy prints one), or the role does not exist",
    );
  });

  it('a wrong sub (subjectAttributes the policy does not expect) is refused, naming the sub', async () => {
    const err = await open(oidc({ subjectAttributes: ['pulumi.user.login'] })).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('(AccessDenied): the token has aud "aws:acme" and sub "pulumi:environments:pulumi.organization.login:acme:pulumi.user.login:alice"');
    expect(verifying.calls.at(-1)).toMatchObject({ outcome: 'AccessDenied' });
  });

  it('a token from an issuer the account does not trust is InvalidIdentityToken, naming the issuer', async () => {
    const stranger = new Issuer({ url: 'https://stranger.example', algorithm: 'RS256', tokenLifetimeSeconds: 300, store: new MemoryKeyStore(), stateFile: join(dir, 'stranger.json') });
    await expect(open(oidc(), stranger)).rejects.toThrow(/^STS does not accept tokens from issuer https:\/\/stranger\.example \(InvalidIdentityToken\)/);
  });

  it('a duration above the role maximum says to shorten oidc.duration', async () => {
    await expect(open(oidc({ duration: '2h' }))).rejects.toThrow(/\(ValidationError\): set a shorter oidc\.duration/);
  });
});
