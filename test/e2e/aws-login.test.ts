// End to end: the issue's example environment (fn::open::aws-login with oidc, projected into
// environmentVariables) through the real evaluator, the real OIDC issuer and a real STS emulator;
// then the real AWS CLI, given those variables, asks STS who it is.
//  - moto: accepts any token; proves the credentials are real moto sessions for the role.
//  - the verifying STS (test/support): checks the token against the published JWKS and the role's
//    trust policy, and the CLI's SigV4 signature on GetCallerIdentity; refuses a wrong aud/sub.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/config.js';
import { evaluateEnvironment } from '../../src/esc/evaluate.js';
import type { EvaluateResult } from '../../src/esc/types.js';
import { isObject, toJSON, type EscValue, type JsonObject } from '../../src/esc/value.js';
import { MemoryKeyStore } from '../../src/keystore/memory-store.js';
import { writePublication } from '../../src/oidc/discovery.js';
import { Issuer } from '../../src/oidc/issuer.js';
import { createProviderRegistry } from '../../src/providers/registry.js';
import type { Cipher } from '../../src/secrets/cipher.js';
import { assertBuilt, runCli } from '../support/cli.js';
import { makeTmpHome } from '../support/tmp-home.js';
import { awsCliMissing, e2eSkipReason, motoMissing, startMoto, type Moto } from '../support/moto.js';
import { VerifyingSts } from '../support/verifying-sts.js';

const ISSUER_URL = 'https://oidc.escd.test/acme';
const ENV_NAME = 'acme/app/dev';

// The example of issue 3 (and of the seed documents), unchanged.
const EXAMPLE = `values:
  aws:
    login:
      fn::open::aws-login:
        oidc:
          duration: 1h
          roleArn: arn:aws:iam::123456789012:role/deploy
          sessionName: esc-\${context.pulumi.user.login}
  environmentVariables:
    AWS_ACCESS_KEY_ID: \${aws.login.accessKeyId}
    AWS_SECRET_ACCESS_KEY: \${aws.login.secretAccessKey}
    AWS_SESSION_TOKEN: \${aws.login.sessionToken}
`;

const execution: JsonObject = { pulumi: { user: { login: 'alice', id: 'alice' }, organization: { login: 'acme' } } };
const noSecretsAtRest: Cipher = {
  encrypt: () => Promise.reject(new Error('not used')),
  decrypt: () => Promise.reject(new Error('not used')),
};

let dir: string;
let issuer: Issuer;

function evaluate(source: string, endpoint: string, mode: 'eval' | 'check' = 'eval'): Promise<EvaluateResult> {
  const config = { ...defaultConfig({}), org: 'acme', user: 'alice', issuer: { url: ISSUER_URL, algorithm: 'RS256' as const, tokenLifetimeSeconds: 300 } };
  const providers = createProviderRegistry({ config, issuer, env: { AWS_ENDPOINT_URL_STS: endpoint } });
  return evaluateEnvironment(ENV_NAME, source, {
    loader: (name) => Promise.reject(new Error(`no environment ${name}`)),
    providers,
    cipher: noSecretsAtRest,
    context: execution,
    mode,
  });
}

function environmentVariables(values: EscValue | undefined): EscValue {
  if (!values || !isObject(values.data)) throw new Error('no values');
  const vars = values.data.get('environmentVariables');
  if (!vars) throw new Error('no environmentVariables');
  return vars;
}

