import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildClaims, buildSubject, SUBJECT_PREFIX } from '../../src/oidc/claims.js';
import type { TokenRequest } from '../../src/oidc/types.js';

const request: TokenRequest = {
  audience: 'aws:contoso',
  org: 'contoso',
  currentEnvironment: 'project/development',
  rootEnvironment: 'project/root',
  userLogin: 'personA',
};

describe('buildSubject', () => {
  it('defaults to the organization subject', () => {
    expect(buildSubject(request)).toBe('pulumi:environments:pulumi.organization.login:contoso');
  });

  it('appends each attribute as :name:value in the order given (the documented example)', () => {
    expect(buildSubject({ ...request, subjectAttributes: ['currentEnvironment.name', 'pulumi.user.login'] })).toBe(
      'pulumi:environments:pulumi.organization.login:contoso:currentEnvironment.name:project/development:pulumi.user.login:personA',
    );
    expect(buildSubject({ ...request, subjectAttributes: ['pulumi.user.login', 'rootEnvironment.name', 'pulumi.organization.login'] })).toBe(
      'pulumi:environments:pulumi.organization.login:contoso:pulumi.user.login:personA:rootEnvironment.name:project/root:pulumi.organization.login:contoso',
    );
  });

  it('rejects an unknown attribute by name', () => {
    expect(() => buildSubject({ ...request, subjectAttributes: ['stack.name'] })).toThrow(
      'subjectAttributes: unknown attribute "stack.name" (expected one of rootEnvironment.name, currentEnvironment.name, pulumi.user.login, pulumi.organization.login)',
    );
  });

  it('always starts with the prefix and the org, and grows by one segment pair per attribute', () => {
    const attr = fc.constantFrom('rootEnvironment.name', 'currentEnvironment.name', 'pulumi.user.login', 'pulumi.organization.login');
    fc.assert(
      fc.property(fc.array(attr, { maxLength: 4 }), (attrs) => {
        const sub = buildSubject({ ...request, subjectAttributes: attrs });
        expect(sub.startsWith(`${SUBJECT_PREFIX}contoso`)).toBe(true);
        // org and user have no ':' and env names have none either, so segments can be counted.
        expect(sub.split(':').length).toBe(4 + 2 * attrs.length);
      }),
    );
  });
});

describe('buildClaims', () => {
  it('produces exactly the reference claims, times in seconds', () => {
    const claims = buildClaims(request, { issuer: 'https://issuer.example/oidc', now: Date.UTC(2026, 0, 1, 12, 0, 0, 999), lifetimeSeconds: 300, jti: 'id-1' });
    expect(claims).toEqual({
      iss: 'https://issuer.example/oidc',
      aud: 'aws:contoso',
      sub: 'pulumi:environments:pulumi.organization.login:contoso',
      current_env: 'project/development',
      root_env: 'project/root',
      trigger_user: 'personA',
      iat: 1767268800,
      nbf: 1767268800,
      exp: 1767269100,
      jti: 'id-1',
    });
  });

  it('refuses an empty field', () => {
    expect(() => buildClaims({ ...request, userLogin: '' }, { issuer: 'https://x', now: 0, lifetimeSeconds: 60, jti: 'j' })).toThrow(
      'token request: userLogin must be a non-empty string',
    );
  });
});
