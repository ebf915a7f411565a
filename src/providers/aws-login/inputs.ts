// The `aws-login` inputs, checked before any token is minted or STS is called. Pure.
// The evaluator has already checked types against the input schema; this adds what a schema
// message would say badly: ARN shapes, the duration range, session-name rules, unknown keys.
import type { EscValue, Json } from '../../esc/value.js';
import type { ProviderIssue } from '../../esc/provider.js';
import { suggestKey } from '../../esc/suggest.js';
import { isSubjectAttribute, SUBJECT_ATTRIBUTES } from '../../oidc/claims.js';
import { parseGoDuration } from './duration.js';

export interface OidcLogin {
  readonly kind: 'oidc';
  readonly roleArn: string;
  readonly sessionName: string;
  readonly durationSeconds: number;
  readonly policyArns: readonly string[];
  readonly subjectAttributes?: readonly string[];
}

export interface StaticLogin {
  readonly kind: 'static';
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export type AwsLoginInputs = OidcLogin | StaticLogin;

/** The reference's default session length. */
export const DEFAULT_DURATION_SECONDS = 2 * 3600;
/** What STS accepts for DurationSeconds. */
export const MIN_DURATION_SECONDS = 15 * 60;
export const MAX_DURATION_SECONDS = 12 * 3600;
/** STS accepts at most 10 managed session policies. */
export const MAX_POLICY_ARNS = 10;

const ROLE_ARN = /^arn:[a-z][a-z0-9-]*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const POLICY_ARN = /^arn:[a-z][a-z0-9-]*:iam::(?:aws|\d{12}):policy\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,128}$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

const OIDC_KEYS = ['roleArn', 'sessionName', 'duration', 'policyArns', 'subjectAttributes'] as const;
const STATIC_KEYS = ['accessKeyId', 'secretAccessKey', 'sessionToken'] as const;

/** A bad input; the message names the field and never quotes a secret. */
export class AwsLoginInputError extends Error {}


type Obj = { readonly [key: string]: Json };

function fail(message: string): never {
  throw new AwsLoginInputError(message);
}

function isObj(value: Json | undefined): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rejectUnknownKeys(obj: Obj, where: string, known: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (known.includes(key)) continue;
    const guess = suggestKey(key, known);
    fail(`${where}: unknown property "${key}"${guess ? `; did you mean "${guess}"?` : ` (expected ${known.join(', ')})`}`);
  }
}

function requiredString(obj: Obj, where: string, key: string): string {
  const value = obj[key];
  if (value === undefined || value === null) fail(`${where}.${key} is required`);
  if (typeof value !== 'string' || value === '') fail(`${where}.${key} must be a non-empty string`);
  return value;
}

function optionalString(obj: Obj, where: string, key: string): string | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') fail(`${where}.${key} must be a string`);
  return value;
}

function stringList(obj: Obj, where: string, key: string): string[] | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
    fail(`${where}.${key} must be a list of strings`);
  }
  return value;
}

/** `1h` → 3600; checks Go syntax, whole seconds and STS's 15m–12h range. */
export function parseDurationSeconds(text: string, field = 'oidc.duration'): number {
  const ms = parseGoDuration(text.trim());
  if (ms === undefined) fail(`${field}: "${text}" is not a duration (write it like 1h, 30m, 1h30m or 3600s)`);
  const seconds = Math.round(ms * 1000) / 1e6;
  if (!Number.isInteger(seconds)) fail(`${field}: "${text}" is not a whole number of seconds`);
  if (seconds < MIN_DURATION_SECONDS || seconds > MAX_DURATION_SECONDS) {
    fail(`${field}: ${text} is out of range: AWS allows sessions from 15m to 12h`);
  }
  return seconds;
}

