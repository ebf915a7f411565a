// The daemon's life: listen, serve, renew, and stop cleanly. What it serves comes from a DaemonBackend
// (the real runtime in `escd daemon`, fakes in tests).
//
// SIGTERM/SIGINT (or a `shutdown` request): stop accepting, finish in-flight requests (≤ 10 s), remove
// the socket, flush the audit log, resolve 0. SIGHUP: reload the configuration; if it changed, every
// cached environment is dropped (they were evaluated under the old settings).
import { AuditLog, auditServed, type AuditSink } from '../src/audit/audit-log.js';
import { EnvironmentCache, type EnvironmentCacheOptions } from '../src/cache/environment-cache.js';
import type { EnvironmentSource } from '../src/cache/source.js';
import type { Clock } from '../src/clock/clock.js';
import { CredentialEndpoint } from './endpoint.js';
import { freshKubeToken } from './kube-tokens.js';
import { TokenFileKeeper, type KeptFile, type MintedToken } from './token-files.js';
import type { EnvCheckResult, EnvRotateResult, MethodParams, OidcTokenResult } from '../src/protocol/wire.js';
import type { CloudOutcome } from '../src/cloud/operations.js';
import { createDispatch, type DaemonInfo } from './handlers.js';
import type { KubeTokenSources } from './kube-tokens.js';
import { listen, ListenError, removeSocket, stillOurs } from './listen.js';
import { DEFAULT_LIMITS, RequestServer, type ServerLimits } from './server.js';
import { EscdError } from '../src/core/errors.js';

export interface BackendDescription {
  /** `note`: why this backend (e.g. the keychain did not answer, so the file is used). */
  readonly keystore?: { readonly backend: string; readonly location: string; readonly note?: string };
  readonly issuer?: string;
  /** config.aws.region. */
  readonly defaultRegion: string;
  /** config.yaml `audit.required`. */
  readonly auditRequired?: boolean;
}

export interface DaemonBackend {
  /** Stable object; after a reload it evaluates with the new settings. */
  readonly source: EnvironmentSource;
  readonly kube: KubeTokenSources;
  describe(): BackendDescription;
  /** Re-reads the configuration; resolves true when it changed. Rejects with a one-line message when it is invalid. */
  reload(): Promise<boolean>;
  /** Diagnostics of a definition not saved yet (env.check); absent in test backends that do not check. */
  check?(params: MethodParams['env.check']): Promise<EnvCheckResult>;
  /** A Pulumi Cloud environment's definition, history or tags (cloud.env); absent in test backends without one. */
  cloud?(params: MethodParams['cloud.env']): Promise<CloudOutcome>;
  /** `escd env rotate` (env.rotate); absent in test backends without a store. */
  rotate?(params: MethodParams['env.rotate']): Promise<EnvRotateResult>;
  /** A debugging token (oidc.token); absent in test backends without an issuer. */
  token?(params: MethodParams['oidc.token']): Promise<OidcTokenResult>;
  /** The STS endpoint in use and its origin (config.yaml, the explicit start's environment, or the region). */
  stsEndpoint?(): { readonly url: string; readonly source: string };
  close?(): Promise<void>;
  /** Gets ready to evaluate (the worker thread boots), called once the socket listens. */
  warm?(): void;
  /** Where the backend records its own calls to outside services (Pulumi Cloud). */
  useAudit?(audit: AuditSink): void;
}

export interface DaemonOptions {
  readonly socketPath: string;
  readonly auditFile: string;
  /** The list of token files to keep fresh (state directory); none are kept without it. */
  readonly tokenFilesRegistry?: string;
  readonly backend: DaemonBackend;
  readonly clock: Clock;
  readonly version: string;
  /** process.env by default; LISTEN_* are read from here (and removed). */
  readonly env?: Record<string, string | undefined>;
  readonly log?: (message: string) => void;
  readonly limits?: ServerLimits;
  readonly cache?: Partial<Omit<EnvironmentCacheOptions, 'source' | 'clock' | 'audit'>>;
  /** Install SIGTERM/SIGINT/SIGHUP handlers (default true). */
  readonly signals?: boolean;
  /** Called once the socket is listening. */
  readonly onListening?: (info: DaemonInfo) => void;
}

export function stderrLog(message: string): void {
  process.stderr.write(`${new Date().toISOString()} escd: ${message}\n`);
}

