// What each protocol method does. Answers for warm environments come from text precomputed on the
// session, so a cache hit does no evaluation and little allocation.
import { auditServed, type AuditAction, type AuditEvent, type AuditHealth, type AuditSink } from '../src/audit/audit-log.js';
import type { EntryStatus, EnvironmentCache, Served, Session } from '../src/cache/environment-cache.js';
import { CacheError } from '../src/cache/source.js';
import { EscdError } from '../src/core/errors.js';
import type { Clock } from '../src/clock/clock.js';
import { formatDiagnostic } from '../src/esc/diagnostics.js';
import { projectEnvironment } from '../src/esc/project.js';
import { toJSON } from '../src/esc/value.js';
import { encodeValue } from '../src/esc/wire-value.js';
import type { CallerSettings, EndpointGrantResult, EnvCheckResult, EnvOpenResult, EnvRotateResult, EnvRunResult, ErrorBody, MethodParams, OidcTokenResult, Request } from '../src/protocol/wire.js';
import { secretStrings } from '../src/run/secrets.js';
import { awsCredentials, awsProcessJson, environmentVariables } from './credentials.js';
import type { CredentialEndpoint } from './endpoint.js';
import type { RevokeTarget } from './grants.js';
import { kubeTokenFilePath, type KeptFile, type KeptFileStatus, type TokenFileKeeper } from './token-files.js';
import { kubeCredentialJson, type KubeTokenSources } from './kube-tokens.js';
import type { Dispatch, Reply } from './server.js';
import type { CloudOutcome } from '../src/cloud/operations.js';
import type { EvaluateResult } from '../src/esc/types.js';

export interface DaemonInfo {
  readonly pid: number;
  readonly version: string;
  readonly startedAt: number;
  readonly socket: string;
  /** True when systemd (or launchd) passed the listening socket. */
  readonly socketActivated: boolean;
  /** `note`: why this backend (e.g. the keychain did not answer, so the file is used). */
  readonly keystore?: { readonly backend: string; readonly location: string; readonly note?: string };
  readonly issuer?: string;
  /** The STS endpoint in use: `url (source)`. */
  readonly stsEndpoint?: string;
  /** Whether the audit log is being written, and whether config.yaml requires it. */
  readonly audit?: AuditHealth & { readonly required: boolean };
}

export interface StatusEnvironment {
  readonly environment: string;
  readonly cached: boolean;
  readonly expiresAt?: string;
  readonly nextRefreshAt?: string;
  readonly refreshing: boolean;
  readonly stale: boolean;
  readonly lastRefresh?: { readonly at: string; readonly ok: boolean; readonly error?: ErrorBody };
  readonly consecutiveFailures: number;
  readonly hits: number;
  readonly lastUsedAt: string;
}

/** A live endpoint grant as `escd status` shows it (never the token). */
export interface StatusGrant {
  readonly id: string;
  readonly environment: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly requests: number;
}

export interface StatusResult {
  readonly daemon: Omit<DaemonInfo, 'startedAt'> & {
    readonly startedAt: string;
    readonly uptimeSeconds: number;
    readonly connections: number;
    readonly evaluations: number;
  };
  readonly environments: readonly StatusEnvironment[];
  /** Present once the credential endpoint listens. */
  readonly endpoint?: { readonly url: string; readonly grants: readonly StatusGrant[] };
  /** The token files the daemon keeps fresh. */
  readonly tokenFiles?: readonly KeptFileStatus[];
}

/** Endpoint grants live 12 hours unless asked otherwise. */
export const DEFAULT_GRANT_TTL_SECONDS = 12 * 3600;

