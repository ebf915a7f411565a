import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Json } from '../../src/esc/value.js';
import { parseGoDuration } from '../../src/providers/aws-login/duration.js';
import { AwsLoginInputError, parseAwsLoginInputs, parseDurationSeconds } from '../../src/providers/aws-login/inputs.js';

const ROLE = 'arn:aws:iam::123456789012:role/deploy';

describe('parseGoDuration (Go time.ParseDuration syntax)', () => {
  it.each([
    ['1h', 3_600_000],
    ['30m', 1_800_000],
    ['1h30m', 5_400_000],
    ['3600s', 3_600_000],
    ['1.5h', 5_400_000],
    ['.5h', 1_800_000],
    ['1h0m0s', 3_600_000],
    ['90m', 5_400_000],
    ['500ms', 500],
    ['0', 0],
    ['+2h', 7_200_000],
  ])('%s = %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it.each(['', '1', 'h', '1d', '1 h', '-1h', '1h 30m', 'one hour', '1H', '1h-30m', '1.2.3h'])('rejects %j', (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
  });

  it('reads any h/m/s combination as the sum of its parts', () => {
    fc.assert(
      fc.property(fc.nat(20), fc.nat(200), fc.nat(5000), (h, m, s) => {
        expect(parseGoDuration(`${h}h${m}m${s}s`)).toBe(((h * 60 + m) * 60 + s) * 1000);
      }),
    );
  });
});

describe('parseDurationSeconds', () => {
  it('accepts 15m to 12h', () => {
    expect(parseDurationSeconds('15m')).toBe(900);
    expect(parseDurationSeconds('12h')).toBe(43_200);
    expect(parseDurationSeconds('1h30m')).toBe(5_400);
  });
  it.each([
    ['14m59s', 'oidc.duration: 14m59s is out of range: AWS allows sessions from 15m to 12h'],
    ['12h1s', 'oidc.duration: 12h1s is out of range: AWS allows sessions from 15m to 12h'],
    ['1 hour', 'oidc.duration: "1 hour" is not a duration (write it like 1h, 30m, 1h30m or 3600s)'],
    ['3600', 'oidc.duration: "3600" is not a duration (write it like 1h, 30m, 1h30m or 3600s)'],
    ['1000.5s', 'oidc.duration: "1000.5s" is not a whole number of seconds'],
  ])('rejects %s with one clear line', (text, message) => {
    expect(() => parseDurationSeconds(text)).toThrow(new AwsLoginInputError(message));
  });
});

