// Settings every escd client of a signed AWS API (Secrets Manager, SSM, IAM) shares: the given
// credentials only (never the default chain, which could run escd's own shim), an explicit region
// and endpoint, few attempts and bounded time.
import { quietSdkVersionWarning } from './sdk-env.js';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface ServiceTarget {
  readonly region: string;
  readonly endpoint: string;
  readonly credentials: AwsCredentials;
}

export const SERVICE_CONNECTION_TIMEOUT_MS = 5_000;
export const SERVICE_REQUEST_TIMEOUT_MS = 10_000;
export const SERVICE_MAX_ATTEMPTS = 2;

/** The constructor settings for any AWS SDK v3 client. */
export function serviceClientConfig(target: ServiceTarget) {
  quietSdkVersionWarning();
  const { accessKeyId, secretAccessKey, sessionToken } = target.credentials;
  return {
    region: target.region,
    endpoint: target.endpoint,
    credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) },
    useFipsEndpoint: false,
    useDualstackEndpoint: false,
    maxAttempts: SERVICE_MAX_ATTEMPTS,
    retryMode: 'standard',
    defaultsMode: 'legacy' as const,
    userAgentAppId: 'escd',
    requestHandler: {
      connectionTimeout: SERVICE_CONNECTION_TIMEOUT_MS,
      requestTimeout: SERVICE_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
  };
}
