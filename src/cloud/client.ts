// Pulumi Cloud's ESC API through the official client, @pulumi/esc-sdk. We use its generated layer
// (EscRawApi): the convenience wrapper (EscApi) rebuilds the base URL from protocol and host only, so a
// backend on any port but the default (a self-hosted service, the tests' server) is unreachable through it.
import { EscdError, type ErrorCode } from '../core/errors.js';
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

/** Why a call failed, finer than the error code (callers branch on it: a missing tag is created). */
export type CloudFailure = 'not_found' | 'unauthorized' | 'unreachable' | 'bad_answer' | 'conflict' | 'unsupported' | 'failed';

const CODE_OF: { readonly [F in CloudFailure]: ErrorCode } = {
  not_found: 'not_found',
  conflict: 'conflict',
  unsupported: 'bad_request',
  unauthorized: 'upstream_failed',
  unreachable: 'upstream_failed',
  bad_answer: 'upstream_failed',
  failed: 'upstream_failed',
};

/** escd's one error type: one line for people, never the token; `requestId` is the service's, when it answered. */
export class CloudError extends EscdError {
  constructor(
    readonly reason: CloudFailure,
    message: string,
    readonly requestId?: string,
    options?: { cause?: unknown },
  ) {
    super(CODE_OF[reason], message, options);
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

/** A definition as the service keeps it, with what an update needs to detect a concurrent writer. */
export interface CloudDefinition {
  readonly yaml: string;
  /** The service's ETag for this definition; sent back with an update so a concurrent change is refused. */
  readonly etag?: string;
  /** The revision the text is (the service's `Pulumi-ESC-Revision` header). */
  readonly revision?: number;
}

/** Who changed something and when, as the service reports it (any part may be missing). */
export interface CloudStamp {
  /** ISO 8601. */
  readonly at?: string;
  readonly login?: string;
  /** The person's display name. */
  readonly author?: string;
}

export interface CloudRevision extends CloudStamp {
  readonly number: number;
  /** Revision tags on it, as the service lists them. */
  readonly tags: readonly string[];
}

export interface CloudRevisionTag extends CloudStamp {
  readonly name: string;
  readonly revision: number;
}

export interface CloudEnvironmentTag {
  readonly name: string;
  readonly value: string;
  readonly created?: string;
  readonly modified?: string;
  readonly login?: string;
  readonly editor?: string;
}

/** What a clone keeps besides the latest definition (the service's CloneEnvironment flags). */
export interface CloudCloneOptions {
  readonly history?: boolean;
  readonly access?: boolean;
  readonly environmentTags?: boolean;
  readonly revisionTags?: boolean;
}

export interface CloudClient {
  open(ref: CloudEnvironmentRef): Promise<CloudOpened>;
  /** The definition's YAML; with `decrypt`, secrets in clear (the service's own decrypt call). */
  definition(ref: CloudEnvironmentRef, options?: { readonly decrypt?: boolean }): Promise<string>;
  /** The definition with its ETag and revision (at `ref.version` when given; decrypt only for the latest). */
  read(ref: CloudEnvironmentRef, options?: { readonly decrypt?: boolean }): Promise<CloudDefinition>;
  /**
   * Stores `yaml` as the next revision of an existing environment. With `etag`, the service refuses
   * it when the environment changed since that read (CloudError `conflict`). A definition with errors
   * is not stored: its diagnostics are returned.
   */
  write(ref: CloudEnvironmentRef, yaml: string, options?: { readonly etag?: string }): Promise<{ readonly diagnostics: readonly Diagnostic[]; readonly revision?: number }>;
  /** Creates the environment when it does not exist, then stores `yaml` as its new revision. */
  update(ref: CloudEnvironmentRef, yaml: string): Promise<readonly Diagnostic[]>;
  /** Creates an empty environment; CloudError `conflict` when it exists. */
  create(ref: CloudEnvironmentRef): Promise<void>;
  /** Copies the environment to `project/name` in its org, with what `keep` asks for. */
  clone(ref: CloudEnvironmentRef, to: { readonly project: string; readonly name: string }, keep: CloudCloneOptions): Promise<void>;
  list(org: string): Promise<readonly { readonly project: string; readonly name: string; readonly modified?: string }[]>;
  /** Revisions, newest first (from `before - 1` down when given). */
  revisions(ref: CloudEnvironmentRef, options?: { readonly before?: number }): Promise<readonly CloudRevision[]>;
  revisionTags(ref: CloudEnvironmentRef): Promise<readonly CloudRevisionTag[]>;
  revisionTag(ref: CloudEnvironmentRef, name: string): Promise<CloudRevisionTag>;
  /** Creates the revision tag, or moves it when it exists. */
  tagRevision(ref: CloudEnvironmentRef, name: string, revision: number): Promise<void>;
  untagRevision(ref: CloudEnvironmentRef, name: string): Promise<void>;
  tags(ref: CloudEnvironmentRef): Promise<readonly CloudEnvironmentTag[]>;
  tag(ref: CloudEnvironmentRef, name: string): Promise<CloudEnvironmentTag>;
  /** Creates the environment tag, or changes its value when it exists. */
  setTag(ref: CloudEnvironmentRef, name: string, value: string): Promise<CloudEnvironmentTag>;
  renameTag(ref: CloudEnvironmentRef, name: string, newName: string): Promise<CloudEnvironmentTag>;
  removeTag(ref: CloudEnvironmentRef, name: string): Promise<void>;
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
  const callFull = async <T>(operation: string, ref: CloudEnvironmentRef | string, run: () => Promise<{ data: T; status: number; headers: unknown }>): Promise<{ data: T; status: number; headers: unknown }> => {
    const environment = typeof ref === 'string' ? ref : refText(ref);
    try {
      const response = await run();
      options.onCall?.({ operation, environment, status: response.status, ...requestIdOf(response.headers) });
      return response;
    } catch (err) {
      const failure = describeFailure(err, environment, options.url);
      options.onCall?.({ operation, environment, status: failure.status, ...(failure.error.requestId ? { requestId: failure.error.requestId } : {}) });
      throw failure.error;
    }
  };
  const call = async <T>(operation: string, ref: CloudEnvironmentRef | string, run: () => Promise<{ data: T; status: number; headers: unknown }>): Promise<T> =>
    (await callFull(operation, ref, run)).data;

  const shape = <T>(environment: string, convert: () => T): T => {
    try {
      return convert();
    } catch (err) {
      if (err instanceof CloudShapeError) throw new CloudError('bad_answer', `Pulumi Cloud answered ${environment} with an unexpected shape: ${err.message}`);
      throw err;
    }
  };

  const client: CloudClient = {
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
      return (await client.write(ref, yaml)).diagnostics;
    },

    async create(ref) {
      await call('create', ref, () => api.createEnvironment(ref.org, { project: ref.project, name: ref.name })).catch((err: unknown) => {
        if (err instanceof CloudError && err.reason === 'conflict') throw new CloudError('conflict', `environment ${refText(ref)} already exists in Pulumi Cloud`, err.requestId);
        throw err;
      });
    },

    async clone(ref, to, keep) {
      const body = {
        project: to.project,
        name: to.name,
        ...(keep.history ? { preserveHistory: true } : {}),
        ...(keep.access ? { preserveAccess: true } : {}),
        ...(keep.environmentTags ? { preserveEnvironmentTags: true } : {}),
        ...(keep.revisionTags ? { preserveRevisionTags: true } : {}),
      };
      await call('clone', ref, () => api.cloneEnvironment(ref.org, ref.project, ref.name, body)).catch((err: unknown) => {
        if (err instanceof CloudError && err.reason === 'conflict') throw new CloudError('conflict', `environment ${ref.org}/${to.project}/${to.name} already exists in Pulumi Cloud`, err.requestId);
        throw err;
      });
    },

    async read(ref, { decrypt = false } = {}) {
      if (decrypt && ref.version) throw new CloudError('unsupported', `Pulumi Cloud's API decrypts only the latest definition, not ${refText(ref)}`);
      const yamlText = { responseType: 'text', headers: { Accept: 'application/x-yaml' } } as const;
      const response = await callFull(decrypt ? 'decrypt' : 'read-definition', ref, () =>
        decrypt
          ? api.decryptEnvironment(ref.org, ref.project, ref.name, yamlText)
          : ref.version
            ? api.getEnvironmentAtVersion(ref.org, ref.project, ref.name, ref.version, yamlText)
            : api.getEnvironment(ref.org, ref.project, ref.name, yamlText),
      );
      if (typeof response.data !== 'string') throw new CloudError('bad_answer', `Pulumi Cloud sent ${refText(ref)}'s definition as something other than YAML text`);
      const etag = header(response.headers, 'etag');
      const revision = revisionOf(response.headers);
      return { yaml: response.data, ...(etag ? { etag } : {}), ...(revision !== undefined ? { revision } : {}) };
    },

    async write(ref, yaml, { etag } = {}) {
      const environment = refText(ref);
      let response;
      try {
        // A definition with errors is answered 400 with its diagnostics: an answer, not a failure.
        response = await callFull('update', ref, () =>
          api.updateEnvironmentYaml(ref.org, ref.project, ref.name, yaml, {
            ...(etag ? { headers: { ETag: etag } } : {}),
            validateStatus: (status: number) => (status >= 200 && status < 300) || status === 400,
          }),
        );
      } catch (err) {
        if (err instanceof CloudError && err.reason === 'conflict') {
          throw new CloudError('conflict', `${environment} changed in Pulumi Cloud since it was read; nothing was written (read it again and retry)${err.requestId ? ` (request ${err.requestId})` : ''}`, err.requestId);
        }
        throw err;
      }
      const data = response.data as { diagnostics?: unknown; message?: unknown } | undefined;
      const diagnostics = shape(environment, () => fromApiDiagnostics(data?.diagnostics, `${ref.project}/${ref.name}`));
      if (response.status === 400 && diagnostics.length === 0) {
        const said = typeof data?.message === 'string' ? `: ${data.message.split('\n')[0]!.slice(0, 200)}` : '';
        throw new CloudError('failed', `Pulumi Cloud refused the definition of ${environment} (HTTP 400)${said}`);
      }
      const revision = revisionOf(response.headers);
      return { diagnostics, ...(revision !== undefined ? { revision } : {}) };
    },

    async revisions(ref, { before } = {}) {
      const found: CloudRevision[] = [];
      let next = before;
      // Pages of 100, newest first; bounded so a server that never ends cannot keep us here.
      for (let page = 0; page < 1000; page++) {
        const answer = await call('list-revisions', ref, () => api.listEnvironmentRevisions(ref.org, ref.project, ref.name, next, REVISION_PAGE));
        if (!Array.isArray(answer)) throw new CloudError('bad_answer', `Pulumi Cloud listed ${refText(ref)}'s revisions as something other than a list`);
        for (const r of answer) {
          if (typeof r?.number !== 'number') throw new CloudError('bad_answer', `Pulumi Cloud listed a revision of ${refText(ref)} without a number`);
          found.push({ number: r.number, tags: Array.isArray(r.tags) ? r.tags.filter((t): t is string => typeof t === 'string') : [], ...stamp(r.created, r.creatorLogin, r.creatorName) });
        }
        const last = answer.at(-1)?.number;
        if (answer.length < REVISION_PAGE || last === undefined || last <= 1) break;
        next = last;
      }
      return found;
    },

    async revisionTags(ref) {
      const found: CloudRevisionTag[] = [];
      let after: string | undefined;
      for (let page = 0; page < 100; page++) {
        const answer = await call('list-revision-tags', ref, () => api.listEnvironmentRevisionTags(ref.org, ref.project, ref.name, after));
        for (const t of answer.tags ?? []) found.push(revisionTagOf(t, ref));
        after = answer.nextToken || undefined;
        if (!after) break;
      }
      return found;
    },

    async revisionTag(ref, name) {
      const answer = await call('read-revision-tag', ref, () => api.getEnvironmentRevisionTag(ref.org, ref.project, ref.name, name)).catch(notFound(`revision tag ${name} of ${refText(ref)}`));
      return revisionTagOf(answer, ref);
    },

    async tagRevision(ref, name, revision) {
      const exists = await client.revisionTag(ref, name).then(
        () => true,
        (err: unknown) => (err instanceof CloudError && err.reason === 'not_found' ? false : Promise.reject(err)),
      );
      if (exists) await call('update-revision-tag', ref, () => api.updateEnvironmentRevisionTag(ref.org, ref.project, ref.name, name, { revision }));
      else await call('create-revision-tag', ref, () => api.createEnvironmentRevisionTag(ref.org, ref.project, ref.name, { name, revision }));
    },

    async untagRevision(ref, name) {
      await call('delete-revision-tag', ref, () => api.deleteEnvironmentRevisionTag(ref.org, ref.project, ref.name, name)).catch(notFound(`revision tag ${name} of ${refText(ref)}`));
    },

    async tags(ref) {
      const found: CloudEnvironmentTag[] = [];
      let after: string | undefined;
      for (let page = 0; page < 100; page++) {
        const answer = await call('list-tags', ref, () => api.listEnvironmentTags(ref.org, ref.project, ref.name, after));
        for (const t of Object.values(answer.tags ?? {})) found.push(environmentTagOf(t, ref));
        after = answer.nextToken || undefined;
        if (!after) break;
      }
      return found;
    },

    async tag(ref, name) {
      const answer = await call('read-tag', ref, () => api.getEnvironmentTag(ref.org, ref.project, ref.name, name)).catch(notFound(`tag ${name} of ${refText(ref)}`));
      return environmentTagOf(answer, ref);
    },

    async setTag(ref, name, value) {
      const current = await client.tag(ref, name).catch((err: unknown) => (err instanceof CloudError && err.reason === 'not_found' ? undefined : Promise.reject(err)));
      const answer = current
        ? await call('update-tag', ref, () => api.updateEnvironmentTag(ref.org, ref.project, ref.name, name, { currentTag: { value: current.value }, newTag: { name, value } }))
        : await call('create-tag', ref, () => api.createEnvironmentTag(ref.org, ref.project, ref.name, { name, value }));
      return environmentTagOf(answer, ref);
    },

    async renameTag(ref, name, newName) {
      const current = await client.tag(ref, name);
      const answer = await call('update-tag', ref, () =>
        api.updateEnvironmentTag(ref.org, ref.project, ref.name, name, { currentTag: { value: current.value }, newTag: { name: newName, value: current.value } }),
      );
      return environmentTagOf(answer, ref);
    },

    async removeTag(ref, name) {
      await call('delete-tag', ref, () => api.deleteEnvironmentTag(ref.org, ref.project, ref.name, name)).catch(notFound(`tag ${name} of ${refText(ref)}`));
    },

    async list(org) {
      const found: { project: string; name: string; modified?: string }[] = [];
      let token: string | undefined;
      // Bounded: a server that never stops handing out continuation tokens cannot keep us here.
      for (let page = 0; page < 100; page++) {
        const answer = await call('list', org, () => api.listEnvironments(org, token));
        for (const e of answer.environments ?? []) found.push({ project: e.project, name: e.name, ...(typeof e.modified === 'string' ? { modified: e.modified } : {}) });
        token = answer.nextToken || undefined;
        if (!token) break;
      }
      return found;
    },
  };
  return client;
}

/** A 404 on a tag's own path: the tag (or its environment) is missing; said without guessing which. */
const notFound =
  (what: string) =>
  (err: unknown): never => {
    if (err instanceof CloudError && err.reason === 'not_found') throw new CloudError('not_found', `${what} not found in Pulumi Cloud${err.requestId ? ` (request ${err.requestId})` : ''}`, err.requestId);
    throw err;
  };

/** Revisions asked for per page (the service's own default is smaller). */
const REVISION_PAGE = 100;

function header(headers: unknown, name: string): string | undefined {
  const value = (headers as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' && value !== '' ? value.slice(0, 200) : undefined;
}

function revisionOf(headers: unknown): number | undefined {
  const text = header(headers, 'pulumi-esc-revision');
  const n = text === undefined ? NaN : Number(text);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

function stamp(at: unknown, login: unknown, name: unknown): CloudStamp {
  const a = str(at);
  const l = str(login);
  const n = str(name);
  return { ...(a ? { at: a } : {}), ...(l ? { login: l } : {}), ...(n ? { author: n } : {}) };
}

function revisionTagOf(t: unknown, ref: CloudEnvironmentRef): CloudRevisionTag {
  const tag = t as { name?: unknown; revision?: unknown; modified?: unknown; created?: unknown; editorLogin?: unknown; editorName?: unknown } | undefined;
  if (typeof tag?.name !== 'string' || typeof tag.revision !== 'number') throw new CloudError('bad_answer', `Pulumi Cloud sent a revision tag of ${refText(ref)} without a name or revision`);
  return { name: tag.name, revision: tag.revision, ...stamp(tag.modified ?? tag.created, tag.editorLogin, tag.editorName) };
}

function environmentTagOf(t: unknown, ref: CloudEnvironmentRef): CloudEnvironmentTag {
  const tag = t as { name?: unknown; value?: unknown; created?: unknown; modified?: unknown; editorLogin?: unknown; editorName?: unknown } | undefined;
  if (typeof tag?.name !== 'string') throw new CloudError('bad_answer', `Pulumi Cloud sent a tag of ${refText(ref)} without a name`);
  const created = str(tag.created);
  const modified = str(tag.modified);
  const login = str(tag.editorLogin);
  const editor = str(tag.editorName);
  return {
    name: tag.name,
    value: typeof tag.value === 'string' ? tag.value : '',
    ...(created ? { created } : {}),
    ...(modified ? { modified } : {}),
    ...(login ? { login } : {}),
    ...(editor ? { editor } : {}),
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
  // axios stops reading past maxContentLength; the service did answer, with too much.
  if (e?.code === 'ERR_BAD_RESPONSE' && e.message?.startsWith('maxContentLength')) {
    const error = new CloudError('bad_answer', `Pulumi Cloud's answer for ${environment} is larger than ${MAX_ANSWER_BYTES / 1024 / 1024} MiB: refused, nothing of it kept`, undefined, { cause: err });
    return { status: response?.status ?? 'unreachable', error };
  }
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
        : status === 409 || status === 412
          ? new CloudError('conflict', `Pulumi Cloud refused a conflicting change to ${environment} (HTTP ${status})${detail}`, requestId)
          : new CloudError('failed', `Pulumi Cloud failed on ${environment} (HTTP ${status})${detail}`, requestId);
  return { status, error };
}

/** The service's `{code, message}` error body, cut to one short line. */
function serviceMessage(data: unknown): string | undefined {
  const message = typeof data === 'object' && data !== null ? (data as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? message.split('\n')[0]!.slice(0, 200) : undefined;
}
