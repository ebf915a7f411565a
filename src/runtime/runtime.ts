// The assembled escd core for one process (a CLI command or the daemon): configuration, paths,
// the environment store, and lazily the key store, secrets cipher, OIDC issuer and providers.
// Constructing it reads config.yaml and nothing else: the keychain is first touched when a secret
// is encrypted or decrypted, or a token is minted.
import { loadConfig, type EscdConfig } from '../config/config.js';
import { resolvePaths, type Paths } from '../config/paths.js';
import { systemClock, type Clock } from '../clock/clock.js';
import { inlineEngine, type EvaluationEngine } from './engine.js';
import { applyRotationPatches } from '../store/rotation.js';
import type { EnvironmentLoader, EvaluateResult, RotateResult, RotatorRegistry } from '../esc/types.js';
import type { CloudCall } from '../cloud/client.js';
import { cloudEnvironments, type CloudEnvironments } from '../cloud/environments.js';
import { definitionFromValues } from '../cloud/import-source.js';
import { cloudTargetOf } from '../cloud/routing.js';
import type { JsonObject } from '../esc/value.js';
import { openKeyStore } from '../keystore/open.js';
import { KeyHistory, keyGuard, keyHistoryPath } from '../keystore/key-history.js';
import { readFile } from 'node:fs/promises';
import type { KeyStore } from '../keystore/types.js';
import { Issuer } from '../oidc/issuer.js';
import type { TokenIssuer, TokenRequest } from '../oidc/types.js';
import type { ProviderRegistry } from '../esc/provider.js';
import { dataKeyCipher } from '../secrets/aes-cipher.js';
import type { Cipher } from '../secrets/cipher.js';
import { EnvironmentStore, type StoreOptions, type StoredEnvironment } from '../store/store.js';
import { loadProviders, loadRotators } from './providers.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface RuntimeOptions {
  /** Environment variables (ESCD_HOME, ESCD_KEYSTORE, ...); default process.env. */
  readonly env?: Env;
  readonly clock?: Clock;
  /** Replaces the real providers (tests, benchmarks). */
  readonly providers?: ProviderRegistry;
  /** Replaces the real rotators (tests). */
  readonly rotators?: RotatorRegistry;
  /** Replaces the key-store cipher (tests). */
  readonly cipher?: Cipher;
  /** Told of every call to Pulumi Cloud (the daemon audits them). */
  readonly onCloudCall?: (call: CloudCall) => void;
  /** Replaces `context.pulumi.*` built from config.yaml's user and org (tests). */
  readonly executionContext?: JsonObject;
  /** Time and identity of revisions and tags, retraction policy, known orgs; default: the clock and config.yaml `user`. */
  readonly store?: StoreOptions;
  /** Where evaluations run; default in this thread (the daemon passes a worker-thread engine). */
  readonly engine?: EvaluationEngine;
}

export interface EvaluationOptions {
  /** `check` evaluates without calling providers or decrypting (unless showSecrets). */
  readonly mode: 'check' | 'eval';
  readonly showSecrets?: boolean;
  readonly signal?: AbortSignal;
  /** Evaluate this text instead of the stored definition (validating an edit before saving it). */
  readonly source?: string;
  /** Give every value its trace (src/esc/value.ts Trace). */
  readonly traces?: boolean;
}

export interface RuntimeRotation extends RotateResult {
  readonly environment: StoredEnvironment;
  /** The revision the new states were written as; absent when nothing was written. */
  readonly revision?: number;
}

export interface RuntimeEvaluation extends EvaluateResult {
  /** The root environment: canonical name and file. */
  readonly environment: StoredEnvironment;
  /** The root's YAML text as evaluated. */
  readonly source: string;
}

export interface Runtime {
  readonly config: EscdConfig;
  readonly paths: Paths;
  readonly store: EnvironmentStore;
  readonly clock: Clock;
  /** Seals and opens `fn::secret` ciphertexts; opens the key store on first use. */
  readonly cipher: Cipher;
  /** Mints OIDC tokens; opens the key store on first use. */
  readonly tokenIssuer: TokenIssuer;
  keyStore(): Promise<KeyStore>;
  issuer(): Promise<Issuer>;
  providers(): Promise<ProviderRegistry>;
  /** `context.pulumi.*` for every evaluation. */
  executionContext(): JsonObject;
  evaluate(name: string, options: EvaluationOptions): Promise<RuntimeEvaluation>;
  rotate(name: string, options?: { paths?: readonly string[]; signal?: AbortSignal }): Promise<RuntimeRotation>;
  /** The file behind a diagnostic's environment name (the root's file when it has none). */
  fileOf(environmentName: string | undefined, root: StoredEnvironment): string;
  /** Environments of the orgs config.yaml maps to Pulumi Cloud. */
  readonly cloud: CloudEnvironments;
}

/** Memoizes an async factory; a failure is not remembered, so the next call retries (a locked keychain). */
function lazy<T>(factory: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= factory().catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}

