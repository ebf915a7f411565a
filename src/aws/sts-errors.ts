// Turns whatever an STS call threw (an AWS error answer, a socket error, a timeout, an unreadable
// answer) into one line that says what went wrong and what to check. Pure: the SDK's error shapes
// are read by duck typing, so the mapping is tested without the network.
//
// Never quote the web identity token or credentials: only the token's iss/aud/sub (which a trust
// policy names anyway) and STS's own message, cut to one line with anything token-like removed.

export type StsFailureKind =
  /** The token or the role's trust policy: retrying the same thing will fail the same way. */
  | 'rejected'
  /** The request itself (duration, policies, region): fix the input. */
  | 'invalid-request'
  | 'throttled'
  | 'network'
  | 'timeout'
  /** STS (or a proxy) failed on its side. */
  | 'server'
  /** An answer that is not an STS answer. */
  | 'malformed'
  | 'aborted'
  | 'unknown';

export interface StsFailure {
  readonly kind: StsFailureKind;
  /** Worth trying again later with the same inputs. */
  readonly retryable: boolean;
  /** The AWS error code or the socket error code, when there is one. */
  readonly code?: string;
  /** One line, no secrets. */
  readonly message: string;
}

export interface StsCallContext {
  /** Where the request went, e.g. `https://sts.eu-west-1.amazonaws.com`. */
  readonly endpoint: string;
  readonly region: string;
  readonly roleArn: string;
  /** The request timeout and how many attempts were made, for the timeout message. */
  readonly requestTimeoutMs?: number;
  readonly attempts?: number;
  /** The web identity token's public claims (absent for calls without one). */
  readonly token?: { readonly iss?: string; readonly aud?: string | readonly string[]; readonly sub?: string };
}

/** Thrown for an answer without credentials in it (the SDK accepts an empty result). */
export class MalformedStsResponse extends Error {}

export const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'SlowDown',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
]);

export const CONNECTION_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'the connection was reset',
  EPIPE: 'the connection was closed',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve (DNS unavailable)',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  EADDRNOTAVAIL: 'the address is not available',
};

export const TLS_ERRORS = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** What an AWS SDK error (or a socket error under it) may carry; every field checked before use. */
export interface ErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly Code?: unknown;
  readonly $fault?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

/** A non-empty string field, else undefined. */
export const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** STS's own words, safe to print: one line, at most 200 characters, JWT-like strings removed. */
export function safeServiceMessage(text: string): string {
  const line = (text.split(/\r?\n/)[0] ?? '').trim();
  const scrubbed = line.replace(/[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}/g, '[token]');
  return scrubbed.length > 200 ? `${scrubbed.slice(0, 197)}...` : scrubbed;
}

function claimsText(token: StsCallContext['token']): string {
  if (!token) return 'the token';
  const aud = token.aud === undefined ? '(none)' : typeof token.aud === 'string' ? token.aud : token.aud.join(',');
  return `the token has aud "${aud}" and sub "${token.sub ?? '(none)'}"`;
}

