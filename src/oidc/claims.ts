// The claims of an escd OIDC token, as the reference (Pulumi ESC) issues them. Pure: time and the
// token id come in as arguments.
import type { TokenRequest } from './types.js';

/** The names `subjectAttributes` may list, mapped to the request field each one reads. */
export const SUBJECT_ATTRIBUTES = {
  'rootEnvironment.name': 'rootEnvironment',
  'currentEnvironment.name': 'currentEnvironment',
  'pulumi.user.login': 'userLogin',
  'pulumi.organization.login': 'org',
} as const satisfies Record<string, keyof TokenRequest>;

export type SubjectAttribute = keyof typeof SUBJECT_ATTRIBUTES;

export const SUBJECT_PREFIX = 'pulumi:environments:pulumi.organization.login:';

export function isSubjectAttribute(name: string): name is SubjectAttribute {
  return Object.hasOwn(SUBJECT_ATTRIBUTES, name);
}

export class ClaimsError extends Error {}

/**
 * `pulumi:environments:pulumi.organization.login:<org>`, then `:<attribute>:<value>` for each listed
 * attribute, in the order listed (the documented form, e.g.
 * `...:contoso:currentEnvironment.name:project/dev:pulumi.user.login:alice`).
 */
export function buildSubject(request: Pick<TokenRequest, 'org' | 'currentEnvironment' | 'rootEnvironment' | 'userLogin' | 'subjectAttributes'>): string {
  let subject = SUBJECT_PREFIX + request.org;
  for (const name of request.subjectAttributes ?? []) {
    if (!isSubjectAttribute(name)) {
      throw new ClaimsError(`subjectAttributes: unknown attribute "${name}" (expected one of ${Object.keys(SUBJECT_ATTRIBUTES).join(', ')})`);
    }
    subject += `:${name}:${request[SUBJECT_ATTRIBUTES[name]]}`;
  }
  return subject;
}

export interface TokenClaims {
  readonly iss: string;
  readonly aud: string;
  readonly sub: string;
  readonly current_env: string;
  readonly root_env: string;
  readonly trigger_user: string;
  readonly iat: number;
  readonly nbf: number;
  readonly exp: number;
  readonly jti: string;
  readonly [claim: string]: string | number;
}

export interface ClaimsInput {
  readonly issuer: string;
  /** Milliseconds since the epoch. */
  readonly now: number;
  readonly lifetimeSeconds: number;
  readonly jti: string;
}

export function buildClaims(request: TokenRequest, input: ClaimsInput): TokenClaims {
  for (const [field, value] of [
    ['audience', request.audience],
    ['org', request.org],
    ['currentEnvironment', request.currentEnvironment],
    ['rootEnvironment', request.rootEnvironment],
    ['userLogin', request.userLogin],
  ] as const) {
    if (typeof value !== 'string' || value.length === 0) throw new ClaimsError(`token request: ${field} must be a non-empty string`);
  }
  const iat = Math.floor(input.now / 1000);
  return {
    ...request.extraClaims,
    iss: input.issuer,
    aud: request.audience,
    sub: buildSubject(request),
    current_env: request.currentEnvironment,
    root_env: request.rootEnvironment,
    trigger_user: request.userLogin,
    iat,
    nbf: iat,
    exp: iat + input.lifetimeSeconds,
    jti: input.jti,
  };
}
