// Endpoint rules for Secrets Manager, SSM and IAM (the same order as STS) and the one-line errors.
import { describe, expect, it } from 'vitest';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { resolveServiceEndpoint } from '../../src/aws/service-endpoint.js';
import { describeServiceError } from '../../src/aws/service-errors.js';

const rules = () => new SecretsManagerClient({ region: 'us-east-1' }).config.endpointProvider;
const resolve = (env: Record<string, string>, configured?: string) =>
  resolveServiceEndpoint({ service: 'secretsmanager', region: 'eu-west-1', env, rules, ...(configured ? { configured } : {}) });

describe('resolveServiceEndpoint', () => {
  it('prefers the service variable, then AWS_ENDPOINT_URL, then config.yaml, then the region', () => {
    expect(resolve({ AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:1/', AWS_ENDPOINT_URL: 'http://127.0.0.1:2' }, 'http://127.0.0.1:3')).toEqual({
      url: 'http://127.0.0.1:1',
      source: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
    });
    expect(resolve({ AWS_ENDPOINT_URL: 'http://127.0.0.1:2' }, 'http://127.0.0.1:3')).toEqual({ url: 'http://127.0.0.1:2', source: 'AWS_ENDPOINT_URL' });
    expect(resolve({}, 'http://127.0.0.1:3')).toEqual({ url: 'http://127.0.0.1:3', source: 'aws.secretsManagerEndpoint' });
    expect(resolve({})).toEqual({ url: 'https://secretsmanager.eu-west-1.amazonaws.com', source: 'region' });
  });

  it('ignores the variables when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true, and rejects a bad URL or region by name', () => {
    expect(resolve({ AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true', AWS_ENDPOINT_URL: 'http://127.0.0.1:2' })).toMatchObject({ source: 'region' });
    expect(() => resolve({ AWS_ENDPOINT_URL_SECRETS_MANAGER: 'not a url' })).toThrow(/^AWS_ENDPOINT_URL_SECRETS_MANAGER: "not a url" is not a URL/);
    expect(() => resolveServiceEndpoint({ service: 'ssm', region: 'Mars', env: {}, rules })).toThrow(/region: "Mars" is not an AWS region name/);
  });
});

describe('describeServiceError', () => {
  const ctx = { service: 'Secrets Manager', endpoint: 'https://sm.test', region: 'eu-west-1', action: 'read secret "x"', permission: 'secretsmanager:GetSecretValue' };
  const awsError = (name: string, message = 'm', status = 400) => Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: status } });

  it('names the AWS code and the likely cause', () => {
    expect(describeServiceError(awsError('AccessDeniedException', 'User is not authorized'), ctx)).toEqual({
      code: 'AccessDeniedException',
      message: 'cannot read secret "x" (AccessDeniedException): the login is not allowed to: its role or user needs secretsmanager:GetSecretValue on this resource — AWS said: "User is not authorized"',
    });
    expect(describeServiceError(awsError('UnrecognizedClientException'), ctx).message).toMatch(/does not accept the login's credentials/);
    expect(describeServiceError(awsError('ExpiredTokenException'), ctx).message).toMatch(/session has expired/);
    expect(describeServiceError(awsError('DecryptionFailure'), ctx).message).toMatch(/KMS key/);
    expect(describeServiceError(awsError('InternalServiceError', 'x', 500), ctx).message).toMatch(/failed on its side/);
    expect(describeServiceError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), ctx)).toEqual({
      code: 'ECONNREFUSED',
      message: 'cannot read secret "x" (ECONNREFUSED): cannot reach Secrets Manager at https://sm.test: connection refused — check the network and the endpoint',
    });
  });
});