describe('parseAwsLoginInputs', () => {
  it('reads the reference example, with the reference default duration of 2h', () => {
    expect(parseAwsLoginInputs({ oidc: { roleArn: ROLE, sessionName: 'esc-alice' } })).toEqual({
      kind: 'oidc',
      roleArn: ROLE,
      sessionName: 'esc-alice',
      durationSeconds: 7200,
      policyArns: [],
    });
  });

  it('reads every oidc input', () => {
    expect(
      parseAwsLoginInputs({
        oidc: {
          roleArn: 'arn:aws-us-gov:iam::123456789012:role/team/ci/deploy',
          sessionName: 'a.b@c=d,e+f_g-h',
          duration: '1h',
          policyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess', 'arn:aws:iam::123456789012:policy/path/p'],
          subjectAttributes: ['currentEnvironment.name', 'pulumi.user.login'],
        },
      }),
    ).toEqual({
      kind: 'oidc',
      roleArn: 'arn:aws-us-gov:iam::123456789012:role/team/ci/deploy',
      sessionName: 'a.b@c=d,e+f_g-h',
      durationSeconds: 3600,
      policyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess', 'arn:aws:iam::123456789012:policy/path/p'],
      subjectAttributes: ['currentEnvironment.name', 'pulumi.user.login'],
    });
  });

  it('reads static credentials', () => {
    expect(parseAwsLoginInputs({ static: { accessKeyId: 'AKID', secretAccessKey: 'S' } })).toEqual({ kind: 'static', accessKeyId: 'AKID', secretAccessKey: 'S' });
    expect(parseAwsLoginInputs({ static: { accessKeyId: 'AKID', secretAccessKey: 'S', sessionToken: 'T' } })).toMatchObject({ sessionToken: 'T' });
  });

  it.each([
    [{}, 'aws-login: give an `oidc` block (roleArn, sessionName, ...) or a `static` block (accessKeyId, secretAccessKey)'],
    [{ oidc: { roleArn: ROLE, sessionName: 'ab' }, static: { accessKeyId: 'a', secretAccessKey: 'b' } }, 'aws-login: give either `oidc` or `static`, not both'],
    [{ odic: {} }, 'aws-login: unknown property "odic" (expected oidc, static)'],
    [{ statc: {} }, 'aws-login: unknown property "statc"; did you mean "static"?'],
    [{ oidc: { sessionName: 'ab' } }, 'oidc.roleArn is required'],
    [{ oidc: { roleArn: ROLE } }, 'oidc.sessionName is required'],
    [{ oidc: { rolearn: ROLE, sessionName: 'ab' } }, 'oidc: unknown property "rolearn"; did you mean "roleArn"?'],
    [{ oidc: { roleArn: 'arn:aws:iam::12345:role/x', sessionName: 'ab' } }, 'oidc.roleArn: "arn:aws:iam::12345:role/x" is not an IAM role ARN (expected arn:<partition>:iam::<12-digit account>:role/<name>)'],
    [{ oidc: { roleArn: 'arn:aws:iam::123456789012:user/x', sessionName: 'ab' } }, 'oidc.roleArn: "arn:aws:iam::123456789012:user/x" is not an IAM role ARN (expected arn:<partition>:iam::<12-digit account>:role/<name>)'],
    [{ oidc: { roleArn: 'deploy', sessionName: 'ab' } }, 'oidc.roleArn: "deploy" is not an IAM role ARN (expected arn:<partition>:iam::<12-digit account>:role/<name>)'],
    [{ oidc: { roleArn: ROLE, sessionName: 'a' } }, 'oidc.sessionName: "a" must be 2 to 64 characters from letters, digits and _+=,.@-'],
    [{ oidc: { roleArn: ROLE, sessionName: 'esc-alice smith' } }, 'oidc.sessionName: "esc-alice smith" must be 2 to 64 characters from letters, digits and _+=,.@-'],
    [{ oidc: { roleArn: ROLE, sessionName: 'x'.repeat(65) } }, `oidc.sessionName: "${'x'.repeat(65)}" must be 2 to 64 characters from letters, digits and _+=,.@-`],
    [{ oidc: { roleArn: ROLE, sessionName: 'ab', duration: '13h' } }, 'oidc.duration: 13h is out of range: AWS allows sessions from 15m to 12h'],
    [{ oidc: { roleArn: ROLE, sessionName: 'ab', duration: 3600 } }, 'oidc.duration must be a string'],
    [{ oidc: { roleArn: ROLE, sessionName: 'ab', policyArns: ['ReadOnlyAccess'] } }, 'oidc.policyArns[0]: "ReadOnlyAccess" is not an IAM policy ARN (expected arn:<partition>:iam::<account or aws>:policy/<name>)'],
    [{ oidc: { roleArn: ROLE, sessionName: 'ab', policyArns: Array(11).fill('arn:aws:iam::aws:policy/P') } }, 'oidc.policyArns: STS accepts at most 10 policies (got 11)'],
    [{ oidc: { roleArn: ROLE, sessionName: 'ab', subjectAttributes: ['user'] } }, 'oidc.subjectAttributes[0]: unknown attribute "user" (expected one of rootEnvironment.name, currentEnvironment.name, pulumi.user.login, pulumi.organization.login)'],
    [{ static: { accessKeyId: 'AKID' } }, 'static.secretAccessKey is required'],
    [{ static: { accessKeyId: 'AKID', secretAccessKey: '' } }, 'static.secretAccessKey must be a non-empty string'],
  ])('rejects %j', (inputs, message) => {
    expect(() => parseAwsLoginInputs(inputs)).toThrow(new AwsLoginInputError(message));
  });

  it('never quotes a static secret in an error', () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
    const cases: Json[] = [
      { static: { accessKeyId: 'AKID', secretAccessKey: secret, sesionToken: secret } },
      { static: { accessKeyId: 'AKID', secretAccessKey: secret }, oidc: { roleArn: ROLE } },
    ];
    for (const inputs of cases) {
      expect(() => parseAwsLoginInputs(inputs)).toThrow(AwsLoginInputError);
      try {
        parseAwsLoginInputs(inputs);
      } catch (err) {
        expect((err as Error).message).not.toContain(secret);
      }
    }
  });
});
