import { describe, expect, it } from 'vitest';
import { providerHostPath, trustPolicy } from '../../src/oidc/trust-policy.js';

describe('trustPolicy', () => {
  it('matches the seed document form: Federated provider ARN, web identity action, StringEquals on aud', () => {
    expect(trustPolicy({ issuerUrl: 'https://api.pulumi.com/oidc', account: '123456789123', audience: 'aws:my-org' })).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Federated: 'arn:aws:iam::123456789123:oidc-provider/api.pulumi.com/oidc' },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: { StringEquals: { 'api.pulumi.com/oidc:aud': 'aws:my-org' } },
        },
      ],
    });
  });

  it('adds the sub condition when asked, and honours the partition', () => {
    const policy = trustPolicy({ issuerUrl: 'https://id.example.cn/', account: '000000000001', audience: 'aws:o', subject: 's', partition: 'aws-cn' });
    expect(policy.Statement[0]!.Principal.Federated).toBe('arn:aws-cn:iam::000000000001:oidc-provider/id.example.cn');
    expect(policy.Statement[0]!.Condition.StringEquals).toEqual({ 'id.example.cn:aud': 'aws:o', 'id.example.cn:sub': 's' });
  });

  it('refuses an account that is not 12 digits', () => {
    expect(() => trustPolicy({ issuerUrl: 'https://x', account: '1234', audience: 'a' })).toThrow('the account must be 12 digits (got "1234")');
  });

  it('names the provider by host and path without scheme or trailing slash', () => {
    expect(providerHostPath('https://you.github.io/escd-issuer/')).toBe('you.github.io/escd-issuer');
  });
});
