// AssumeRoleWithWebIdentity through @aws-sdk/client-sts, set up for a daemon:
// - the call is unsigned (the token is the credential), so the client gets no credential chain:
//   resolving one could run the user's `credential_process`, which may be escd's own shim;
// - explicit region, endpoint, retry and timeout settings, so nothing comes from ~/.aws/config;
// - bounded time: connection and request timeouts, few attempts, and the caller's AbortSignal.
// Every failure is rethrown as StsCallError with one clear line (src/aws/sts-errors.ts).
import { AssumeRoleWithWebIdentityCommand, STSClient, type AssumeRoleWithWebIdentityCommandOutput } from '@aws-sdk/client-sts';
import { decodeJwt } from 'jose';
import { capResponses } from './response-cap.js';
import { quietSdkVersionWarning } from './sdk-env.js';
import { describeStsError, MalformedStsResponse, type StsCallContext, type StsFailure } from './sts-errors.js';

export interface StsClientOptions {
  readonly region: string;
  /** The endpoint URL (see resolveStsEndpoint). */
  readonly endpoint: string;
  /** Default 5 s. */
  readonly connectionTimeoutMs?: number;
  /** Default 10 s. */
  readonly requestTimeoutMs?: number;
  /** Attempts including the first (the SDK's standard retry: throttling, 5xx, timeouts). Default 2. */
  readonly maxAttempts?: number;
}

export interface WebIdentityRequest {
  readonly roleArn: string;
  readonly sessionName: string;
  /** The OIDC token. Never logged, never in an error. */
  readonly token: string;
  readonly durationSeconds: number;
  readonly policyArns?: readonly string[];
  readonly signal?: AbortSignal;
}

export interface RoleSession {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
  /** `arn:aws:sts::<account>:assumed-role/<role>/<session>`, when STS says. */
  readonly assumedRoleArn?: string;
}

export class StsCallError extends Error {
  readonly failure: StsFailure;
  constructor(failure: StsFailure) {
    super(failure.message);
    this.name = 'StsCallError';
    this.failure = failure;
  }
}

/** What the aws-login provider needs from STS; tests may hand in their own. */
export interface WebIdentitySts {
  readonly endpoint: string;
  assumeRoleWithWebIdentity(request: WebIdentityRequest): Promise<RoleSession>;
}

export const DEFAULT_CONNECTION_TIMEOUT_MS = 5_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_ATTEMPTS = 2;

function neverSign(): never {
  throw new Error('escd does not sign STS web-identity calls: no AWS credentials are looked up');
}

export function createStsClient(options: StsClientOptions): STSClient {
  quietSdkVersionWarning();
  const client = new STSClient({
    region: options.region,
    endpoint: options.endpoint,
    // An explicit endpoint cannot be combined with FIPS/dual-stack; stated so no config file is consulted.
    useFipsEndpoint: false,
    useDualstackEndpoint: false,
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryMode: 'standard',
    defaultsMode: 'legacy',
    userAgentAppId: 'escd',
    authSchemePreference: [],
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
      requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      // Without this the SDK only warns when the request timeout passes, and waits on.
      throwOnRequestTimeout: true,
    },
    // AssumeRoleWithWebIdentity is unauthenticated: always choose "no auth", and make any attempt
    // to find credentials fail loudly instead of walking the default chain.
    httpAuthSchemeProvider: () => [{ schemeId: 'smithy.api#noAuth' }],
    credentials: async () => neverSign(),
  });
  capResponses(client.middlewareStack);
  return client;
}

function publicClaims(token: string): StsCallContext['token'] {
  try {
    const { iss, aud, sub } = decodeJwt(token);
    return { ...(iss ? { iss } : {}), ...(aud ? { aud } : {}), ...(sub ? { sub } : {}) };
  } catch {
    return undefined;
  }
}

function sessionOf(output: AssumeRoleWithWebIdentityCommandOutput): RoleSession {
  const creds = output.Credentials;
  const expiration = creds?.Expiration;
  if (!creds?.AccessKeyId || !creds.SecretAccessKey || !creds.SessionToken || !(expiration instanceof Date) || Number.isNaN(expiration.getTime())) {
    throw new MalformedStsResponse('the answer has no complete Credentials');
  }
  return {
    accessKeyId: creds.AccessKeyId,
    secretAccessKey: creds.SecretAccessKey,
    sessionToken: creds.SessionToken,
    expiration,
    ...(output.AssumedRoleUser?.Arn ? { assumedRoleArn: output.AssumedRoleUser.Arn } : {}),
  };
}

export function createWebIdentitySts(options: StsClientOptions): WebIdentitySts {
  let client: STSClient | undefined;
  const endpoint = options.endpoint.replace(/\/+$/, '');
  return {
    endpoint,
    async assumeRoleWithWebIdentity(request) {
      client ??= createStsClient(options);
      const command = new AssumeRoleWithWebIdentityCommand({
        RoleArn: request.roleArn,
        RoleSessionName: request.sessionName,
        WebIdentityToken: request.token,
        DurationSeconds: request.durationSeconds,
        ...(request.policyArns && request.policyArns.length > 0 ? { PolicyArns: request.policyArns.map((arn) => ({ arn })) } : {}),
      });
      try {
        return sessionOf(await client.send(command, request.signal ? { abortSignal: request.signal } : {}));
      } catch (err) {
        const token = publicClaims(request.token);
        throw new StsCallError(
          describeStsError(err, {
            endpoint,
            region: options.region,
            roleArn: request.roleArn,
            requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
            attempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
            ...(token ? { token } : {}),
          }),
        );
      }
    },
  };
}
