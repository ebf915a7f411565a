// Pulumi Cloud's ESC API through the official client, @pulumi/esc-sdk. We use its generated layer
// (EscRawApi): the convenience wrapper (EscApi) rebuilds the base URL from protocol and host only, so a
// backend on any port but the default (a self-hosted service, the tests' server) is unreachable through it.
import type { Diagnostic } from '../esc/types.js';
import type { EscValue } from '../esc/value.js';
import { CloudShapeError, fromApiDiagnostics, propertiesToValues, shortestAwsLoginMs } from './api-values.js';

export interface CloudEnvironmentRef {
  readonly org: string;
  readonly project: string;
  readonly name: string;
  /** A revision number or tag; absent for the latest. */
  readonly version?: string;
}

export type CloudErrorCode = 'not_found' | 'unauthorized' | 'unreachable' | 'bad_answer' | 'failed';

/** One line for people, never the token; `requestId` is the service's, when it answered. */
export class CloudError extends Error {
  constructor(
    readonly code: CloudErrorCode,
    message: string,
    readonly requestId?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** One call to the service, for the audit log. */
export interface CloudCall {
  readonly operation: string;
  readonly environment: string;
  readonly status: number | 'unreachable';
  readonly requestId?: string;
}

export interface CloudOpened {
  readonly values?: EscValue;
  readonly diagnostics: readonly Diagnostic[];
  /** When the first thing inside stops being valid: the open session, or an aws-login session sooner. */
  readonly expiresAt: Date;
}

export interface CloudClient {
  open(ref: CloudEnvironmentRef): Promise<CloudOpened>;
  /** The definition's YAML; with `decrypt`, secrets in clear (the service's own decrypt call). */
  definition(ref: CloudEnvironmentRef, options?: { readonly decrypt?: boolean }): Promise<string>;
  /** Creates the environment when it does not exist, then stores `yaml` as its new revision. */
  update(ref: CloudEnvironmentRef, yaml: string): Promise<readonly Diagnostic[]>;
  list(org: string): Promise<readonly { readonly project: string; readonly name: string }[]>;
}

export interface CloudClientOptions {
  /** The service's base URL, e.g. `https://api.pulumi.com`. */
  readonly url: string;
  readonly token: string;
  readonly now: () => number;
  readonly onCall?: (call: CloudCall) => void;
  /** Per request; the service answers opens in well under this. */
  readonly timeoutMs?: number;
}

/** How long an open session is asked to last (ESC's own default). */
export const OPEN_SESSION = { text: '1h', ms: 3_600_000 } as const;
/** An answer larger than this is refused rather than parsed (a hostile or broken server). */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

const refText = (ref: CloudEnvironmentRef): string => `${ref.org}/${ref.project}/${ref.name}${ref.version ? `@${ref.version}` : ''}`;

export async function createCloudClient(options: CloudClientOptions): Promise<CloudClient> {
  // Loaded when a cloud environment is first used: a local-only installation never pays for axios.
  const { EscRawApi, Configuration } = await import('@pulumi/esc-sdk');
  const basePath = new URL('/api/esc', options.url).toString();
  const api = new EscRawApi(
    new Configuration({
      accessToken: options.token,
      basePath,
      baseOptions: { timeout: options.timeoutMs ?? 15_000, maxContentLength: MAX_ANSWER_BYTES, maxRedirects: 0 },
    }),
    basePath,
  );

  /** Runs one call, audits it, and turns any failure into a CloudError with a one-line message. */
  const call = async <T>(operation: string, ref: CloudEnvironmentRef | string, run: () => Promise<{ data: T; status: number; headers: unknown }>): Promise<T> => {
    const environment = typeof ref === 'string' ? ref : refText(ref);
    try {
      const response = await run();
      options.onCall?.({ operation, environment, status: response.status, ...requestIdOf(response.headers) });
      return response.data;
    } catch (err) {
      const failure = describeFailure(err, environment, options.url);
      options.onCall?.({ operation, environment, status: failure.status, ...(failure.error.requestId ? { requestId: failure.error.requestId } : {}) });
      throw failure.error;
    }
  };

  const shape = <T>(environment: string, convert: () => T): T => {
    try {
      return convert();
    } catch (err) {
      if (err instanceof CloudShapeError) throw new CloudError('bad_answer', `Pulumi Cloud answered ${environment} with an unexpected shape: ${err.message}`);
      throw err;
    }
  };

  return {
    async open(ref) {
      const openedAt = options.now();
      const opened = await call('open', ref, () =>
        ref.version
          ? api.openEnvironmentAtVersion(ref.org, ref.project, ref.name, ref.version, OPEN_SESSION.text)
          : api.openEnvironment(ref.org, ref.project, ref.name, OPEN_SESSION.text),
      );
      const file = `${ref.project}/${ref.name}`;
      const diagnostics = shape(refText(ref), () => fromApiDiagnostics(opened.diagnostics?.diagnostics, file));
      if (typeof opened.id !== 'string' || opened.id === '') {
        if (diagnostics.length > 0) return { diagnostics, expiresAt: new Date(openedAt) };
        throw new CloudError('bad_answer', `Pulumi Cloud opened ${refText(ref)} without a session id`);
      }
      const environment = await call('read', ref, () => api.readOpenEnvironment(ref.org, ref.project, ref.name, opened.id));
      const values = shape(refText(ref), () => propertiesToValues(environment.properties));
      const awsLogin = shortestAwsLoginMs(environment.exprs);
      const lifetime = Math.min(OPEN_SESSION.ms, awsLogin ?? OPEN_SESSION.ms);
      return { ...(values ? { values } : {}), diagnostics, expiresAt: new Date(openedAt + lifetime) };
    },

    async definition(ref, { decrypt = false } = {}) {
      const answer = await call(decrypt ? 'decrypt' : 'read-definition', ref, () =>
        decrypt
          ? api.decryptEnvironment(ref.org, ref.project, ref.name, { responseType: 'text', headers: { Accept: 'application/x-yaml' } })
          : ref.version
            ? api.getEnvironmentAtVersion(ref.org, ref.project, ref.name, ref.version, { responseType: 'text', headers: { Accept: 'application/x-yaml' } })
            : api.getEnvironment(ref.org, ref.project, ref.name, { responseType: 'text', headers: { Accept: 'application/x-yaml' } }),
      );
      if (typeof answer !== 'string') throw new CloudError('bad_answer', `Pulumi Cloud sent ${refText(ref)}'s definition as something other than YAML text`);
      return answer;
    },

    async update(ref, yaml) {
      const exists = await call('list', ref.org, () => api.listEnvironments(ref.org)).then((page) =>
        (page.environments ?? []).some((e) => e.project === ref.project && e.name === ref.name),
      );
      if (!exists) await call('create', ref, () => api.createEnvironment(ref.org, { project: ref.project, name: ref.name }));
      const answer = await call('update', ref, () => api.updateEnvironmentYaml(ref.org, ref.project, ref.name, yaml));
      return shape(refText(ref), () => fromApiDiagnostics(answer?.diagnostics, `${ref.project}/${ref.name}`));
    },

    async list(org) {
      const found: { project: string; name: string }[] = [];
      let token: string | undefined;
      // Bounded: a server that never stops handing out continuation tokens cannot keep us here.
      for (let page = 0; page < 100; page++) {
        const answer = await call('list', org, () => api.listEnvironments(org, token));
        for (const e of answer.environments ?? []) found.push({ project: e.project, name: e.name });
        token = answer.nextToken || undefined;
        if (!token) break;
      }
      return found;
    },
  };
}

function requestIdOf(headers: unknown): { requestId?: string } {
  const value = (headers as Record<string, unknown> | undefined)?.['x-pulumi-request-id'];
  return typeof value === 'string' && value !== '' ? { requestId: value.slice(0, 100) } : {};
}

interface AxiosLikeError {
  readonly code?: string;
  readonly message?: string;
  readonly response?: { readonly status: number; readonly data?: unknown; readonly headers?: unknown };
}

function describeFailure(err: unknown, environment: string, url: string): { status: number | 'unreachable'; error: CloudError } {
  const e = err as AxiosLikeError;
  const response = e?.response;
  if (!response) {
    const why = e?.code === 'ECONNABORTED' || e?.code === 'ETIMEDOUT' ? 'did not answer in time' : e?.code ? `cannot be reached (${e.code})` : 'cannot be reached';
    return { status: 'unreachable', error: new CloudError('unreachable', `Pulumi Cloud at ${url} ${why}`, undefined, { cause: err }) };
  }
  const { requestId } = requestIdOf(response.headers);
  const said = serviceMessage(response.data);
  const detail = `${said ? `: ${said}` : ''}${requestId ? ` (request ${requestId})` : ''}`;
  const status = response.status;
  const error =
    status === 401 || status === 403
      ? new CloudError('unauthorized', `Pulumi Cloud refused the access token for ${environment} (HTTP ${status})${detail}; run 'escd login ${url}'`, requestId)
      : status === 404
        ? new CloudError('not_found', `environment ${environment} not found in Pulumi Cloud${detail}`, requestId)
        : new CloudError('failed', `Pulumi Cloud failed on ${environment} (HTTP ${status})${detail}`, requestId);
  return { status, error };
}

/** The service's `{code, message}` error body, cut to one short line. */
function serviceMessage(data: unknown): string | undefined {
  const message = typeof data === 'object' && data !== null ? (data as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? message.split('\n')[0]!.slice(0, 200) : undefined;
}
