// Turns what a Secrets Manager, SSM or IAM call threw into one line with the AWS error code and its
// likely cause. Pure (duck-typed SDK errors); never quotes credentials or secret values.
import { CONNECTION_ERRORS, readSdkError, safeServiceMessage, str, THROTTLING, TLS_ERRORS } from './sts-errors.js';

export interface ServiceCallContext {
  /** `Secrets Manager`, `SSM`, `IAM`. */
  readonly service: string;
  readonly endpoint: string;
  readonly region: string;
  /** What was being done, e.g. `read secret "api-key"`. */
  readonly action: string;
  /** The IAM permission the call needs, e.g. `secretsmanager:GetSecretValue`. */
  readonly permission: string;
  /** What "not found" means here, e.g. `no secret "api-key" in us-west-1: check secretId and region`. */
  readonly notFound?: string;
}

export interface ServiceFailure {
  /** The AWS error code, or the socket error code. */
  readonly code?: string;
  readonly message: string;
}


const NOT_FOUND = new Set(['ResourceNotFoundException', 'ParameterNotFound', 'ParameterVersionNotFound', 'NoSuchEntity', 'NoSuchEntityException']);
const BAD_CREDENTIALS = new Set(['UnrecognizedClientException', 'InvalidClientTokenId', 'InvalidSignatureException', 'SignatureDoesNotMatch', 'IncompleteSignature']);
const EXPIRED = new Set(['ExpiredTokenException', 'ExpiredToken', 'RequestExpired']);
const DENIED = new Set(['AccessDeniedException', 'AccessDenied', 'UnauthorizedOperation']);
const KMS = new Set(['DecryptionFailure', 'InvalidKeyId', 'KMSAccessDeniedException', 'KMSDisabledException', 'KMSInvalidStateException', 'KMSNotFoundException']);

export function describeServiceError(err: unknown, ctx: ServiceCallContext): ServiceFailure {
  const { e, name, awsCode, sysCode, status } = readSdkError(err);
  const said = str(e.message) ? ` — AWS said: "${safeServiceMessage(String(e.message))}"` : '';
  const at = `${ctx.service} at ${ctx.endpoint}`;
  const fail = (code: string | undefined, why: string): ServiceFailure => ({ ...(code ? { code } : {}), message: `cannot ${ctx.action}${code ? ` (${code})` : ''}: ${why}` });

  if (name === 'AbortError') return fail(undefined, 'the call was cancelled');
  if (sysCode && CONNECTION_ERRORS[sysCode]) return fail(sysCode, `cannot reach ${at}: ${CONNECTION_ERRORS[sysCode]} — check the network and the endpoint`);
  if (name === 'TimeoutError' || sysCode === 'ETIMEDOUT') return fail(sysCode ?? 'TimeoutError', `${at} did not answer in time: is the endpoint right and reachable from here?`);
  if (sysCode && TLS_ERRORS.has(sysCode)) return fail(sysCode, `${at} has a TLS certificate this computer does not trust (behind an intercepting proxy, point NODE_EXTRA_CA_CERTS at its CA)`);
  if ((awsCode && THROTTLING.has(awsCode)) || status === 429) return fail(awsCode ?? 'HTTP 429', `${at} is throttling requests: try again in a minute`);
  if (awsCode && NOT_FOUND.has(awsCode)) return fail(awsCode, `${ctx.notFound ?? `it does not exist in ${ctx.region}`}${said}`);
  if (awsCode && BAD_CREDENTIALS.has(awsCode)) {
    return fail(awsCode, `${ctx.service} does not accept the login's credentials: the keys are wrong or were made for another endpoint or partition (${at})`);
  }
  if (awsCode && EXPIRED.has(awsCode)) return fail(awsCode, `the login's session has expired: open the environment again, and check this computer's clock`);
  if (awsCode && DENIED.has(awsCode)) return fail(awsCode, `the login is not allowed to: its role or user needs ${ctx.permission} on this resource${said}`);
  if (awsCode && KMS.has(awsCode)) return fail(awsCode, `the KMS key that encrypts it cannot be used by the login (kms:Decrypt on the key, and the key enabled)${said}`);
  if ((status !== undefined && status >= 500) || e.$fault === 'server') return fail(awsCode ?? `HTTP ${status}`, `${at} failed on its side: try again later`);
  if (awsCode) return fail(awsCode, `${ctx.service} refused the request${status ? ` (HTTP ${status})` : ''}${said}`);
  const text = str(e.message) ? safeServiceMessage(String(e.message)) : String(err);
  return fail(sysCode, `the call to ${at} failed: ${text}`);
}