export interface HandlerDeps {
  readonly cache: EnvironmentCache;
  readonly kube: KubeTokenSources;
  /** The credential endpoint; absent in tests that do not serve it (its methods then answer not_found). */
  readonly endpoint?: CredentialEndpoint;
  /** The kept token files; absent in tests that do not keep any. */
  readonly tokenFiles?: TokenFileKeeper;
  readonly clock: Clock;
  readonly audit: AuditSink;
  readonly info: () => DaemonInfo;
  readonly defaultRegion: () => string;
  readonly connections: () => number;
  /** Called after the shutdown answer is queued. */
  readonly requestShutdown: () => void;
  /** Unexpected failures (bugs), one line each; never shown to clients. */
  readonly log: (message: string) => void;
  /** Diagnostics of a definition not saved yet (env.check). */
  readonly check?: (params: MethodParams['env.check']) => Promise<EnvCheckResult>;
  /**
   * A one-off evaluation whose values carry their traces (`escd open --format detailed`): sessions are
   * cached without them, since a deep import graph's traces repeat every base.
   */
  readonly trace?: (env: string, signal: AbortSignal) => Promise<EvaluateResult>;
  /** A Pulumi Cloud environment's definition, history or tags (cloud.env). */
  readonly cloud?: (params: MethodParams['cloud.env']) => Promise<CloudOutcome>;
  /** `escd env rotate` (env.rotate). */
  readonly rotate?: (params: MethodParams['env.rotate']) => Promise<EnvRotateResult>;
  /** A debugging token for `escd oidc token` (oidc.token). */
  readonly token?: (params: MethodParams['oidc.token']) => Promise<OidcTokenResult>;
  /** The STS endpoint this daemon uses and where that came from (for status and warnings). */
  readonly stsEndpoint?: () => { readonly url: string; readonly source: string } | undefined;
  /** config.yaml `audit.required`: serve a credential only once its audit line is written. */
  readonly auditRequired?: () => boolean;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** session.memo keys of the audit events of cache hits, made once per action (not per request). */
const AUDIT_MEMO_KEYS = new Map<AuditAction, string>();
function auditMemoKey(action: AuditAction): string {
  let key = AUDIT_MEMO_KEYS.get(action);
  if (key === undefined) AUDIT_MEMO_KEYS.set(action, (key = `audit:${action}`));
  return key;
}

/** The session's expiry as ISO 8601, made once per session (every cache hit's audit line carries it). */
function expiryOf(session: Session): string | undefined {
  if (session.expiresAt === undefined) return undefined;
  const memo = session.memo.get('expiresAt');
  if (typeof memo === 'string') return memo;
  const text = iso(session.expiresAt);
  session.memo.set('expiresAt', text);
  return text;
}

/** `{ expiresAt }` for an answer about the session, or nothing when it does not expire. */
function expiryField(session: Session): { expiresAt?: string } {
  const expiresAt = expiryOf(session);
  return expiresAt === undefined ? {} : { expiresAt };
}

/** A traced open evaluates once more; it gives up (and shows the session's values) after this long. */
const TRACED_OPEN_TIMEOUT_MS = 60_000;

function statusEnvironment(entry: EntryStatus): StatusEnvironment {
  const { lastRefresh } = entry;
  return {
    environment: entry.environment,
    cached: entry.cached,
    ...(entry.expiresAt !== undefined ? { expiresAt: iso(entry.expiresAt) } : {}),
    ...(entry.nextRefreshAt !== undefined ? { nextRefreshAt: iso(entry.nextRefreshAt) } : {}),
    refreshing: entry.refreshing,
    stale: entry.stale,
    ...(lastRefresh
      ? { lastRefresh: { at: iso(lastRefresh.at), ok: lastRefresh.ok, ...(lastRefresh.error ? { error: lastRefresh.error as ErrorBody } : {}) } }
      : {}),
    consecutiveFailures: entry.consecutiveFailures,
    hits: entry.hits,
    lastUsedAt: iso(entry.lastUsedAt),
  };
}

function openJson(session: Session, showSecrets: boolean): string {
  const key = showSecrets ? 'env.open:plain' : 'env.open:redacted';
  const memo = session.memo.get(key);
  if (typeof memo === 'string') return memo;
  const values = session.result.values;
  const text = JSON.stringify({
    environment: session.environment,
    values: values ? toJSON(values, { redact: !showSecrets }) : {},
    ...expiryField(session),
  });
  session.memo.set(key, text);
  return text;
}

const noEndpoint: Reply = { ok: false, error: { code: 'not_found', message: 'this daemon serves no credential endpoint' } };

const warningLines = (session: Session): string[] =>
  session.result.diagnostics.filter((d) => d.severity === 'warning').map((d) => formatDiagnostic({ ...d, file: d.file ?? session.environment }));

/** env.open with format wire: the value tree with its flags, computed once per session and reveal flag. */
function openWire(session: Session, showSecrets: boolean): string {
  const key = showSecrets ? 'env.open.wire:plain' : 'env.open.wire:redacted';
  const memo = session.memo.get(key);
  if (typeof memo === 'string') return memo;
  const text = JSON.stringify(openResult(session, session.result.values, { redact: !showSecrets }));
  session.memo.set(key, text);
  return text;
}

/**
 * env.open with format wire and traces: the values of a one-off traced evaluation (not cached); the
 * session's, without traces, when that one fails.
 */
async function openWireTraced(session: Session, showSecrets: boolean, trace: () => Promise<EvaluateResult>): Promise<string> {
  const fresh = await trace().catch(() => undefined);
  const values = fresh !== undefined && !fresh.diagnostics.some((d) => d.severity === 'error') ? fresh.values : session.result.values;
  return JSON.stringify(openResult(session, values, { redact: !showSecrets, traces: true }));
}

function openResult(session: Session, values: Session['result']['values'], options: { redact: boolean; traces?: boolean }): EnvOpenResult {
  return {
    environment: session.environment,
    ...(values ? { values: encodeValue(values, options) } : {}),
    warnings: warningLines(session),
    ...expiryField(session),
  };
}

/** env.run: variables, files, secrets to redact and the values for `${path}` arguments, computed once per session. */
function runJson(session: Session): string {
  const memo = session.memo.get('env.run');
  if (typeof memo === 'string') return memo;
  const { values } = session.result;
  const projection = projectEnvironment(values);
  const files: Record<string, string> = {};
  for (const [name, projected] of Object.entries(projection.files)) Object.defineProperty(files, name, { value: projected.value, enumerable: true });
  const result: EnvRunResult = {
    environment: session.environment,
    ...(values ? { values: encodeValue(values, { redact: false }) } : {}),
    warnings: warningLines(session),
    ...expiryField(session),
    variables: environmentVariables(session),
    files,
    secrets: secretStrings(values, projection),
  };
  const text = JSON.stringify(result);
  session.memo.set('env.run', text);
  return text;
}

/**
 * A cache hit's reply, one object per session and answer text: the server keeps the framed answer line
 * on it (Reply.framed), so a client asking again the same way gets bytes already made.
 */
function hitReply(session: Session, result: string): Reply {
  const memo = session.memo.get('reply:hit') as (Reply & { ok: true }) | undefined;
  if (memo !== undefined && memo.result === result) return memo;
  const reply: Reply = { ok: true, result, framed: { id: null, v: 1, line: '' } };
  session.memo.set('reply:hit', reply);
  return reply;
}

type Extra = { readonly cluster?: string; readonly revealed?: boolean };
// The common answers and extras are made once, not per request.
const NOTHING_EXTRA: Extra = {};
const REVEALED: Extra = { revealed: true };
const awsAnswer = (served: Served): string => awsProcessJson(served.session);
const runAnswer = (served: Served): string => runJson(served.session);

const sameEndpoint = (a: string, b: string): boolean => a.trim().replace(/\/+$/, '') === b.trim().replace(/\/+$/, '');

export function createDispatch(deps: HandlerDeps): Dispatch {
  const ok = (result: string): Reply => ({ ok: true, result });

  /** One line when the caller's shell names another STS endpoint than the one this daemon uses. */
  const endpointWarning = (p: CallerSettings): string | undefined => {
    const theirs = p.callerStsEndpoint;
    if (theirs === undefined || !deps.stsEndpoint) return undefined;
    let ours;
    try {
      ours = deps.stsEndpoint();
    } catch {
      return undefined; // a bad setting is reported by the request itself
    }
    if (!ours || sameEndpoint(theirs, ours.url)) return undefined;
    return `this shell sets the STS endpoint ${theirs}, but the daemon uses ${ours.url} (${ours.source}); run \`escd restart\` in this shell to use ${theirs}, or set aws.stsEndpoint in config.yaml`;
  };
  const withWarning = (p: CallerSettings, reply: Reply | Promise<Reply>): Reply | Promise<Reply> => {
    const warning = endpointWarning(p);
    if (warning === undefined) return reply;
    return reply instanceof Promise ? reply.then((r) => ({ ...r, warning })) : { ...reply, warning };
  };

  const servedEvent = (action: AuditAction, env: string, extra: Extra, s: Served): AuditEvent => {
    return { environment: env, action, outcome: 'ok', source: s.source, ...extra, ...expiryField(s.session) };
  };
  /** A cache hit's audit event: with nothing extra, one object per session and action (the audit log serializes it once). */
  const hitEvent = (action: AuditAction, env: string, extra: Extra, s: Served): AuditEvent => {
    if (extra.cluster !== undefined || extra.revealed !== undefined) return servedEvent(action, env, extra, s);
    const key = auditMemoKey(action);
    const memo = s.session.memo.get(key) as AuditEvent | undefined;
    if (memo !== undefined && memo.environment === env) return memo;
    const event = servedEvent(action, env, extra, s);
    s.session.memo.set(key, event);
    return event;
  };
  const failed = (action: AuditAction, env: string, extra: Extra, err: unknown): Reply => {
    const error = toErrorBody(err, deps.log);
    deps.audit.record({ environment: env, action, outcome: 'error', code: error.code, ...extra });
    return { ok: false, error };
  };

  /**
   * Runs a credential method: audit line for the outcome, CacheError → error reply. A cache hit whose
   * answer is text already (precomputed on the session) is answered synchronously, unless the audit
   * line must be on disk first (audit.required).
   */
  const serve = (action: AuditAction, env: string, extra: Extra, answer: (served: Served) => Promise<string> | string): Reply | Promise<Reply> => {
    const required = deps.auditRequired?.() === true;
    let hit: Served | undefined;
    let pending: Promise<string> | undefined;
    try {
      hit = required ? undefined : deps.cache.cached(env);
      if (hit) {
        const result = answer(hit);
        if (typeof result === 'string') {
          deps.audit.record(hitEvent(action, env, extra, hit));
          return hitReply(hit.session, result);
        }
        pending = result;
      }
    } catch (err) {
      return failed(action, env, extra, err);
    }
    return serveLater(action, env, extra, answer, hit, pending, required);
  };

  /** serve's path with waiting: an evaluation, an answer made asynchronously, or an audit line to write first. */
  const serveLater = async (
    action: AuditAction,
    env: string,
    extra: Extra,
    answer: (served: Served) => Promise<string> | string,
    hit: Served | undefined,
    pending: Promise<string> | undefined,
    required: boolean,
  ): Promise<Reply> => {
    try {
      const s = hit ?? (await deps.cache.get(env));
      const result = await (pending ?? answer(s));
      const refused = await auditServed(deps.audit, required, servedEvent(action, env, extra, s));
      if (refused !== undefined) return { ok: false, error: { code: 'io', message: refused } };
      return ok(result);
    } catch (err) {
      return failed(action, env, extra, err);
    }
  };

  const methods: { [M in Request['method']]: (params: MethodParams[M]) => Reply | Promise<Reply> } = {
    'aws.credentials': (p) => withWarning(p, serve('aws.credentials', p.env, NOTHING_EXTRA, awsAnswer)),
    'kube.credentials': (p) =>
      withWarning(
        p,
        serve('kube.credentials', p.env, { cluster: p.cluster }, (served) =>
          kubeCredentialJson(served.session, p, { sources: deps.kube, defaultRegion: deps.defaultRegion(), now: () => deps.clock.now() }),
        ),
      ),
    'env.open': (p) =>
      withWarning(
        p,
        serve('env.open', p.env, p.showSecrets ? REVEALED : NOTHING_EXTRA, (served) =>
          p.format !== 'wire'
            ? openJson(served.session, p.showSecrets ?? false)
            : p.traces && deps.trace
              ? openWireTraced(served.session, p.showSecrets ?? false, () => deps.trace!(p.env, AbortSignal.timeout(TRACED_OPEN_TIMEOUT_MS)))
              : openWire(served.session, p.showSecrets ?? false),
        ),
      ),
    // The child's output is filtered unless interactive: then secrets may be shown.
    'env.run': (p) => withWarning(p, serve('env.run', p.env, p.interactive ? REVEALED : NOTHING_EXTRA, runAnswer)),
    'env.check': async (p) => {
      if (!deps.check) return { ok: false, error: { code: 'unknown_method', message: 'this daemon cannot check definitions' } };
      // Values with secrets in clear (`escd env get --show-secrets`) are a line in the audit log, as an open's.
      const revealed = p.values === true && p.showSecrets === true;
      try {
        const result = ok(JSON.stringify(await deps.check(p)));
        if (revealed) deps.audit.record({ environment: p.env, action: 'env.check', outcome: 'ok', revealed });
        return result;
      } catch (err) {
        const error = toErrorBody(err, deps.log);
        if (revealed) deps.audit.record({ environment: p.env, action: 'env.check', outcome: 'error', code: error.code, revealed });
        return { ok: false, error };
      }
    },
    'env.rotate': async (p) => {
      if (!deps.rotate) return { ok: false, error: { code: 'unknown_method', message: 'this daemon cannot rotate' } };
      const revealed = p.showSecrets === true ? { revealed: true } : {};
      try {
        const result = await deps.rotate(p);
        // The next open evaluates the new states (the watcher would also see the write, a moment later).
        if (result.revision !== undefined) deps.cache.flush(p.env);
        const failed = result.diagnostics.some((d) => d.severity === 'error');
        deps.audit.record({ environment: p.env, action: 'env.rotate', outcome: failed ? 'error' : 'ok', ...(failed ? { code: 'evaluation_failed' as const } : {}), ...revealed });
        return ok(JSON.stringify(result));
      } catch (err) {
        const error = toErrorBody(err, deps.log);
        deps.audit.record({ environment: p.env, action: 'env.rotate', outcome: 'error', code: error.code, ...revealed });
        return { ok: false, error };
      }
    },
    'oidc.token': async (p) => {
      if (!deps.token) return { ok: false, error: { code: 'unknown_method', message: 'this daemon cannot sign debugging tokens' } };
      try {
        const result = await deps.token(p);
        deps.audit.record({ environment: p.env, action: 'oidc.token', outcome: 'ok' });
        return ok(JSON.stringify(result));
      } catch (err) {
        const error = toErrorBody(err, deps.log);
        deps.audit.record({ environment: p.env, action: 'oidc.token', outcome: 'error', code: error.code });
        return { ok: false, error };
      }
    },
    status: async () => {
      const info = deps.info();
      const now = deps.clock.now();
      let used;
      try {
        used = deps.stsEndpoint?.();
      } catch {
        used = undefined;
      }
      const result: StatusResult = {
        daemon: {
          ...info,
          ...(used ? { stsEndpoint: `${used.url} (${used.source})` } : {}),
          startedAt: iso(info.startedAt),
          uptimeSeconds: Math.max(0, Math.round((now - info.startedAt) / 1000)),
          connections: deps.connections(),
          evaluations: deps.cache.evaluations,
        },
        environments: deps.cache.status().map(statusEnvironment),
        ...(deps.endpoint?.origin
          ? {
              endpoint: {
                url: deps.endpoint.origin,
                grants: deps.endpoint.grants.list().map((g) => ({ id: g.id, environment: g.environment, createdAt: iso(g.createdAt), expiresAt: iso(g.expiresAt), requests: g.requests })),
              },
            }
          : {}),
        ...(deps.tokenFiles && deps.tokenFiles.list().length > 0 ? { tokenFiles: deps.tokenFiles.list() } : {}),
      };
      return ok(JSON.stringify(result));
    },
    'endpoint.grant': async (p) => {
      if (!deps.endpoint) return noEndpoint;
      try {
        // Evaluated now: a name that does not exist or holds no AWS credentials fails here, not in the
        // client later, and the client's first request is a cache hit.
        const served = await deps.cache.get(p.env);
        awsCredentials(served.session);
        const environment = served.session.environment;
        const made = await deps.endpoint.grant(environment, (p.ttlSeconds ?? DEFAULT_GRANT_TTL_SECONDS) * 1000);
        deps.audit.record({ environment, action: 'endpoint.grant', outcome: 'ok', expiresAt: iso(made.grant.expiresAt) });
        const result: EndpointGrantResult = { id: made.grant.id, environment, url: made.url, token: made.token, expiresAt: iso(made.grant.expiresAt) };
        return ok(JSON.stringify(result));
      } catch (err) {
        if (err instanceof RangeError) return { ok: false, error: { code: 'bad_request', message: err.message } };
        const error = toErrorBody(err, deps.log);
        deps.audit.record({ environment: p.env, action: 'endpoint.grant', outcome: 'error', code: error.code });
        return { ok: false, error };
      }
    },
    'endpoint.revoke': async (p) => {
      if (!deps.endpoint) return noEndpoint;
      try {
        const environment = p.env !== undefined ? deps.cache.locate(p.env) : undefined;
        const target: RevokeTarget = p.id !== undefined ? { id: p.id } : p.token !== undefined ? { token: p.token } : environment !== undefined ? { environment } : { all: true };
        const revoked = deps.endpoint.revoke(target);
        deps.audit.record({ environment: environment ?? '*', action: 'endpoint.revoke', outcome: 'ok' });
        return ok(JSON.stringify({ revoked }));
      } catch (err) {
        return { ok: false, error: toErrorBody(err, deps.log) };
      }
    },
    'tokenfile.keep': async (p) => {
      if (!deps.tokenFiles) return { ok: false, error: { code: 'not_found', message: 'this daemon keeps no token files' } };
      try {
        const env = deps.cache.locate(p.env);
        const file: KeptFile =
          p.kind === 'oidc'
            ? { kind: 'oidc', env, audience: p.audience!, path: p.path!, ...(p.lifetimeSeconds !== undefined ? { lifetimeSeconds: p.lifetimeSeconds } : {}) }
            : {
                kind: 'kube',
                env,
                cluster: p.cluster!,
                ...(p.region !== undefined ? { region: p.region } : {}),
                ...(p.oidc ? { oidc: true } : {}),
                ...(p.audience !== undefined ? { audience: p.audience } : {}),
                path: kubeTokenFilePath(deps.info().socket, { env, cluster: p.cluster!, ...(p.oidc ? { oidc: true } : {}) }),
              };
        return ok(JSON.stringify(await deps.tokenFiles.keep(file)));
      } catch (err) {
        if (err instanceof EscdError) return { ok: false, error: toErrorBody(err, deps.log) };
        return { ok: false, error: { code: 'upstream_failed', message: (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '' } };
      }
    },
    'tokenfile.drop': async (p) => {
      if (!deps.tokenFiles) return { ok: false, error: { code: 'not_found', message: 'this daemon keeps no token files' } };
      try {
        return ok(JSON.stringify({ dropped: await deps.tokenFiles.drop(p.path) }));
      } catch (err) {
        return { ok: false, error: { code: 'internal', message: (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '' } };
      }
    },
    flush: async (p) => {
      try {
        const flushed = deps.cache.flush(p.env);
        // Files made from what was dropped are written afresh before the answer, so a client that
        // flushed reads new tokens.
        const renewed = deps.tokenFiles ? await deps.tokenFiles.renew(p.env === undefined ? undefined : deps.cache.locate(p.env)) : 0;
        return ok(JSON.stringify({ flushed, ...(renewed > 0 ? { renewedTokenFiles: renewed } : {}) }));
      } catch (err) {
        return { ok: false, error: toErrorBody(err, deps.log) };
      }
    },
    'cloud.env': async (p) => {
      if (!deps.cloud) return { ok: false, error: { code: 'unknown_method', message: 'this daemon has no Pulumi Cloud backend' } };
      try {
        const outcome = await deps.cloud(p);
        // What the change made stale is opened afresh next time (a cached open would hide the write).
        for (const name of outcome.stale) deps.cache.flush(name);
        return ok(JSON.stringify(outcome.result));
      } catch (err) {
        return { ok: false, error: toErrorBody(err, deps.log) };
      }
    },
    shutdown: async () => {
      setImmediate(deps.requestShutdown);
      return ok(JSON.stringify({ stopping: true, pid: deps.info().pid }));
    },
    ping: async () => {
      const info = deps.info();
      return ok(JSON.stringify({ pong: true, pid: info.pid, version: info.version }));
    },
  };

  return (request) => {
    const handler = methods[request.method] as (params: unknown) => Reply | Promise<Reply>;
    return handler(request.params);
  };
}

export function toErrorBody(err: unknown, log: (message: string) => void): ErrorBody {
  if (err instanceof EscdError) {
    const diagnostics = err instanceof CacheError ? err.diagnostics : undefined;
    return { code: err.code, message: err.message.split('\n')[0] ?? err.code, ...(diagnostics ? { diagnostics: [...diagnostics] } : {}) };
  }
  log(`internal error: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  return { code: 'internal', message: 'internal error (see the daemon log)' };
}
