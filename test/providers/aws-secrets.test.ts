// aws-secrets and aws-parameter-store through the real evaluator and AWS SDK against moto, with
// secrets and parameters made by the real AWS CLI: values, secret flags, where a failure is
// reported, and that a wrong input is caught while checking, before any call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/config.js';
import { evaluateEnvironment } from '../../src/esc/evaluate.js';
import type { EvaluateResult } from '../../src/esc/types.js';
import { toJSON } from '../../src/esc/value.js';
import { createProviderRegistry } from '../../src/providers/registry.js';
import type { TokenIssuer } from '../../src/oidc/types.js';
import { testCipher } from '../support/test-cipher.js';
import { awsCli } from '../support/aws-cli.js';
import { awsCliMissing, e2eSkipReason, motoMissing, startMoto, type Moto } from '../support/moto.js';

const noIssuer: TokenIssuer = { issuerUrl: 'https://issuer.test', mint: () => Promise.reject(new Error('not used')) };

const LOGIN = `  aws:
    login:
      fn::open::aws-login:
        static:
          accessKeyId: AKIAEXAMPLE000000001
          secretAccessKey: example-secret-key
`;

function evaluate(moto: Moto, source: string, mode: 'check' | 'eval' = 'eval', env: Record<string, string> = { AWS_ENDPOINT_URL: moto.endpoint }): Promise<EvaluateResult> {
  return evaluateEnvironment('proj/app', source, {
    loader: (name) => Promise.reject(new Error(`no environment ${name}`)),
    providers: createProviderRegistry({ config: defaultConfig({}), issuer: noIssuer, env }),
    cipher: testCipher,
    context: { pulumi: { user: { login: 'tester' }, organization: { login: 'local' } } },
    mode,
  });
}

const skip = e2eSkipReason(motoMissing(), awsCliMissing());