function parseOidc(oidc: Obj): OidcLogin {
  rejectUnknownKeys(oidc, 'oidc', OIDC_KEYS);
  const roleArn = requiredString(oidc, 'oidc', 'roleArn');
  if (!ROLE_ARN.test(roleArn)) {
    fail(`oidc.roleArn: "${roleArn}" is not an IAM role ARN (expected arn:<partition>:iam::<12-digit account>:role/<name>)`);
  }
  const sessionName = requiredString(oidc, 'oidc', 'sessionName');
  if (!SESSION_NAME.test(sessionName)) {
    fail(`oidc.sessionName: "${sessionName}" must be 2 to 64 characters from letters, digits and _+=,.@-`);
  }
  const duration = optionalString(oidc, 'oidc', 'duration');
  const durationSeconds = duration === undefined ? DEFAULT_DURATION_SECONDS : parseDurationSeconds(duration);
  const policyArns = stringList(oidc, 'oidc', 'policyArns') ?? [];
  if (policyArns.length > MAX_POLICY_ARNS) fail(`oidc.policyArns: STS accepts at most ${MAX_POLICY_ARNS} policies (got ${policyArns.length})`);
  policyArns.forEach((arn, i) => {
    if (!POLICY_ARN.test(arn)) fail(`oidc.policyArns[${i}]: "${arn}" is not an IAM policy ARN (expected arn:<partition>:iam::<account or aws>:policy/<name>)`);
  });
  const subjectAttributes = stringList(oidc, 'oidc', 'subjectAttributes');
  subjectAttributes?.forEach((name, i) => {
    if (!isSubjectAttribute(name)) {
      fail(`oidc.subjectAttributes[${i}]: unknown attribute "${name}" (expected one of ${Object.keys(SUBJECT_ATTRIBUTES).join(', ')})`);
    }
  });
  return {
    kind: 'oidc',
    roleArn,
    sessionName,
    durationSeconds,
    policyArns,
    ...(subjectAttributes !== undefined ? { subjectAttributes } : {}),
  };
}

function parseStatic(creds: Obj): StaticLogin {
  rejectUnknownKeys(creds, 'static', STATIC_KEYS);
  const accessKeyId = requiredString(creds, 'static', 'accessKeyId');
  const secretAccessKey = requiredString(creds, 'static', 'secretAccessKey');
  const sessionToken = optionalString(creds, 'static', 'sessionToken');
  return { kind: 'static', accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

/** Validates the plain inputs of `fn::open::aws-login`: exactly one of `oidc` and `static`. */
export function parseAwsLoginInputs(inputs: Json | undefined): AwsLoginInputs {
  if (!isObj(inputs)) fail('the inputs must be an object with an `oidc` or a `static` block');
  rejectUnknownKeys(inputs, 'aws-login', ['oidc', 'static']);
  const { oidc, static: creds } = inputs;
  const hasOidc = oidc !== undefined && oidc !== null;
  const hasStatic = creds !== undefined && creds !== null;
  if (hasOidc && hasStatic) fail('aws-login: give either `oidc` or `static`, not both');
  if (hasOidc) {
    if (!isObj(oidc)) fail('oidc must be an object');
    return parseOidc(oidc);
  }
  if (hasStatic) {
    if (!isObj(creds)) fail('static must be an object');
    return parseStatic(creds);
  }
  return fail('aws-login: give an `oidc` block (roleArn, sessionName, ...) or a `static` block (accessKeyId, secretAccessKey)');
}

/**
 * Every problem with the known parts of the inputs, each at its field (the provider's `validate`):
 * run in every stage, so `escd env init|set|edit` and `escd doctor` (check mode) find what `escd open`
 * finds, all of it, before any call. Unknown parts (`${...}` of another provider) are left alone.
 */
export function awsLoginInputIssues(inputs: EscValue): ProviderIssue[] {
  const issues: ProviderIssue[] = [];
  const field = (value: EscValue | undefined, key: string): EscValue | undefined =>
    value && !value.unknown && value.data instanceof Map ? (value.data as ReadonlyMap<string, EscValue>).get(key) : undefined;
  const text = (value: EscValue | undefined): string | undefined => (value && !value.unknown && typeof value.data === 'string' ? value.data : undefined);
  const check = (path: (string | number)[], run: () => void): void => {
    try {
      run();
    } catch (err) {
      if (err instanceof AwsLoginInputError) issues.push({ path, message: err.message });
      else throw err;
    }
  };
  const oidc = field(inputs, 'oidc');
  const roleArn = text(field(oidc, 'roleArn'));
  if (roleArn !== undefined && !ROLE_ARN.test(roleArn)) {
    issues.push({ path: ['oidc', 'roleArn'], message: `oidc.roleArn: "${roleArn}" is not an IAM role ARN (expected arn:<partition>:iam::<12-digit account>:role/<name>)` });
  }
  const sessionName = text(field(oidc, 'sessionName'));
  if (sessionName !== undefined && !SESSION_NAME.test(sessionName)) {
    issues.push({ path: ['oidc', 'sessionName'], message: `oidc.sessionName: "${sessionName}" must be 2 to 64 characters from letters, digits and _+=,.@-` });
  }
  const duration = text(field(oidc, 'duration'));
  if (duration !== undefined) check(['oidc', 'duration'], () => parseDurationSeconds(duration));
  return issues;
}
