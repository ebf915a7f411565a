// The wire protocol between the daemon and its clients (shim, CLI): one JSON object per line over
// the Unix socket. Node built-ins only and type-only imports: the shim loads this file.
import type { ErrorCode } from '../core/errors.js';

/**
 * The newest protocol version this package speaks. A request names the version it needs: methods keep
 * the version they appeared in (METHOD_SINCE), so the shim's v1 requests still reach an older daemon,
 * and a daemon older than a v2 method answers `unsupported_version` (the CLI then says `escd restart`).
 */
export const PROTOCOL_VERSION = 2;
export type ProtocolVersion = 1 | 2;
export const SUPPORTED_VERSIONS: readonly ProtocolVersion[] = [1, 2];
/** Longest request line the daemon reads before answering `too_large` and closing. */
export const MAX_REQUEST_BYTES = 64 * 1024;

export type KubeApiVersion = 'client.authentication.k8s.io/v1' | 'client.authentication.k8s.io/v1beta1';

export type OpenFormat = 'json' | 'wire';

/**
 * What the caller's shell says about settings only the daemon decides (its endpoint override); the
 * daemon answers with a `warning` when they differ. Never used to change what the daemon does.
 */
export interface CallerSettings {
  /** The caller's AWS_ENDPOINT_URL_STS (or AWS_ENDPOINT_URL). */
  callerStsEndpoint?: string;
}

export interface MethodParams {
  /** credential_process answer for the environment's AWS_* environmentVariables. */
  'aws.credentials': { env: string } & CallerSettings;
  /** ExecCredential for kubectl: an EKS token, or with `oidc` an issuer-signed JWT. */
  'kube.credentials': { env: string; cluster: string; region?: string; oidc?: boolean; audience?: string; apiVersion: KubeApiVersion } & CallerSettings;
  /**
   * The evaluated environment (redacted unless showSecrets): `format: 'json'` (default) plain values;
   * `'wire'` the value tree with secret/unknown flags (src/esc/wire-value.ts), from which the CLI renders
   * every format, plus warning diagnostics; with `traces`, each wire node carries its trace.
   */
  'env.open': { env: string; showSecrets?: boolean; format?: OpenFormat; traces?: boolean } & CallerSettings;
  /** What `escd run` needs: variables, files, the secret strings to redact, and the values for `${path}` in arguments. */
  'env.run': { env: string; interactive?: boolean } & CallerSettings;
  /**
   * Diagnostics of a definition not saved yet: its text (`source`) or a file (`path`), checked as
   * environment `env`; neither: the stored definition. With `values`, also the checked values (no
   * provider is called: their outputs are unknown), secrets in clear only with `showSecrets` (audited).
   */
  'env.check': { env: string; source?: string; path?: string; values?: boolean; showSecrets?: boolean; traces?: boolean };
  /**
   * A fresh issuer token as the environment's `fn::open::aws-login` would send it (`escd oidc token`):
   * the daemon records what aws-login asks for (signing nothing, calling no STS), then signs the first
   * request with these overrides. Audited.
   */
  'oidc.token': { env: string; audience?: string; subjectAttributes?: string[]; lifetimeSeconds?: number };
  /**
   * Runs the rotators of the environment's `fn::rotate` calls at `paths` (document paths under
   * values; all when absent) and writes their new states as one revision (`escd env rotate`). Not
   * idempotent: a client never asks twice. Audited; `showSecrets` returns the rotated values in clear.
   */
  'env.rotate': { env: string; paths?: string[]; showSecrets?: boolean };
  status: Record<string, never>;
  /** A container-credentials endpoint grant for the environment (`escd endpoint`); `ttlSeconds` default 12 h, at most MAX_GRANT_TTL_SECONDS. */
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
  /**
   * A Pulumi Cloud environment's definition, history or tags (`escd env …` on a cloud name): the daemon
   * makes every call to the service, audits it and drops what it cached of what a write changed.
   */
  'cloud.env': CloudOperation;
  shutdown: Record<string, never>;
  ping: Record<string, never>;
}

/** What `cloud.env` does; `env` is `org/project/env[@version]` of an org config.yaml maps to Pulumi Cloud. */
export type CloudOperation =
  | { op: 'list'; org: string }
  /** A new, empty environment (`escd env init`); `conflict` when it exists. */
  | { op: 'create'; env: string }
  /** A copy as `project/name` in the same org (`escd env clone`), keeping what the flags say. */
  | { op: 'clone'; env: string; project: string; name: string; history?: boolean; access?: boolean; environmentTags?: boolean; revisionTags?: boolean }
  /** The definition (at the version, if any) with its ETag and revision; `decrypt`: secrets in clear. */
  | { op: 'read'; env: string; decrypt?: boolean }
  /**
   * The next revision from `source` (or the file at `path`, for big ones); `etag` refuses a concurrent
   * change; `create` makes the environment first when it does not exist (`escd env push`).
   */
  | { op: 'write'; env: string; source?: string; path?: string; etag?: string; create?: boolean }
  | { op: 'revisions'; env: string }
  | { op: 'revision-tags'; env: string }
  | { op: 'revision-tag'; env: string; tag: string }
  | { op: 'tag-revision'; env: string; tag: string; revision: number }
  | { op: 'untag-revision'; env: string; tag: string }
  | { op: 'tags'; env: string }
  | { op: 'tag'; env: string; name: string }
  | { op: 'set-tag'; env: string; name: string; value: string }
  | { op: 'rename-tag'; env: string; name: string; newName: string }
  | { op: 'remove-tag'; env: string; name: string };
