// The rotators' own input checks take part in the check stage: a wrong input is an error at its line
// before anything is called (no rotation, no connection).
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/config.js';
import { evaluateEnvironment } from '../../src/esc/evaluate.js';
import { createProviderRegistry, createRotatorRegistry } from '../../src/providers/registry.js';
import { testCipher } from '../support/test-cipher.js';

const check = (source: string) =>
  evaluateEnvironment('proj/rot', source, {
    loader: (name) => Promise.reject(new Error(`no environment ${name}`)),
    providers: createProviderRegistry({ config: defaultConfig({}), issuer: { issuerUrl: 'https://issuer.test', mint: () => Promise.reject(new Error('not used')) }, env: {} }),
    rotators: createRotatorRegistry({ config: defaultConfig({}), env: {} }),
    cipher: testCipher,
    context: {},
    mode: 'check',
  });

describe('rotator input checks', () => {
  it('postgres and mysql: a connector, the same user twice, an unknown key or a wrong type, each at its line', async () => {
    for (const rotator of ['postgres', 'mysql']) {
      const result = await check(`values:
  db:
    fn::rotate::${rotator}:
      inputs:
        database:
          connector:
            awsLambda: {}
          database: app
          host: db.internal
          port: "5432"
          managingUser: {username: admin, password: x}
        rotateUsers:
          username1: app
          username2: app
          username3: other
`);
      expect(result.diagnostics.map((d) => `${d.line}: ${d.summary}`).sort()).toEqual(
        [
          '10: expected integer, got string',
          '15: unknown property "username3"; did you mean "username1"?',
          '13: rotateUsers: username1 and username2 must be two different users',
          '7: escd rotates over a direct connection: rotation connectors (awsLambda) are not supported; remove `connector`',
        ].sort(),
      );
    }
  });

  it('aws-iam: a userArn that is not an IAM user ARN', async () => {
    const result = await check(`values:
  iam:
    fn::rotate::aws-iam:
      inputs:
        login: {accessKeyId: a, secretAccessKey: b}
        userArn: arn:aws:iam::123456789012:role/app
`);
    expect(result.diagnostics.map((d) => `${d.line}: ${d.summary}`)).toEqual([
      '6: userArn: "arn:aws:iam::123456789012:role/app" is not an IAM user ARN (expected arn:<partition>:iam::<12-digit account>:user/<name>)',
    ]);
  });

  it('an ESC provider or rotator escd lacks says so plainly, at its inputs, while checking', async () => {
    const result = await check(`values:
  azure:
    fn::open::azure-login:
      oidc: {clientId: x}
  user:
    fn::rotate::snowflake-user:
      inputs: {login: x}
  typo:
    fn::open::aws-secret: {}
`);
    expect(result.diagnostics.map((d) => `${d.line}: ${d.summary}`)).toEqual([
      '4: escd does not have the ESC provider "azure-login" yet (escd has aws-login, aws-secrets, aws-parameter-store, external; see the README\'s Providers and rotators section)',
      '7: escd does not have the ESC rotator "snowflake-user" yet (escd has aws-iam, postgres, mysql; see the README\'s Providers and rotators section)',
      '9: unknown provider "aws-secret"',
    ]);
  });
});