/** The IAM OIDC provider's name for condition keys: the issuer URL without its scheme. */
function conditionPrefix(iss: string | undefined): string {
  return iss === undefined ? '<issuer>' : iss.replace(/^https?:\/\//, '').replace(/\/+$/, '');
}

/** What every AWS error mapper reads from a thrown SDK (or socket) error, each field checked. */
export function readSdkError(err: unknown): { e: ErrorShape; name?: string; awsCode?: string; sysCode?: string; status?: number } {
  const e: ErrorShape = typeof err === 'object' && err !== null ? (err as ErrorShape) : {};
  const name = str(e.name);
  // The SDK names an error answer without a code `Unknown`.
  const rawCode = str(e.Code) ?? (e.$fault !== undefined ? name : undefined);
  const awsCode = rawCode === 'Unknown' ? undefined : rawCode;
  const sysCode = str(e.code);
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  return { e, name, awsCode, sysCode, status };
}

/** Maps an error thrown by an STS call to a kind and a one-line message. */
export function describeStsError(err: unknown, ctx: StsCallContext): StsFailure {
  const { e, name, awsCode, sysCode, status } = readSdkError(err);
  const said = str(e.message) ? ` — STS said: "${safeServiceMessage(String(e.message))}"` : '';
  const at = `STS at ${ctx.endpoint}`;
  const iss = ctx.token?.iss;

  if (name === 'AbortError') return { kind: 'aborted', retryable: false, message: 'the STS call was cancelled' };

  // Before the timeout check: the SDK names a reset connection ("socket hang up", ECONNRESET) TimeoutError too.
  if (sysCode && CONNECTION_ERRORS[sysCode]) {
    return {
      kind: 'network',
      retryable: true,
      code: sysCode,
      message: `cannot reach ${at}: ${CONNECTION_ERRORS[sysCode]} (${sysCode}) — check the network and the endpoint (aws.stsEndpoint, AWS_ENDPOINT_URL_STS)`,
    };
  }

  if (name === 'TimeoutError' || sysCode === 'ETIMEDOUT' || sysCode === 'ESOCKETTIMEDOUT') {
    const limit = ctx.requestTimeoutMs;
    const each = ctx.attempts !== undefined && ctx.attempts > 1 ? ` (each of ${ctx.attempts} attempts)` : '';
    const after = limit === undefined ? ' in time' : ` within ${limit >= 1000 ? `${Math.round(limit / 1000)} s` : `${limit} ms`}${each}`;
    return { kind: 'timeout', retryable: true, code: sysCode ?? 'TimeoutError', message: `${at} did not answer${after}: is the endpoint right and reachable from here?` };
  }

  if (sysCode && TLS_ERRORS.has(sysCode)) {
    return {
      kind: 'network',
      retryable: false,
      code: sysCode,
      message: `cannot reach ${at}: its TLS certificate is not trusted (${sysCode}) — behind an intercepting proxy, point NODE_EXTRA_CA_CERTS at its CA`,
    };
  }

  // Before the unreadable-answer check: a 429 (from STS or a proxy in front) often has a body that is not XML.
  if ((awsCode && THROTTLING.has(awsCode)) || status === 429) {
    return { kind: 'throttled', retryable: true, code: awsCode ?? 'HTTP 429', message: `${at} is throttling requests (${awsCode ?? 'HTTP 429'}): try again in a minute` };
  }

  if (err instanceof MalformedStsResponse || (!awsCode && /deserializ|xml parse|unexpected token/i.test(str(e.message) ?? ''))) {
    return {
      kind: 'malformed',
      retryable: false,
      code: 'MalformedResponse',
      message: `${at} sent an answer that is not an STS answer${status ? ` (HTTP ${status})` : ''}: is the endpoint really STS?`,
    };
  }

  if (awsCode === 'InvalidIdentityToken' || awsCode === 'InvalidIdentityTokenException') {
    return {
      kind: 'rejected',
      retryable: false,
      code: 'InvalidIdentityToken',
      message:
        `STS does not accept tokens from issuer ${iss ?? '(unknown)'} (InvalidIdentityToken): the account of ${ctx.roleArn} needs an IAM OIDC provider ` +
        `for this issuer, and AWS must be able to fetch ${iss ?? '<issuer>'}/.well-known/openid-configuration and its JWKS (escd oidc publish)${said}`,
    };
  }

  if (awsCode === 'IDPCommunicationError' || awsCode === 'IDPCommunicationErrorException') {
    return {
      kind: 'rejected',
      retryable: true,
      code: 'IDPCommunicationError',
      message: `STS could not fetch the keys of issuer ${iss ?? '(unknown)'} (IDPCommunicationError): ${iss ?? '<issuer>'}/.well-known/openid-configuration and its JWKS must be served publicly over HTTPS${said}`,
    };
  }

  if (awsCode === 'AccessDenied' || awsCode === 'AccessDeniedException' || awsCode === 'IDPRejectedClaim' || awsCode === 'IDPRejectedClaimException') {
    const code = awsCode.replace(/Exception$/, '');
    const prefix = conditionPrefix(iss);
    return {
      kind: 'rejected',
      retryable: false,
      code,
      message:
        `STS refused to let the token assume ${ctx.roleArn} (${code}): ${claimsText(ctx.token)}, which the role's trust policy must match ` +
        `(conditions on ${prefix}:aud and ${prefix}:sub; escd oidc trust-policy prints one), or the role does not exist`,
    };
  }

  if (awsCode === 'ExpiredTokenException' || awsCode === 'ExpiredToken') {
    return {
      kind: 'rejected',
      retryable: true,
      code: 'ExpiredTokenException',
      message: `STS says the web identity token has expired (ExpiredTokenException): tokens live only minutes, so check that this computer's clock is right`,
    };
  }

  if (awsCode === 'ValidationError' && /DurationSeconds|MaxSessionDuration/i.test(str(e.message) ?? '')) {
    return {
      kind: 'invalid-request',
      retryable: false,
      code: awsCode,
      message: `STS refused the session length for ${ctx.roleArn} (ValidationError): set a shorter oidc.duration (the default is 2h; roles allow 1h unless their MaxSessionDuration is raised)${said}`,
    };
  }

  if (awsCode === 'RegionDisabledException') {
    return {
      kind: 'invalid-request',
      retryable: false,
      code: awsCode,
      message: `STS is not activated in region ${ctx.region} for this account (RegionDisabledException): activate it in the IAM account settings or set aws.region`,
    };
  }

  if (awsCode === 'PackedPolicyTooLarge' || awsCode === 'PackedPolicyTooLargeException' || awsCode === 'MalformedPolicyDocument' || awsCode === 'MalformedPolicyDocumentException') {
    const code = awsCode.replace(/Exception$/, '');
    return { kind: 'invalid-request', retryable: false, code, message: `STS rejected the session policies (${code}): check oidc.policyArns${said}` };
  }

  if ((status !== undefined && status >= 500) || e.$fault === 'server') {
    const what = [awsCode, status ? `HTTP ${status}` : undefined].filter(Boolean).join(', ');
    return { kind: 'server', retryable: true, code: awsCode ?? `HTTP ${status}`, message: `${at} failed on its side (${what}): try again later` };
  }

  if (awsCode) {
    return {
      kind: 'invalid-request',
      retryable: false,
      code: awsCode,
      message: `STS refused the request for ${ctx.roleArn} (${awsCode}${status ? `, HTTP ${status}` : ''})${said}`,
    };
  }

  const text = str(e.message) ? safeServiceMessage(String(e.message)) : String(err);
  return { kind: 'unknown', retryable: true, ...(sysCode ? { code: sysCode } : {}), message: `the call to ${at} failed: ${text}` };
}