export type CloudOperationName = CloudOperation['op'];

export type Method = keyof MethodParams;
/** The protocol version each method appeared in. */
export const METHOD_SINCE: { readonly [M in Method]: ProtocolVersion } = {
  'aws.credentials': 1,
  'kube.credentials': 1,
  'env.open': 1,
  'env.run': 2,
  'env.check': 2,
  'oidc.token': 2,
  'env.rotate': 2,
  status: 1,
  'endpoint.grant': 1,
  'endpoint.revoke': 1,
  'tokenfile.keep': 1,
  'tokenfile.drop': 1,
  flush: 1,
  'cloud.env': 2,
  shutdown: 1,
  ping: 1,
};
export const METHODS: readonly Method[] = Object.keys(METHOD_SINCE) as Method[];

/** The caller's endpoint override, for CallerSettings (the shim and the CLI read it the same way). */
export function callerStsEndpoint(env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.toLowerCase() === 'true') return undefined;
  return env.AWS_ENDPOINT_URL_STS?.trim() || env.AWS_ENDPOINT_URL?.trim() || undefined;
}

export interface Request<M extends Method = Method> {
  v: ProtocolVersion;
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

/** Endpoint grants live at most 30 days (`escd run --endpoint` asks for that: its command may run as long). */
export const MAX_GRANT_TTL_SECONDS = 30 * 24 * 3600;

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

/** escd's closed set of error codes (src/core/errors.ts): an answer's `error.code` is one of them. */
export type { ErrorCode };

export interface ErrorBody {
  code: ErrorCode;
  /** One line, for people; never contains a secret. */
  message: string;
  /** evaluation_failed: every diagnostic of the evaluation, one line each (the message is the first error). */
  diagnostics?: string[];
}

/** `warning`: one line the client prints to stderr (e.g. its shell and the daemon disagree on a setting). */
export type Response =
  | { v: ProtocolVersion; id: string | number | null; ok: true; result: unknown; warning?: string }
  | { v: ProtocolVersion; id: string | number | null; ok: false; error: ErrorBody; warning?: string };

export function encodeLine(message: Request | Response): string {
  return JSON.stringify(message) + '\n';
}

/** A diagnostic as the evaluator reports it (src/esc/types.ts); `file` is an environment name. */
export interface WireDiagnostic {
  readonly stage: 'load' | 'check' | 'eval' | 'rotate';
  readonly severity: 'error' | 'warning';
  readonly summary: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly path?: string;
}

/** `env.open` with `format: 'wire'`. `values` is a wire value (src/esc/wire-value.ts). */
export interface EnvOpenResult {
  readonly environment: string;
  readonly values?: unknown;
  /** Warning diagnostics, one line each (`file:line:column: warning: summary`). */
  readonly warnings: readonly string[];
  readonly expiresAt?: string;
}

/** `env.run`: what the child gets, and what its output must not show. */
export interface EnvRunResult extends EnvOpenResult {
  readonly variables: Readonly<Record<string, string>>;
  /** Variable name → file text (the variable receives the temporary file's path). */
  readonly files: Readonly<Record<string, string>>;
  /** Every secret string of the environment, to redact from the output. */
  readonly secrets: readonly string[];
}

/** `oidc.token`: the signed token, and what the caller should know about how it was made (one line each). */
export interface OidcTokenResult {
  readonly token: string;
  readonly warnings: readonly string[];
}

/** `env.rotate`: what was rotated and written, with the diagnostics as env.check gives them. */
export interface EnvRotateResult {
  readonly environment: { readonly name: string; readonly file: string };
  readonly diagnostics: readonly WireDiagnostic[];
  readonly files: Readonly<Record<string, string>>;
  /** Document paths of the rotated `fn::rotate` calls (`values.aws.iam["fn::rotate::aws-iam"].state`). */
  readonly rotated: readonly string[];
  /** The revision the new states were written as; absent when nothing was written. */
  readonly revision?: number;
  /** The evaluated values after the rotation (a wire value), secrets redacted unless showSecrets; null for none. */
  readonly values: unknown;
}

/** `env.check`: the diagnostics of the definition, and the file behind each environment they name. */
export interface EnvCheckResult {
  readonly environment: { readonly name: string; readonly file: string };
  readonly diagnostics: readonly WireDiagnostic[];
  /** Environment name → its file, for every name the diagnostics use. */
  readonly files: Readonly<Record<string, string>>;
  /** The YAML parser's own line (with its position) when the text does not parse. */
  readonly syntaxError?: string;
  /** With params.values: the checked value tree as in EnvOpenResult (a wire value, src/esc/wire-value.ts), null for none. */
  readonly values?: unknown;
}