export async function createRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const env = options.env ?? process.env;
  const paths = resolvePaths(env);
  const config = await loadConfig(paths, env as NodeJS.ProcessEnv);
  const clock = options.clock ?? systemClock;
  const engine = options.engine ?? inlineEngine;
  const author = { name: config.user, login: config.user };
  const store = new EnvironmentStore(paths.environmentsDir, config.org, {
    stamp: () => ({ at: new Date(clock.now()).toISOString(), by: author }),
    ...options.store,
  });

  const keyStore = lazy(() => openKeyStore(config, paths));
  // Once a key has existed, a missing one is an error with recovery steps (escd keys replace makes one).
  const history = new KeyHistory(keyHistoryPath(paths));
  const sealedSecrets = async (): Promise<string | undefined> => {
    for (const env of await store.list().catch(() => [])) {
      const text = await readFile(env.file, 'utf8').catch(() => '');
      if (/\bciphertext\s*:/.test(text)) return `${env.file} holds secrets sealed with it`;
    }
    return undefined;
  };
  const realCipher = lazy(async () => options.cipher ?? dataKeyCipher(await keyStore(), keyGuard(history, 'data', sealedSecrets)));
  const cipher: Cipher = {
    encrypt: async (plaintext) => (await realCipher()).encrypt(plaintext),
    decrypt: async (ciphertext) => (await realCipher()).decrypt(ciphertext),
  };
  const issuer = lazy(async () => Issuer.fromConfig(config, paths, await keyStore(), clock, keyGuard(history, 'signing')));
  const tokenIssuer: TokenIssuer = {
    issuerUrl: config.issuer.url,
    mint: async (request: TokenRequest) => (await issuer()).mint(request),
  };
  const providers = lazy(async () => options.providers ?? (await loadProviders({ config, issuer: tokenIssuer, clock, env: env as NodeJS.ProcessEnv })));
  const rotators = lazy(async () => options.rotators ?? (await loadRotators({ config, env: env as NodeJS.ProcessEnv })));

  const executionContext = (): JsonObject => options.executionContext ?? ({
    pulumi: { user: { login: config.user, id: config.user }, organization: { login: config.org } },
  });

  const fileOf = (environmentName: string | undefined, root: StoredEnvironment): string => {
    if (environmentName === undefined || environmentName === root.name) return root.file;
    try {
      return store.resolve(environmentName).file;
    } catch {
      return environmentName;
    }
  };

  const cloud = cloudEnvironments({ keyStore, env, now: () => clock.now(), ...(options.onCloudCall ? { onCall: options.onCloudCall } : {}) });

  /**
   * Imports of cloud environments are served as their opened values; what they hold expires with
   * them, so the earliest such expiry bounds the importing environment's too.
   */
  const loaderWithCloud = (local: EnvironmentLoader): { loader: EnvironmentLoader; expiresAt: () => Date | undefined } => {
    let earliest: Date | undefined;
    const loader: EnvironmentLoader = async (imported) => {
      const target = cloudTargetOf(config, imported);
      if (!target) return local(imported);
      const opened = await cloud.open(target);
      const error = opened.diagnostics[0];
      if (error) throw new Error(`${target.name}: ${error.summary}`);
      if (opened.expiresAt && (!earliest || opened.expiresAt < earliest)) earliest = opened.expiresAt;
      return { name: imported, source: definitionFromValues(opened.values) };
    };
    return { loader, expiresAt: () => earliest };
  };

  const evaluate = async (name: string, opts: EvaluationOptions): Promise<RuntimeEvaluation> => {
    const environment = store.resolve(name);
    const source = opts.source ?? (await store.read(name)).source;
    const overrides = opts.source === undefined ? undefined : new Map([[environment.name, opts.source]]);
    const imports = loaderWithCloud(store.loader(overrides, environment.org));
    const evaluated = await engine.evaluate(environment.name, source, {
      loader: imports.loader,
      providers: await providers(),
      rotators: await rotators(),
      cipher,
      context: executionContext(),
      mode: opts.mode,
      ...(opts.showSecrets !== undefined ? { showSecrets: opts.showSecrets } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.traces ? { traces: true } : {}),
    });
    const cloudExpiry = imports.expiresAt();
    const result = cloudExpiry && (!evaluated.expiresAt || cloudExpiry < evaluated.expiresAt) ? { ...evaluated, expiresAt: cloudExpiry } : evaluated;
    return { ...result, environment, source };
  };

  /**
   * Rotates the `fn::rotate` calls at `paths` (all when absent) under the environment's lock and
   * writes the new states as one new revision; with any error nothing is written.
   */
  const rotate = async (name: string, opts: { paths?: readonly string[]; signal?: AbortSignal } = {}): Promise<RuntimeRotation> => {
    const environment = store.resolve(name);
    let outcome: RotateResult | undefined;
    const revision = await store.modify(environment, async (source) => {
      const imports = loaderWithCloud(store.loader(undefined, environment.org));
      outcome = await engine.rotate(environment.name, source, {
        loader: imports.loader,
        providers: await providers(),
        rotators: await rotators(),
        cipher,
        context: executionContext(),
        ...(opts.paths ? { paths: opts.paths } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      if (outcome.diagnostics.some((d) => d.severity === 'error') || outcome.patches.length === 0) return undefined;
      return applyRotationPatches(source, environment.file, outcome.patches, cipher);
    });
    const result = outcome!;
    const written = !result.diagnostics.some((d) => d.severity === 'error') && result.patches.length > 0;
    return { ...result, environment, ...(written ? { revision } : {}) };
  };

  return { config, paths, store, clock, cipher, tokenIssuer, keyStore, issuer, providers, executionContext, evaluate, rotate, fileOf, cloud };
}
