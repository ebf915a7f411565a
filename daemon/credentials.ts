// From an evaluated environment to the answers AWS and kubectl expect.
import { projectEnvironment } from '../src/esc/project.js';
import { EscdError } from '../src/core/errors.js';
import type { Session } from '../src/cache/environment-cache.js';
import type { AwsProcessCredentials, ExecCredential, KubeApiVersion } from '../src/protocol/wire.js';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** Absent for credentials that do not expire. */
  readonly expiration?: Date;
}

/** The environment's projected `environmentVariables` (as `escd run` would set them), computed once per session. */
export function environmentVariables(session: Session): Readonly<Record<string, string>> {
  const memo = session.memo.get('environmentVariables') as Record<string, string> | undefined;
  if (memo) return memo;
  const out: Record<string, string> = {};
  for (const [key, projected] of Object.entries(projectEnvironment(session.result.values).environmentVariables)) out[key] = projected.value;
  session.memo.set('environmentVariables', out);
  return out;
}

/** AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN; the expiry is the session's. */
export function awsCredentials(session: Session): AwsCredentials {
  const vars = environmentVariables(session);
  const accessKeyId = vars.AWS_ACCESS_KEY_ID;
  const secretAccessKey = vars.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new EscdError(
      'not_credentials',
      `environment '${session.environment}' has no AWS credentials: set environmentVariables.AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (e.g. from fn::open::aws-login)`,
    );
  }
  return {
    accessKeyId,
    secretAccessKey,
    ...(vars.AWS_SESSION_TOKEN ? { sessionToken: vars.AWS_SESSION_TOKEN } : {}),
    ...(session.expiresAt !== undefined ? { expiration: new Date(session.expiresAt) } : {}),
  };
}

/** The `credential_process` JSON as text, computed once per session. */
export function awsProcessJson(session: Session): string {
  const memo = session.memo.get('aws.credentials');
  if (typeof memo === 'string') return memo;
  const creds = awsCredentials(session);
  const body: AwsProcessCredentials = {
    Version: 1,
    AccessKeyId: creds.accessKeyId,
    SecretAccessKey: creds.secretAccessKey,
    ...(creds.sessionToken ? { SessionToken: creds.sessionToken } : {}),
    ...(creds.expiration ? { Expiration: creds.expiration.toISOString() } : {}),
  };
  const text = JSON.stringify(body);
  session.memo.set('aws.credentials', text);
  return text;
}

/** `aws eks get-token` style timestamps: RFC 3339, whole seconds. */
export function rfc3339Seconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function execCredential(apiVersion: KubeApiVersion, token: string, expiresAt: number): ExecCredential {
  return { apiVersion, kind: 'ExecCredential', spec: {}, status: { expirationTimestamp: rfc3339Seconds(expiresAt), token } };
}