function awsCli(args: string[], vars: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('aws', args, {
      env: { PATH: process.env.PATH ?? '', HOME: dir, AWS_CONFIG_FILE: join(dir, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'), ...vars },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const skip = e2eSkipReason(motoMissing(), awsCliMissing());

describe.skipIf(skip)('aws-login end to end', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'escd-e2e-aws-'));
    issuer = new Issuer({ url: ISSUER_URL, algorithm: 'RS256', tokenLifetimeSeconds: 300, store: new MemoryKeyStore(), stateFile: join(dir, 'keys.json') });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('against moto', () => {
    let moto: Moto;
    beforeAll(async () => {
      moto = await startMoto();
    }, 30_000);
    afterAll(async () => {
      await moto?.stop();
    });

    it('checking the environment calls no STS', async () => {
      const result = await evaluate(EXAMPLE, moto.endpoint, 'check');
      expect(result.diagnostics).toEqual([]);
      expect(await moto.count('AssumeRoleWithWebIdentity')).toBe(0);
    });

    it('opening it gives credentials that `aws sts get-caller-identity` reports as the assumed role', async () => {
      const before = Date.now();
      const result = await evaluate(EXAMPLE, moto.endpoint);
      expect(result.diagnostics).toEqual([]);
      expect(await moto.count('AssumeRoleWithWebIdentity')).toBe(1);
      // duration: 1h, and the evaluation reports the session's end for the cache.
      expect(Math.abs(result.expiresAt!.getTime() - (before + 3600_000))).toBeLessThan(60_000);

      const vars = environmentVariables(result.values);
      expect(toJSON(vars, { redact: true })).toEqual({ AWS_ACCESS_KEY_ID: '[secret]', AWS_SECRET_ACCESS_KEY: '[secret]', AWS_SESSION_TOKEN: '[secret]' });
      const plain = toJSON(vars, { redact: false }) as Record<string, string>;

      const who = await awsCli(['sts', 'get-caller-identity', '--endpoint-url', moto.endpoint, '--region', 'us-east-1', '--output', 'json'], plain);
      expect(who.stderr).toBe('');
      expect(who.code).toBe(0);
      expect(JSON.parse(who.stdout)).toMatchObject({ Account: '123456789012', Arn: 'arn:aws:sts::123456789012:assumed-role/deploy/esc-alice' });
    });
  });

  // The user's path: the built CLI, a config file and an environment file in an isolated home.
  describe('escd open / escd run against moto', () => {
    let moto: Moto;
    let home: Awaited<ReturnType<typeof makeTmpHome>>;
    let env: Record<string, string>;

    beforeAll(async () => {
      assertBuilt();
      moto = await startMoto();
      home = await makeTmpHome();
      const escdHome = home.env.ESCD_HOME!;
      await mkdir(join(escdHome, 'environments', 'app'), { recursive: true });
      // The daemon's endpoint comes from config.yaml; the shell's (for the AWS CLI that `escd run` starts) agrees.
      await writeFile(join(escdHome, 'config.yaml'), `org: acme\nuser: alice\nissuer:\n  url: ${ISSUER_URL}\naws:\n  stsEndpoint: ${moto.endpoint}\n`);
      await writeFile(join(escdHome, 'environments', 'app', 'dev.yaml'), EXAMPLE);
      env = { ...home.env, AWS_ENDPOINT_URL_STS: moto.endpoint };
    }, 30_000);
    afterAll(async () => {
      await moto?.stop();
      await home?.cleanup();
    });

    it('escd open shows the login (an explicit open shows values), with its expiration', async () => {
      const open = await runCli(['open', 'app/dev'], { env });
      expect(open.stderr).toBe('');
      expect(open.code).toBe(0);
      const shown = JSON.parse(open.stdout) as { aws: { login: Record<string, string> }; environmentVariables: Record<string, string> };
      expect(shown.aws.login).toMatchObject({ accessKeyId: expect.stringMatching(/^ASIA/), secretAccessKey: expect.any(String), sessionToken: expect.any(String) });
      expect(Date.parse(shown.aws.login.expiration!)).toBeGreaterThan(Date.now() + 3500_000);
      expect(shown.environmentVariables).toEqual({ AWS_ACCESS_KEY_ID: shown.aws.login.accessKeyId, AWS_SECRET_ACCESS_KEY: shown.aws.login.secretAccessKey, AWS_SESSION_TOKEN: shown.aws.login.sessionToken });
    });

    it('escd run gives the AWS CLI the assumed role', async () => {
      const run = await runCli(['run', 'app/dev', '--', 'aws', 'sts', 'get-caller-identity', '--region', 'us-east-1', '--output', 'json'], { env });
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ Arn: 'arn:aws:sts::123456789012:assumed-role/deploy/esc-alice' });
    });

    it('an unreachable STS is one line naming the file, the line and the endpoint', async () => {
      // In this process (--no-daemon), the shell's endpoint is the one used.
      const open = await runCli(['open', '--no-daemon', 'app/dev'], { env: { ...env, AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:1' } });
      expect(open.code).not.toBe(0);
      const lines = open.stderr.trim().split('\n');
      expect(lines).toEqual(['escd: --no-daemon: evaluating in this process (no daemon, no cache)', expect.any(String)]);
      expect(lines[1]).toMatch(/dev\.yaml:4:\d+: error: cannot reach STS at http:\/\/127\.0\.0\.1:1: connection refused \(ECONNREFUSED\)/);
    });

    it('a shell whose endpoint differs from the daemon\'s gets one warning naming both and the fix', async () => {
      const open = await runCli(['open', 'app/dev'], { env: { ...env, AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:1' } });
      expect(open.code).toBe(0);
      expect(open.stderr).toBe(
        `escd: warning: this shell sets the STS endpoint http://127.0.0.1:1, but the daemon uses ${moto.endpoint} (aws.stsEndpoint); run \`escd restart\` in this shell to use http://127.0.0.1:1, or set aws.stsEndpoint in config.yaml\n`,
      );
    });
  });

  describe('against the verifying STS', () => {
    let sts: VerifyingSts;
    let endpoint: string;
    const TRUSTED_SUB = 'pulumi:environments:pulumi.organization.login:acme:currentEnvironment.name:acme/app/prod';

    beforeAll(async () => {
      const published = join(dir, 'published');
      await writePublication(published, ISSUER_URL, await issuer.jwks());
      sts = new VerifyingSts({
        publishedDir: published,
        clientIds: ['aws:acme'],
        roles: [
          { roleArn: 'arn:aws:iam::123456789012:role/deploy', aud: 'aws:acme' },
          { roleArn: 'arn:aws:iam::123456789012:role/prod-only', aud: 'aws:acme', sub: TRUSTED_SUB },
        ],
      });
      endpoint = await sts.start();
    });
    afterAll(async () => {
      await sts?.stop();
    });

    it('a trusted token gets credentials, and the CLI signs GetCallerIdentity with them', async () => {
      const result = await evaluate(EXAMPLE, endpoint);
      expect(result.diagnostics).toEqual([]);
      const plain = toJSON(environmentVariables(result.values), { redact: false }) as Record<string, string>;
      const who = await awsCli(['sts', 'get-caller-identity', '--endpoint-url', endpoint, '--region', 'us-east-1', '--output', 'json'], plain);
      expect(who.code).toBe(0);
      expect(JSON.parse(who.stdout)).toMatchObject({ Arn: 'arn:aws:sts::123456789012:assumed-role/deploy/esc-alice' });
      expect(sts.calls.slice(-2).map((c) => [c.action, c.outcome])).toEqual([
        ['AssumeRoleWithWebIdentity', 'ok'],
        ['GetCallerIdentity', 'ok'],
      ]);
    });

    it('a sub the trust policy does not allow is refused with one line naming aud and sub', async () => {
      const source = EXAMPLE.replace('role/deploy', 'role/prod-only').replace(
        'sessionName: esc-',
        'subjectAttributes: [currentEnvironment.name]\n          sessionName: esc-',
      );
      const result = await evaluate(source, endpoint);
      expect(result.diagnostics).toHaveLength(1);
      const [d] = result.diagnostics;
      expect(d).toMatchObject({ severity: 'error', file: ENV_NAME, path: 'values.aws.login', line: 4 });
      expect(d!.summary).toBe(
        'STS refused to let the token assume arn:aws:iam::123456789012:role/prod-only (AccessDenied): the token has aud "aws:acme" and ' +
          'sub "pulumi:environments:pulumi.organization.login:acme:currentEnvironment.name:acme/app/dev", which the role\'s trust policy must match ' +
          '(conditions on oidc.escd.test/acme:aud and oidc.escd.test/acme:sub; escd oidc trust-policy prints one), or the role does not exist',
      );
      expect(sts.calls.at(-1)).toMatchObject({ action: 'AssumeRoleWithWebIdentity', outcome: 'AccessDenied' });
      // Nothing half-made is projected: the credentials are unknown, not empty.
      expect(toJSON(environmentVariables(result.values), { redact: false })).toEqual({
        AWS_ACCESS_KEY_ID: '[unknown]',
        AWS_SECRET_ACCESS_KEY: '[unknown]',
        AWS_SESSION_TOKEN: '[unknown]',
      });
    });

    it('a wrong aud is refused before the trust policy (the IAM OIDC provider lists the audiences)', async () => {
      const strange = { ...execution, pulumi: { ...(execution.pulumi as JsonObject), organization: { login: 'globex' } } };
      const providers = createProviderRegistry({
        config: { ...defaultConfig({}), org: 'globex', user: 'alice' },
        issuer,
        env: { AWS_ENDPOINT_URL_STS: endpoint },
      });
      const result = await evaluateEnvironment(ENV_NAME, EXAMPLE, { loader: () => Promise.reject(new Error('none')), providers, cipher: noSecretsAtRest, context: strange, mode: 'eval' });
      expect(result.diagnostics.map((d) => d.summary)).toEqual([
        expect.stringMatching(/^STS does not accept tokens from issuer https:\/\/oidc\.escd\.test\/acme \(InvalidIdentityToken\): .* STS said: "Incorrect token audience"$/),
      ]);
    });
  });
});