describe.skipIf(skip)('aws-secrets and aws-parameter-store against moto', () => {
  let moto: Moto;
  beforeAll(async () => {
    moto = await startMoto();
    const cli = (...args: string[]) => awsCli(moto.endpoint, [...args, '--region', 'us-west-1']);
    await cli('secretsmanager', 'create-secret', '--name', 'api-key', '--secret-string', 'key-7d1e');
    await cli('secretsmanager', 'create-secret', '--name', 'prod-db', '--secret-string', '{"userName":"app","password":"pw-93c2"}');
    await cli('ssm', 'put-parameter', '--name', '/app/url', '--type', 'String', '--value', 'app.example/v1');
    await cli('ssm', 'put-parameter', '--name', '/app/token', '--type', 'SecureString', '--value', 'tok-55aa');
    await cli('ssm', 'put-parameter', '--name', '/app/hosts', '--type', 'StringList', '--value', 'a.example,b.example');
    await cli('ssm', 'put-parameter', '--name', '/app/url', '--type', 'String', '--value', 'app.example/v2', '--overwrite');
  }, 120_000);
  afterAll(async () => {
    await moto?.stop();
  });

  const ENV = `values:
${LOGIN}    secrets:
      fn::open::aws-secrets:
        region: us-west-1
        login: \${aws.login}
        get:
          api-key:
            secretId: api-key
          db:
            secretId: prod-db
    params:
      fn::open::aws-parameter-store:
        region: us-west-1
        login: \${aws.login}
        get:
          url:
            name: /app/url
          firstUrl:
            name: /app/url:1
          token:
            name: /app/token
            decrypt: true
          hosts:
            name: /app/hosts
  db: \${aws.secrets.db}
`;

  it('opens secrets and parameters with the login, secrets and SecureStrings secret', async () => {
    const result = await evaluate(moto, ENV);
    expect(result.diagnostics).toEqual([]);
    const values = toJSON(result.values!, { redact: false }) as { aws: Record<string, unknown> };
    expect(values.aws.secrets).toEqual({ 'api-key': 'key-7d1e', db: '{"userName":"app","password":"pw-93c2"}' });
    expect(values.aws.params).toEqual({ url: 'app.example/v2', firstUrl: 'app.example/v1', token: 'tok-55aa', hosts: ['a.example', 'b.example'] });
    const redacted = toJSON(result.values!, { redact: true }) as { aws: Record<string, unknown>; db: unknown };
    expect(redacted.aws.secrets).toEqual({ 'api-key': '[secret]', db: '[secret]' });
    expect(redacted.aws.params).toEqual({ url: 'app.example/v2', firstUrl: 'app.example/v1', token: '[secret]', hosts: ['a.example', 'b.example'] });
    expect(redacted.db).toBe('[secret]');
    // The calls were signed with the login's access key.
    const reads = (await moto.calls()).filter((c) => c.action === 'GetSecretValue' || c.action === 'GetParameter');
    expect(reads).toHaveLength(6);
    for (const call of reads) expect(call.headers.Authorization ?? call.headers.authorization).toContain('Credential=AKIAEXAMPLE000000001/');
  });

  it('a SecureString read without decrypt stays secret (the ciphertext, as AWS returns it)', async () => {
    const source = `values:
${LOGIN}    params:
      fn::open::aws-parameter-store:
        region: us-west-1
        login: \${aws.login}
        get:
          token:
            name: /app/token
`;
    const result = await evaluate(moto, source);
    expect(result.diagnostics).toEqual([]);
    const redacted = toJSON(result.values!, { redact: true }) as { aws: { params: unknown } };
    expect(redacted.aws.params).toEqual({ token: '[secret]' });
    const plain = toJSON(result.values!, { redact: false }) as { aws: { params: { token: string } } };
    expect(plain.aws.params.token).not.toBe('tok-55aa');
  });

  it('a secret or parameter that cannot be read is an error at its own get entry, with the AWS code and the likely cause', async () => {
    const source = `values:
${LOGIN}    secrets:
      fn::open::aws-secrets:
        region: us-west-1
        login: \${aws.login}
        get:
          good:
            secretId: api-key
          missing:
            secretId: no-such-secret
    params:
      fn::open::aws-parameter-store:
        region: us-west-1
        login: \${aws.login}
        get:
          nope:
            name: /app/nope
`;
    const result = await evaluate(moto, source);
    const errors = result.diagnostics.map((d) => ({ line: d.line, summary: d.summary }));
    expect(errors).toEqual([
      {
        line: 16,
        summary: expect.stringMatching(/^cannot read secret "no-such-secret" \(ResourceNotFoundException\): there is no secret "no-such-secret" in us-west-1: check secretId and region/),
      },
      { line: 23, summary: expect.stringMatching(/^cannot read parameter "\/app\/nope" \(ParameterNotFound\): there is no parameter "\/app\/nope" in us-west-1/) },
    ]);
    expect(result.diagnostics.every((d) => d.stage === 'eval' && d.file === 'proj/app')).toBe(true);
  });

  it('a wrong input is an error at its own line while checking, and nothing is called', async () => {
    const reads = async () => (await moto.calls()).filter((c) => c.action === 'GetSecretValue' || c.action === 'GetParameter').length;
    const before = await reads();
    const source = `values:
${LOGIN}    secrets:
      fn::open::aws-secrets:
        region: us-west-1
        login: \${aws.login}
        get:
          a:
            secretID: api-key
          b:
            secretId: 42
    params:
      fn::open::aws-parameter-store:
        login: \${aws.login}
        get:
          c:
            name: /app/url
            decrypt: "yes"
`;
    for (const mode of ['check', 'eval'] as const) {
      const result = await evaluate(moto, source, mode);
      const errors = result.diagnostics.map((d) => ({ line: d.line, summary: d.summary }));
      expect(errors).toEqual(
        expect.arrayContaining([
          { line: 14, summary: 'unknown property "secretID"; did you mean "secretId"?' },
          { line: 14, summary: 'missing required properties: secretId' },
          { line: 16, summary: 'expected string, got number' },
          { line: 19, summary: 'missing required properties: region' },
          { line: 23, summary: 'expected boolean, got string' },
        ]),
      );
    }
    expect(await reads()).toBe(before);
  });

  it('takes the endpoint from AWS_ENDPOINT_URL_SECRETS_MANAGER and AWS_ENDPOINT_URL_SSM', async () => {
    const result = await evaluate(moto, ENV, 'eval', { AWS_ENDPOINT_URL_SECRETS_MANAGER: moto.endpoint, AWS_ENDPOINT_URL_SSM: moto.endpoint, AWS_ENDPOINT_URL: 'http://127.0.0.1:1' });
    expect(result.diagnostics).toEqual([]);
  });
});
