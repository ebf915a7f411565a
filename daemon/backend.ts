// The daemon's view of the real runtime (src/runtime): evaluation through the environment store,
// OIDC tokens from the issuer, EKS tokens presigned (src/aws/eks-token.ts) with an environment's
// AWS credentials.
import { decodeJwt } from 'jose';
import { CacheError, type EnvironmentSource } from '../src/cache/source.js';
import { readFile } from 'node:fs/promises';
import { resolveStsEndpoint, type StsEndpoint } from '../src/aws/sts-endpoint.js';
import type { Clock } from '../src/clock/clock.js';
import type { EvaluateResult } from '../src/esc/types.js';
import { NO_AUDIT, type AuditSink } from '../src/audit/audit-log.js';
import { CloudError, type CloudCall } from '../src/cloud/client.js';
import { cloudTargetOf } from '../src/cloud/routing.js';
import { runCloudOperation, type CloudOutcome } from '../src/cloud/operations.js';
import { cloudUrlOf } from '../src/config/config.js';
import { cloudCallEvent } from '../src/cloud/audit.js';
import { createRuntime, type Runtime, type RuntimeOptions } from '../src/runtime/runtime.js';
import { isolatedEngine, type IsolationOptions } from '../src/runtime/isolated-engine.js';
import type { ProviderRegistry } from '../src/esc/provider.js';
import { parseDefinition, syntaxProblem } from '../src/store/definition.js';
import { DefinitionError } from '../src/store/path.js';
import type { Diagnostic } from '../src/esc/types.js';
import type { EnvCheckResult, EnvRotateResult, OidcTokenResult } from '../src/protocol/wire.js';
import { encodeValue } from '../src/esc/wire-value.js';
import type { KubeToken, KubeTokenSources } from './kube-tokens.js';
import type { BackendDescription, DaemonBackend } from './main.js';
import { isEscdError } from '../src/core/errors.js';

const firstLine = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';

function cloudError(err: unknown): CacheError {
  if (err instanceof CacheError) return err;
  if (err instanceof CloudError) return new CacheError(err.code, firstLine(err));
  return new CacheError('upstream_failed', firstLine(err));
}

function storeError(err: unknown): CacheError {
  return new CacheError(isEscdError(err, 'bad_request', 'not_found') ? err.code : 'evaluation_failed', firstLine(err));
}

export interface BackendOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly clock: Clock;
  /** Replaces the real `fn::open` providers (tests). */
  readonly providers?: ProviderRegistry;
  /** More replaced parts of the runtime (the CLI conformance harness: cipher, execution context). */
  readonly runtime?: Pick<RuntimeOptions, 'cipher' | 'executionContext'>;
  /**
   * Evaluate in a worker thread with a heap limit and a hard deadline (the real daemon), so that a
   * hostile environment neither blocks nor crashes the daemon; default: in this thread (tests).
   */
  readonly isolate?: boolean | IsolationOptions;
}