/** Runs until told to stop; resolves with the process exit code. */
export async function runDaemon(options: DaemonOptions): Promise<number> {
  const log = options.log ?? stderrLog;
  const { backend, clock } = options;
  let listener;
  try {
    listener = await listen(options.socketPath, options.env ?? process.env);
  } catch (err) {
    if (err instanceof ListenError) {
      log(err.message);
      return 1;
    }
    throw err;
  }
  const audit = new AuditLog(options.auditFile, { now: () => clock.now(), warn: log });
  backend.useAudit?.(audit);
  const cache = new EnvironmentCache({ ...options.cache, source: backend.source, clock, audit });
  const auditRequired = (): boolean => backend.describe().auditRequired === true;
  const endpoint = new CredentialEndpoint({ cache, clock, audit, auditRequired, log });
  const mintForFile = async (file: KeptFile): Promise<MintedToken> => {
    try {
      let minted: MintedToken;
      if (file.kind === 'oidc') {
        minted = await backend.kube.oidc({ environment: file.env, audience: file.audience, ...(file.lifetimeSeconds !== undefined ? { lifetimeSeconds: file.lifetimeSeconds } : {}) });
      } else {
        const served = await cache.get(file.env);
        const params = { cluster: file.cluster, ...(file.region ? { region: file.region } : {}), ...(file.oidc ? { oidc: true } : {}), ...(file.audience ? { audience: file.audience } : {}) };
        minted = await freshKubeToken(served.session, params, { sources: backend.kube, defaultRegion: backend.describe().defaultRegion, now: () => clock.now() });
      }
      const event = { environment: file.env, action: 'token.file', outcome: 'ok', expiresAt: new Date(minted.expiresAt).toISOString(), ...(file.kind === 'kube' ? { cluster: file.cluster } : {}) } as const;
      const refused = await auditServed(audit, auditRequired(), event);
      if (refused !== undefined) throw new EscdError('io', refused);
      return minted;
    } catch (err) {
      audit.record({ environment: file.env, action: 'token.file', outcome: 'error', code: err instanceof EscdError ? err.code : 'internal' });
      throw err;
    }
  };
  const tokenFiles = options.tokenFilesRegistry ? new TokenFileKeeper({ clock, registry: options.tokenFilesRegistry, mint: mintForFile, log }) : undefined;
  const startedAt = clock.now();
  const info = (): DaemonInfo => {
    const described = backend.describe();
    return {
      pid: process.pid,
      version: options.version,
      startedAt,
      socket: listener.path,
      socketActivated: listener.activated,
      ...(described.keystore ? { keystore: described.keystore } : {}),
      ...(described.issuer ? { issuer: described.issuer } : {}),
      audit: { ...audit.health(), required: described.auditRequired === true },
    };
  };
  const stsEndpoint = (): { url: string; source: string } | undefined => {
    try {
      return backend.stsEndpoint?.();
    } catch {
      return undefined; // a bad setting: the requests that need STS report it
    }
  };

  let stop: (reason: string) => void = () => {};
  const stopped = new Promise<number>((resolve) => {
    let stopping = false;
    stop = (reason) => {
      if (stopping) return;
      stopping = true;
      log(`stopping (${reason})`);
      void (async () => {
        clearInterval(watchdog);
        for (const [signal, handler] of handlers) process.off(signal, handler);
        await Promise.all([server.close(), endpoint.close(), tokenFiles?.close()]);
        cache.close();
        removeSocket(listener);
        await audit.close();
        await backend.close?.().catch(() => {});
        resolve(0);
      })();
    };
  });

  const server = new RequestServer(
    listener.server,
    createDispatch({
      cache,
      kube: backend.kube,
      endpoint,
      ...(tokenFiles ? { tokenFiles } : {}),
      clock,
      audit,
      info,
      defaultRegion: () => backend.describe().defaultRegion,
      connections: () => server.connectionCount,
      requestShutdown: () => stop('shutdown requested'),
      log,
      ...(backend.check ? { check: (p: MethodParams['env.check']) => backend.check!(p) } : {}),
      trace: (env: string, signal: AbortSignal) => backend.source.evaluate(env, signal, { traces: true }),
      ...(backend.cloud ? { cloud: (p: MethodParams['cloud.env']) => backend.cloud!(p) } : {}),
      ...(backend.token ? { token: (p: MethodParams['oidc.token']) => backend.token!(p) } : {}),
      ...(backend.rotate ? { rotate: (p: MethodParams['env.rotate']) => backend.rotate!(p) } : {}),
      stsEndpoint,
      auditRequired,
    }),
    options.limits ?? DEFAULT_LIMITS,
    log,
  );

  const reload = (): void => {
    backend.reload().then(
      (changed) => {
        const flushed = changed ? cache.flush() : 0;
        log(changed ? `configuration reloaded; dropped ${flushed} cached environment(s)` : 'configuration reloaded; unchanged');
      },
      (err: unknown) => log(`configuration not reloaded, keeping the previous one: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`),
    );
  };
  const handlers: [NodeJS.Signals, () => void][] =
    options.signals === false
      ? []
      : [
          ['SIGTERM', () => stop('SIGTERM')],
          ['SIGINT', () => stop('SIGINT')],
          ['SIGHUP', reload],
        ];
  for (const [signal, handler] of handlers) process.on(signal, handler);

  // If our socket file is removed or taken over, nobody can reach us: make way rather than linger.
  const watchdog = setInterval(() => {
    if (!stillOurs(listener)) stop(`the socket ${listener.path} was removed or replaced`);
  }, 10_000);
  watchdog.unref();

  log(`listening on ${listener.path}${listener.activated ? ' (socket activation)' : ''}, pid ${process.pid}, version ${options.version}`);
  void tokenFiles?.start();
  // The first request is often an evaluation (a shim started this daemon): boot the worker now, after
  // the socket listens so that it does not delay the first answer.
  backend.warm?.();
  options.onListening?.(info());
  return stopped;
}
