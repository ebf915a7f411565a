import { describe, expect, it } from 'vitest';
import { describeStsError, MalformedStsResponse, safeServiceMessage, type StsCallContext } from '../../src/aws/sts-errors.js';

const ctx: StsCallContext = {
  endpoint: 'https://sts.eu-west-1.amazonaws.com',
  region: 'eu-west-1',
  roleArn: 'arn:aws:iam::123456789012:role/deploy',
  requestTimeoutMs: 10_000,
  token: { iss: 'https://oidc.example.com/escd', aud: 'aws:acme', sub: 'pulumi:environments:pulumi.organization.login:acme' },
};

/** The shape @aws-sdk/client-sts gives a service error (seen against a local server in sts-client.test.ts). */
function serviceError(code: string, message: string, status = 400, name = code): Error {
  return Object.assign(new Error(message), { name, Code: code, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status, attempts: 1 } });
}

function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code, $metadata: { attempts: 1 } });
}

describe('describeStsError', () => {
  it('InvalidIdentityToken names the issuer and where AWS fetches its keys', () => {
    const f = describeStsError(serviceError('InvalidIdentityToken', 'No OpenIDConnect provider found in your account for https://oidc.example.com/escd', 400, 'InvalidIdentityTokenException'), ctx);
    expect(f.kind).toBe('rejected');
    expect(f.retryable).toBe(false);
    expect(f.code).toBe('InvalidIdentityToken');
    expect(f.message).toContain('issuer https://oidc.example.com/escd (InvalidIdentityToken)');
    expect(f.message).toContain('https://oidc.example.com/escd/.well-known/openid-configuration');
    expect(f.message).toContain('No OpenIDConnect provider found');
  });

  it('IDPCommunicationError says the JWKS is not reachable, and is worth retrying', () => {
    const f = describeStsError(serviceError('IDPCommunicationError', "Couldn't retrieve verification key from your identity provider", 400, 'IDPCommunicationErrorException'), ctx);
    expect(f).toMatchObject({ kind: 'rejected', retryable: true, code: 'IDPCommunicationError' });
    expect(f.message).toContain('could not fetch the keys of issuer https://oidc.example.com/escd');
  });

  it('AccessDenied prints the token aud and sub and the condition keys to compare', () => {
    const f = describeStsError(serviceError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity', 403), ctx);
    expect(f).toMatchObject({ kind: 'rejected', retryable: false, code: 'AccessDenied' });
    expect(f.message).toContain('arn:aws:iam::123456789012:role/deploy (AccessDenied)');
    expect(f.message).toContain('aud "aws:acme"');
    expect(f.message).toContain('sub "pulumi:environments:pulumi.organization.login:acme"');
    expect(f.message).toContain('oidc.example.com/escd:aud');
    expect(f.message).toContain('oidc.example.com/escd:sub');
  });

  it('AccessDenied without decodable claims still says what to check', () => {
    const { token: _token, ...noToken } = ctx;
    const f = describeStsError(serviceError('AccessDenied', 'x', 403), noToken);
    expect(f.message).toContain("the token, which the role's trust policy must match");
  });

  it('ExpiredTokenException points at the clock', () => {
    const f = describeStsError(serviceError('ExpiredTokenException', 'Token expired', 400), ctx);
    expect(f).toMatchObject({ kind: 'rejected', code: 'ExpiredTokenException' });
    expect(f.message).toContain("clock");
  });

  it.each(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded'])('%s is throttling, retryable', (code) => {
    const f = describeStsError(serviceError(code, 'Rate exceeded'), ctx);
    expect(f).toMatchObject({ kind: 'throttled', retryable: true, code });
    expect(f.message).toBe(`STS at https://sts.eu-west-1.amazonaws.com is throttling requests (${code}): try again in a minute`);
  });

  it('an HTTP 429 without a code is throttling', () => {
    const err = Object.assign(new Error('Unknown'), { name: 'Unknown', $fault: 'client', $metadata: { httpStatusCode: 429 } });
    expect(describeStsError(err, ctx)).toMatchObject({ kind: 'throttled', code: 'HTTP 429' });
  });

  it('an HTTP 429 whose body is not XML (a proxy in front of STS) is throttling, not a malformed answer', () => {
    // The shape @aws-sdk/client-sts throws for `429 Too Many Requests` with a text/html body.
    const err = Object.assign(new Error('@aws-sdk XML parse error: unexpected content.\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.'), {
      $metadata: { httpStatusCode: 429 },
    });
    expect(describeStsError(err, ctx)).toMatchObject({ kind: 'throttled', retryable: true, code: 'HTTP 429' });
  });

  it('a duration above the role maximum says which input to change', () => {
    const f = describeStsError(serviceError('ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.'), ctx);
    expect(f.kind).toBe('invalid-request');
    expect(f.message).toContain('oidc.duration');
    expect(f.message).toContain('MaxSessionDuration');
  });

  it('other AWS errors keep their code, status and STS message', () => {
    const f = describeStsError(serviceError('InvalidParameterValue', 'Something about a parameter'), ctx);
    expect(f.message).toBe(
      'STS refused the request for arn:aws:iam::123456789012:role/deploy (InvalidParameterValue, HTTP 400) — STS said: "Something about a parameter"',
    );
  });

  it('RegionDisabledException names the region', () => {
    expect(describeStsError(serviceError('RegionDisabledException', 'STS is not activated'), ctx).message).toContain('region eu-west-1');
  });

  it('policy errors point at policyArns', () => {
    expect(describeStsError(serviceError('PackedPolicyTooLarge', 'too big', 400, 'PackedPolicyTooLargeException'), ctx).message).toContain('oidc.policyArns');
  });

  it('5xx answers are server failures worth retrying', () => {
    const err = Object.assign(new Error('Unknown'), { name: 'Unknown', $fault: 'server', $metadata: { httpStatusCode: 502 } });
    const f = describeStsError(err, ctx);
    expect(f).toMatchObject({ kind: 'server', retryable: true });
    expect(f.message).toBe('STS at https://sts.eu-west-1.amazonaws.com failed on its side (HTTP 502): try again later');
  });

  it.each([
    ['ECONNREFUSED', 'connection refused'],
    ['ENOTFOUND', 'does not resolve'],
    ['ECONNRESET', 'reset'],
    ['ENETUNREACH', 'unreachable'],
  ])('%s is a network error naming the endpoint', (code, words) => {
    const f = describeStsError(socketError(code), ctx);
    expect(f).toMatchObject({ kind: 'network', retryable: true, code });
    expect(f.message).toContain('cannot reach STS at https://sts.eu-west-1.amazonaws.com');
    expect(f.message).toContain(words);
  });

  it('a connection reset is a network error, although the SDK names it TimeoutError', () => {
    // The shape @aws-sdk/client-sts throws when the server closes the connection without an answer.
    const err = Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET', $metadata: { attempts: 2 } });
    const f = describeStsError(err, ctx);
    expect(f).toMatchObject({ kind: 'network', retryable: true, code: 'ECONNRESET' });
    expect(f.message).toContain('the connection was reset');
    expect(f.message).not.toContain('did not answer');
  });

  it('a TLS trust failure suggests NODE_EXTRA_CA_CERTS', () => {
    const f = describeStsError(socketError('SELF_SIGNED_CERT_IN_CHAIN'), ctx);
    expect(f).toMatchObject({ kind: 'network', retryable: false });
    expect(f.message).toContain('NODE_EXTRA_CA_CERTS');
  });

  it('a timeout names the endpoint and the limit', () => {
    const err = Object.assign(new Error('@smithy/node-http-handler - [ERROR] a request has exceeded the configured 10000 ms requestTimeout.'), { name: 'TimeoutError', code: 'ETIMEDOUT' });
    const f = describeStsError(err, ctx);
    expect(f).toMatchObject({ kind: 'timeout', retryable: true });
    expect(f.message).toBe('STS at https://sts.eu-west-1.amazonaws.com did not answer within 10 s: is the endpoint right and reachable from here?');
    expect(describeStsError(err, { ...ctx, attempts: 2 }).message).toBe(
      'STS at https://sts.eu-west-1.amazonaws.com did not answer within 10 s (each of 2 attempts): is the endpoint right and reachable from here?',
    );
  });

  it('an abort is reported as a cancellation', () => {
    const err = Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    expect(describeStsError(err, ctx)).toEqual({ kind: 'aborted', retryable: false, message: 'the STS call was cancelled' });
  });

  it('an unreadable answer is malformed', () => {
    const err = Object.assign(new Error('@aws-sdk XML parse error: missing closing tag </html>.\n  Deserialization error: ...'), { $metadata: { httpStatusCode: 200 } });
    const f = describeStsError(err, ctx);
    expect(f).toMatchObject({ kind: 'malformed', code: 'MalformedResponse' });
    expect(f.message).toBe('STS at https://sts.eu-west-1.amazonaws.com sent an answer that is not an STS answer (HTTP 200): is the endpoint really STS?');
    expect(describeStsError(new MalformedStsResponse('no Credentials'), ctx).kind).toBe('malformed');
  });

  it('anything else is one line', () => {
    const f = describeStsError(new Error('first line\nsecond line'), ctx);
    expect(f).toMatchObject({ kind: 'unknown' });
    expect(f.message).toBe('the call to STS at https://sts.eu-west-1.amazonaws.com failed: first line');
    expect(describeStsError('a string', ctx).message).toBe('the call to STS at https://sts.eu-west-1.amazonaws.com failed: a string');
  });

  it('never repeats a token that a server echoes back', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJ4eHh4eHh4eCJ9.c2lnbmF0dXJlc2lnbmF0dXJl';
    for (const err of [serviceError('InvalidIdentityToken', `bad token ${jwt}`), serviceError('SomethingElse', `bad ${jwt}`), new Error(`oops ${jwt}`)]) {
      const f = describeStsError(err, ctx);
      expect(f.message).not.toContain(jwt);
      expect(f.message).not.toContain('c2lnbmF0dXJlc2lnbmF0dXJl');
    }
  });
});

describe('safeServiceMessage', () => {
  it('keeps one line of at most 200 characters', () => {
    expect(safeServiceMessage('a\nb')).toBe('a');
    const long = safeServiceMessage('x'.repeat(500));
    expect(long).toHaveLength(200);
    expect(long.endsWith('...')).toBe(true);
  });
});
