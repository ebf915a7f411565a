// The wire protocol between the daemon and its clients (shim, CLI): one JSON object per line over
// the Unix socket. Node built-ins only and no imports: the shim loads this file.

export const PROTOCOL_VERSION = 1;
/** Longest request line the daemon reads before answering `too_large` and closing. */
export const MAX_REQUEST_BYTES = 64 * 1024;

export type KubeApiVersion = 'client.authentication.k8s.io/v1' | 'client.authentication.k8s.io/v1beta1';

export interface MethodParams {
  /** credential_process answer for the environment's AWS_* environmentVariables. */
  'aws.credentials': { env: string };
  /** ExecCredential for kubectl: an EKS token, or with `oidc` an issuer-signed JWT. */
  'kube.credentials': { env: string; cluster: string; region?: string; oidc?: boolean; audience?: string; apiVersion: KubeApiVersion };
  /** The evaluated environment (redacted unless showSecrets). */
  'env.open': { env: string; showSecrets?: boolean };
  status: Record<string, never>;
  /** A container-credentials endpoint grant for the environment (`escd endpoint`); `ttlSeconds` default 12 h. */
  'endpoint.grant': { env: string; ttlSeconds?: number };
  /** Revokes endpoint grants: one (by id or token), an environment's, or all. */
  'endpoint.revoke': { id?: string; token?: string; env?: string; all?: boolean };
  /**
   * Keep a token file fresh: `kube` (the kubeconfig tokenFile of `escd setup kube --token-file`, path
   * chosen by the daemon) or `oidc` (an issuer token for workload identity federation at `path`).
   */
  'tokenfile.keep': {
    kind: 'kube' | 'oidc';
    env: string;
    cluster?: string;
    region?: string;
    oidc?: boolean;
    audience?: string;
    path?: string;
    lifetimeSeconds?: number;
  };
  /** Stops keeping the token file at `path` and removes it. */
  'tokenfile.drop': { path: string };
  /** Drops one cached environment, or all (and rewrites the token files kept for it). */
  flush: { env?: string };
  shutdown: Record<string, never>;
  ping: Record<string, never>;
}

export type Method = keyof MethodParams;
export const METHODS: readonly Method[] = ['aws.credentials', 'kube.credentials', 'env.open', 'status', 'endpoint.grant', 'endpoint.revoke', 'tokenfile.keep', 'tokenfile.drop', 'flush', 'shutdown', 'ping'];

export interface Request<M extends Method = Method> {
  v: typeof PROTOCOL_VERSION;
  id: string | number;
  method: M;
  params: MethodParams[M];
}

/** The JSON `credential_process` expects, printed by the shim as is. */
export interface AwsProcessCredentials {
  Version: 1;
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken?: string;
  /** ISO 8601; absent for credentials that do not expire. */
  Expiration?: string;
}

export interface ExecCredential {
  apiVersion: KubeApiVersion;
  kind: 'ExecCredential';
  spec?: Record<string, unknown>;
  status: { token: string; expirationTimestamp: string };
}

/** The answer to `endpoint.grant`: the two variables an AWS SDK reads, and what identifies the grant. */
export interface EndpointGrantResult {
  id: string;
  environment: string;
  /** AWS_CONTAINER_CREDENTIALS_FULL_URI */
  url: string;
  /** AWS_CONTAINER_AUTHORIZATION_TOKEN */
  token: string;
  /** ISO 8601 */
  expiresAt: string;
}

export type ErrorCode =
  | 'bad_request'
  | 'too_large'
  | 'unsupported_version'
  | 'unknown_method'
  | 'not_found'
  | 'evaluation_failed'
  | 'not_credentials'
  | 'upstream_failed'
  | 'shutting_down'
  | 'internal';

export interface ErrorBody {
  code: ErrorCode;
  /** One line, for people; never contains a secret. */
  message: string;
}

export type Response =
  | { v: typeof PROTOCOL_VERSION; id: string | number | null; ok: true; result: unknown }
  | { v: typeof PROTOCOL_VERSION; id: string | number | null; ok: false; error: ErrorBody };

export function encodeLine(message: Request | Response): string {
  return JSON.stringify(message) + '\n';
}