export async function createBackend(options: BackendOptions): Promise<DaemonBackend> {
  let audit: AuditSink = NO_AUDIT;
  const onCloudCall = (call: CloudCall): void => audit.record(cloudCallEvent(call));
  // The daemon serves no values of an evaluation with errors: they need not cross from the worker.
  const engine = options.isolate ? isolatedEngine({ valuesOnError: false, ...(options.isolate === true ? {} : options.isolate) }) : undefined;
  const open = (): Promise<Runtime> =>
    createRuntime({
      ...options.runtime,
      env: options.env,
      clock: options.clock,
      onCloudCall,
      ...(options.providers ? { providers: options.providers } : {}),
      ...(engine ? { engine } : {}),
    });
  let runtime = await open();
  let keystore: BackendDescription['keystore'];
  /** describe()'s answer, asked on every served request (audit.required): made again only when it changes. */
  let described: BackendDescription | undefined;

  /** Opens the key store in the background so `status` can name it; a failure is shown, never papered over. */
  const describeKeyStore = (): void => {
    described = undefined;
    runtime.keyStore().then(
      (store) => {
        keystore = { backend: store.backend, location: store.location, ...(store.note ? { note: store.note } : {}) };
        described = undefined;
      },
      (err: unknown) => {
        keystore = { backend: 'unavailable', location: firstLine(err) };
        described = undefined;
      },
    );
  };
  describeKeyStore();

  // Every request locates its environment; a name maps to the same file until the configuration
  // changes, so the answer is kept (bounded: names come from clients) rather than parsed again.
  let located = new Map<string, { name: string; file?: string }>();
  const source: EnvironmentSource = {
    get environmentsDir() {
      return runtime.paths.environmentsDir;
    },
    locate(name) {
      const known = located.get(name);
      if (known) return known;
      const remote = cloudTargetOf(runtime.config, name);
      if (remote) return { name: remote.name };
      try {
        const stored = runtime.store.resolve(name);
        // A version (`env@2`, `env@stable`) is its own entry, stale when the history changes (a tag moves).
        const found =
          stored.version === undefined ? { name: stored.name, file: stored.file } : { name: `${stored.name}@${stored.version}`, file: runtime.store.historyFile(stored) };
        if (located.size >= 1024) located.clear();
        located.set(name, found);
        return found;
      } catch (err) {
        throw storeError(err);
      }
    },
    async evaluate(name, signal, evaluateOptions = {}): Promise<EvaluateResult> {
      const remote = cloudTargetOf(runtime.config, name);
      if (remote) return runtime.cloud.open(remote).catch((err: unknown) => Promise.reject(cloudError(err)));
      let result;
      try {
        result = await runtime.evaluate(name, { mode: 'eval', signal, ...(evaluateOptions.traces ? { traces: true } : {}) });
      } catch (err) {
        throw storeError(err);
      }
      // Diagnostics name environments; people want the file. The evaluator reports a YAML syntax error
      // without a position; the parser has one.
      const root = result.environment;
      const positioned = (d: Diagnostic): Diagnostic => {
        if (d.stage !== 'load' || d.line !== undefined || (d.file !== undefined && d.file !== root.name)) return d;
        const problem = syntaxProblem(result.source);
        return problem ? { ...d, file: root.name, line: problem.line, column: problem.column, summary: problem.message } : d;
      };
      return { ...result, diagnostics: result.diagnostics.map((d) => ({ ...positioned(d), file: runtime.fileOf(positioned(d).file, root) })) };
    },
  };

  const kube: KubeTokenSources = {
    async eks({ credentials, cluster, region }): Promise<KubeToken> {
      // The endpoint the API server will replay the request to: the cluster region's STS unless overridden.
      const endpoint = resolveStsEndpoint({ region, env: options.env, ...(runtime.config.aws.stsEndpoint ? { configured: runtime.config.aws.stsEndpoint } : {}) });
      // Loaded on the first EKS token: the signer is not needed to start the daemon (cold start).
      const { eksToken } = await import('../src/aws/eks-token.js');
      const made = await eksToken({ credentials, cluster, region, clock: options.clock, stsEndpoint: endpoint.url });
      return { token: made.token, expiresAt: Date.parse(made.expirationTimestamp) };
    },
    async oidc({ environment, audience, lifetimeSeconds }): Promise<KubeToken> {
      const { config } = runtime;
      const token = await runtime.tokenIssuer.mint({
        audience,
        org: config.org,
        currentEnvironment: environment,
        rootEnvironment: environment,
        userLogin: config.user,
        ...(lifetimeSeconds !== undefined ? { lifetimeSeconds } : {}),
      });
      const exp = decodeJwt(token).exp;
      return { token, expiresAt: exp !== undefined ? exp * 1000 : options.clock.now() + config.issuer.tokenLifetimeSeconds * 1000 };
    },
  };

  let endpointMemo: { runtime: Runtime; endpoint: StsEndpoint } | undefined;
  return {
    source,
    kube,
    stsEndpoint() {
      if (endpointMemo?.runtime !== runtime) {
        const { aws } = runtime.config;
        endpointMemo = { runtime, endpoint: resolveStsEndpoint({ region: aws.region, env: options.env, ...(aws.stsEndpoint ? { configured: aws.stsEndpoint } : {}) }) };
      }
      return endpointMemo.endpoint;
    },
    async check(params): Promise<EnvCheckResult> {
      let source = params.source;
      if (params.path !== undefined) {
        try {
          source = await readFile(params.path, 'utf8');
        } catch (err) {
          throw new CacheError('bad_request', `cannot read ${params.path}: ${(err as NodeJS.ErrnoException).code ?? firstLine(err)}`);
        }
      }
      let evaluation;
      try {
        evaluation = await runtime.evaluate(params.env, {
          mode: 'check',
          ...(source !== undefined ? { source } : {}),
          ...(params.showSecrets ? { showSecrets: true } : {}),
          ...(params.values && params.traces ? { traces: true } : {}),
        });
      } catch (err) {
        throw storeError(err);
      }
      const root = evaluation.environment;
      const files: Record<string, string> = {};
      for (const d of evaluation.diagnostics) {
        if (d.file !== undefined) Object.defineProperty(files, d.file, { value: runtime.fileOf(d.file, root), enumerable: true, configurable: true });
      }
      let syntaxError: string | undefined;
      if (evaluation.diagnostics.some((d) => d.stage === 'load' && d.line === undefined)) {
        try {
          parseDefinition(evaluation.source, params.path ?? root.file);
        } catch (err) {
          if (err instanceof DefinitionError) syntaxError = err.message;
        }
      }
      // null: asked for, but there are none (an empty definition, a load error).
      const values = params.values ? { values: evaluation.values ? encodeValue(evaluation.values, { redact: !params.showSecrets, traces: params.traces ?? false }) : null } : {};
      return { environment: { name: root.name, file: root.file }, diagnostics: evaluation.diagnostics, files, ...(syntaxError !== undefined ? { syntaxError } : {}), ...values };
    },
    async rotate(params): Promise<EnvRotateResult> {
      if (cloudTargetOf(runtime.config, params.env)) {
        throw new CacheError('bad_request', `${params.env} is a Pulumi Cloud environment: its rotations run in the service (@pulumi/esc-sdk has no call to start one)`);
      }
      let rotation;
      try {
        rotation = await runtime.rotate(params.env, params.paths ? { paths: params.paths } : {});
      } catch (err) {
        throw storeError(err);
      }
      const root = rotation.environment;
      const files: Record<string, string> = {};
      for (const d of rotation.diagnostics) {
        if (d.file !== undefined) Object.defineProperty(files, d.file, { value: runtime.fileOf(d.file, root), enumerable: true, configurable: true });
      }
      return {
        environment: { name: root.name, file: root.file },
        diagnostics: rotation.diagnostics,
        files,
        rotated: rotation.patches.map((p) => p.docPath),
        ...(rotation.revision !== undefined ? { revision: rotation.revision } : {}),
        values: rotation.values ? encodeValue(rotation.values, { redact: !params.showSecrets }) : null,
      };
    },
    async token(params): Promise<OidcTokenResult> {
      const { debugToken } = await import('../src/runtime/oidc-token.js');
      try {
        return await debugToken(runtime, { ...options.runtime, env: options.env, clock: options.clock }, params);
      } catch (err) {
        throw new CacheError(isEscdError(err, 'bad_request', 'not_found') ? err.code : 'bad_request', firstLine(err));
      }
    },
    async cloud(op): Promise<CloudOutcome> {
      try {
        const { config } = runtime;
        if (op.op === 'list') {
          const url = cloudUrlOf(config, op.org);
          if (url === undefined) throw new CacheError('bad_request', `${op.org} is not a Pulumi Cloud org in config.yaml (orgs.<org>.backend)`);
          return { result: await (await runtime.cloud.client(url)).list(op.org), stale: [] };
        }
        const target = cloudTargetOf(config, op.env);
        if (!target) throw new CacheError('bad_request', `${op.env} is not a Pulumi Cloud environment (its org is not mapped to Pulumi Cloud in config.yaml)`);
        let source: string | undefined;
        if (op.op === 'write') {
          try {
            source = op.path !== undefined ? await readFile(op.path, 'utf8') : op.source;
          } catch (err) {
            throw new CacheError('bad_request', `cannot read ${op.path}: ${(err as NodeJS.ErrnoException).code ?? firstLine(err)}`);
          }
        }
        return await runCloudOperation(await runtime.cloud.client(target.url), target, op, source);
      } catch (err) {
        throw cloudError(err);
      }
    },
    describe: () =>
      (described ??= {
        ...(keystore ? { keystore } : {}),
        issuer: runtime.config.issuer.url,
        defaultRegion: runtime.config.aws.region,
        auditRequired: runtime.config.audit.required,
      }),
    useAudit(sink) {
      audit = sink;
    },
    warm() {
      engine?.warm?.();
    },
    async close() {
      await engine?.close?.();
    },
    async reload() {
      const next = await open();
      const changed = JSON.stringify(next.config) !== JSON.stringify(runtime.config);
      if (changed) {
        runtime = next;
        located = new Map();
        describeKeyStore();
      }
      return changed;
    },
  };
}
