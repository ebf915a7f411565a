// Gathers what `escd doctor` judges: files, the key store, the daemon, and (unless offline) the
// issuer's published documents and STS's clock. Every outside effect comes through DoctorDeps.
import { constants, existsSync } from 'node:fs';
import { lstat, open, readdir, readFile } from 'node:fs/promises';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { defaultConfig, loadConfig, type EscdConfig } from '../config/config.js';
import { isEscdError } from '../core/errors.js';
import { resolvePaths, type Paths } from '../config/paths.js';
import { ownershipProblems } from '../config/ownership.js';
import { MAX_RESPONSE_BYTES } from '../aws/response-cap.js';
import { openKeyStore } from '../keystore/open.js';
import type { KeyStore } from '../keystore/types.js';
import { Issuer } from '../oidc/issuer.js';
import { KeyHistory, keyGuard, keyHistoryPath } from '../keystore/key-history.js';
import { request } from '../protocol/client.js';
import type { EnvCheckResult } from '../protocol/wire.js';
import { userHome } from '../protocol/socket-path.js';
import { ownerName } from '../protocol/socket-trust.js';
import { DATA_KEY_NAME } from '../secrets/aes-cipher.js';
import { EnvironmentStore } from '../store/store.js';
import { installedService } from '../service/manager.js';
import { packageVersion } from '../service/package-files.js';
import {
  checkAudit,
  type AuditFacts,
  checkAwsConfig,
  checkClock,
  checkConfig,
  checkDaemon,
  checkEnvironments,
  checkIssuer,
  checkKeyStore,
  checkKubeconfig,
  checkNode,
  checkSecretsKey,
  checkService,
  checkSigningKey,
  checkSocketPermissions,
  isPlaceholderIssuer,
  type CheckResult,
  type ClockFacts,
  type ClientFacts,
  type DaemonFacts,
  type EnvironmentsFacts,
  type IssuerFacts,
  type PathMode,
  type ServiceFacts,
  type SigningKeyFacts,
  checkOwnership,
} from './checks.js';
import { awsConfigShimCommands, ClientConfigError, kubeconfigShimCommands, type ShimCommand } from './clients.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface DoctorDeps {
  readonly env: Env;
  readonly nodeVersion: string;
  /** This escd's version, compared with the running daemon's. */
  readonly escdVersion?: string;
  readonly now: () => number;
  readonly fetch: typeof fetch;
  /** Skip the network checks (issuer documents, STS clock). */
  readonly offline: boolean;
  /** Per network request. */
  readonly timeoutMs: number;
  readonly ping: (socket: string) => Promise<{ pid?: number; version?: string }>;
  /** The running daemon's audit log writes (`status`); undefined when it does not say. */
  readonly daemonAudit?: (socket: string) => Promise<AuditFacts['daemon']>;
  readonly openKeyStore: (config: EscdConfig, paths: Paths) => Promise<KeyStore>;
  /** The engine's check of a stored environment (the CLI asks the daemon, see src/cli/engine.ts). */
  readonly checkEnvironment: (name: string) => Promise<EnvCheckResult>;
}

export function defaultDoctorDeps(offline: boolean, checkEnvironment: DoctorDeps['checkEnvironment'], env: Env = process.env): DoctorDeps {
  return {
    env,
    nodeVersion: process.version,
    escdVersion: packageVersion(),
    now: () => Date.now(),
    fetch: globalThis.fetch,
    offline,
    timeoutMs: 3_000,
    ping: async (socket) => {
      const response = await request(socket, 'ping', {}, 2_000);
      if (!response.ok) throw new Error(response.error.message);
      return response.result as { pid?: number; version?: string };
    },
    openKeyStore: (config, paths) => openKeyStore(config, paths),
    checkEnvironment,
    daemonAudit: async (socket) => {
      const response = await request(socket, 'status', {}, 2_000);
      return response.ok ? (response.result as { daemon?: { audit?: AuditFacts['daemon'] } }).daemon?.audit : undefined;
    },
  };
}

/** Whether this user can append to the audit log (without creating it); an errno code when not. */
async function auditOpenError(file: string): Promise<string | undefined> {
  try {
    const handle = await open(file, constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW);
    await handle.close();
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    if (code !== 'ENOENT') return code;
    // Not there yet: its directory must take it (or not exist yet either).
    const dir = await lstat(dirname(file)).catch(() => undefined);
    return dir === undefined || dir.isDirectory() ? undefined : 'ENOTDIR';
  }
}

const oneLine = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

export async function runDoctor(deps: DoctorDeps): Promise<CheckResult[]> {
  const { env } = deps;
  const paths = resolvePaths(env);
  const checks: CheckResult[] = [checkNode(deps.nodeVersion), checkOwnership(ownershipProblems(paths, env))];

  let config: EscdConfig;
  let configOk = true;
  try {
    config = await loadConfig(paths, env as NodeJS.ProcessEnv);
    checks.push(checkConfig({ file: paths.configFile, exists: existsSync(paths.configFile) }));
  } catch (err) {
    configOk = false;
    // The error may be ESCD_KEYSTORE itself: go on with the defaults it would have overridden.
    config = defaultConfig({ ...env, ESCD_KEYSTORE: undefined });
    checks.push(checkConfig({ file: paths.configFile, exists: true, error: isEscdError(err, 'bad_config') ? err.message : oneLine(err) }));
  }

  // Before the environment checks, which start a daemon when none runs: this reports the one found.
  const daemon = await daemonFacts(deps, paths.socket);
  const environments = await environmentFiles(paths.environmentsDir);
  const broken = environments.facts.state === 'ok' && configOk ? await brokenEnvironments(deps, new EnvironmentStore(paths.environmentsDir, config.org)) : [];
  checks.push(checkEnvironments({ ...environments.facts, broken }));

  let store: KeyStore | undefined;
  try {
    store = await deps.openKeyStore(config, paths);
    checks.push(checkKeyStore({ backend: store.backend, location: store.location, ...(store.note ? { note: store.note } : {}) }));
  } catch (err) {
    checks.push(checkKeyStore({ error: oneLine(err) }));
  }

  const history = new KeyHistory(keyHistoryPath(paths));
  const signing = store ? await signingKeyFacts(config, paths, store, history) : { keys: 0, error: 'no key store (see above)' };
  checks.push(checkSigningKey(signing));
  if (store) {
    try {
      const hasDataKey = (await store.get(DATA_KEY_NAME)) !== undefined;
      const encryptedIn = hasDataKey ? [] : await filesContaining(environments.files, /\bciphertext\s*:/);
      const existed = hasDataKey ? undefined : await keyGuard(history, 'data').existed().catch((err: unknown) => oneLine(err));
      checks.push(checkSecretsKey({ hasDataKey, encryptedIn, ...(existed ? { existed } : {}) }));
    } catch (err) {
      checks.push(checkSecretsKey({ hasDataKey: false, encryptedIn: [`(cannot read the key store: ${oneLine(err)})`] }));
    }
  }

  checks.push(checkDaemon(daemon, deps.escdVersion));
  const daemonAudit = daemon.reachable ? await deps.daemonAudit?.(paths.socket).catch(() => undefined) : undefined;
  const openError = await auditOpenError(paths.auditLog);
  checks.push(checkAudit({ file: paths.auditLog, required: config.audit.required, ...(openError ? { openError } : {}), ...(daemonAudit ? { daemon: daemonAudit } : {}) }));
  checks.push(checkSocketPermissions(await pathMode(dirname(paths.socket)), await pathMode(paths.socket)));
  checks.push(checkService(await serviceFacts(paths.stateDir)));

  // The two network checks wait on timeouts when offline: run them side by side.
  const [issuer, clock] = await Promise.all([issuerFacts(deps, config.issuer.url, signing.activeKid), clockFacts(deps, config)]);
  checks.push(checkIssuer(issuer), checkClock(clock));

  const home = userHome(env);
  const which = (name: string): string | undefined => findOnPath(name, env.PATH ?? '');
  const environmentStore = new EnvironmentStore(paths.environmentsDir, config.org);
  const environmentExists = (name: string): Promise<boolean | undefined> => environmentStore.exists(name).catch(() => undefined);
  const lookups = { which, environmentExists };
  // The files `escd setup` writes; kubectl merges every file of KUBECONFIG, so all are checked.
  const { awsConfigFile } = await import('../setup/config-files.js');
  checks.push(checkAwsConfig(await clientFacts([awsConfigFile(env)], awsConfigShimCommands, lookups)));
  const expandHome = (p: string): string => (p === '~' || p.startsWith('~/') ? join(home, p.slice(1)) : p);
  const kubeFiles = (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean).map(expandHome);
  checks.push(checkKubeconfig(await clientFacts(kubeFiles.length ? kubeFiles : [join(home, '.kube', 'config')], kubeconfigShimCommands, lookups)));
  return checks;
}

async function environmentFiles(dir: string): Promise<{ facts: EnvironmentsFacts; files: string[] }> {
  let info;
  try {
    info = await lstat(dir);
  } catch (err) {
    const state = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
    return { facts: { dir, state, count: 0 }, files: [] };
  }
  if (!info.isDirectory()) return { facts: { dir, state: 'not-a-directory', count: 0 }, files: [] };
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    const files = entries.filter((e) => e.isFile() && e.name.endsWith('.yaml')).map((e) => join(e.parentPath, e.name));
    return { facts: { dir, state: 'ok', count: files.length }, files };
  } catch {
    return { facts: { dir, state: 'unreadable', count: 0 }, files: [] };
  }
}

/** Every environment checked by the engine (no providers, no decryption): the ones with errors. */
async function brokenEnvironments(deps: DoctorDeps, store: EnvironmentStore): Promise<Array<{ name: string; error: string }>> {
  const { checkResultLines } = await import('../runtime/diagnostic-lines.js');
  const broken: Array<{ name: string; error: string }> = [];
  for (const { name } of await store.list()) {
    try {
      const checked = await deps.checkEnvironment(name);
      const errors = checked.diagnostics.filter((d) => d.severity === 'error');
      if (errors.length > 0) broken.push({ name, error: checkResultLines(checked, errors).join('; ') }); // every error, as open lists them
    } catch (err) {
      broken.push({ name, error: oneLine(err) });
    }
  }
  return broken;
}

async function filesContaining(files: readonly string[], pattern: RegExp): Promise<string[]> {
  const hits: string[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch(() => '');
    if (pattern.test(text)) hits.push(file);
  }
  return hits;
}

async function signingKeyFacts(config: EscdConfig, paths: Paths, store: KeyStore, history: KeyHistory): Promise<SigningKeyFacts> {
  const issuer = Issuer.fromConfig(config, paths, store);
  try {
    const keys = await issuer.keys();
    const active = keys.find((k) => k.active);
    if (!active) {
      const existed = await keyGuard(history, 'signing').existed();
      return { keys: keys.length, ...(existed ? { existed } : {}) };
    }
    try {
      // Signing a throwaway token proves the private half is in the key store and readable.
      await issuer.mint({ audience: 'escd-doctor', org: config.org, currentEnvironment: 'doctor/check', rootEnvironment: 'doctor/check', userLogin: config.user });
      return { keys: keys.length, activeKid: active.kid };
    } catch (err) {
      return { keys: keys.length, activeKid: active.kid, signError: oneLine(err) };
    }
  } catch (err) {
    return { keys: 0, error: oneLine(err) };
  }
}

async function daemonFacts(deps: DoctorDeps, socket: string): Promise<DaemonFacts> {
  try {
    const { pid, version } = await deps.ping(socket);
    return { socket, reachable: true, ...(pid !== undefined ? { pid } : {}), ...(version !== undefined ? { version } : {}) };
  } catch (err) {
    return { socket, reachable: false, error: oneLine(err) };
  }
}

async function serviceFacts(stateDir: string): Promise<ServiceFacts> {
  try {
    const installed = await installedService(stateDir);
    if (!installed) return {};
    return { installed: { ...installed, programs: installed.programs.map((path) => ({ path, exists: existsSync(path) })) } };
  } catch (err) {
    return { error: oneLine(err) };
  }
}

async function pathMode(path: string): Promise<PathMode> {
  try {
    const info = await lstat(path);
    const uid = process.getuid?.();
    return {
      path,
      exists: true,
      mode: info.mode & 0o777,
      ...(uid !== undefined ? { ownedByUser: info.uid === uid } : {}),
      ...(uid !== undefined && info.uid !== uid ? { owner: ownerName(info.uid) } : {}),
      kind: info.isSocket() ? 'socket' : info.isDirectory() ? 'directory' : 'other',
    };
  } catch {
    return { path, exists: false };
  }
}

async function fetchJson(deps: DoctorDeps, url: string): Promise<unknown> {
  const response = await deps.fetch(url, { signal: AbortSignal.timeout(deps.timeoutMs), redirect: 'follow' });
  if (!response.ok) throw new BadDocument(`${url} answered HTTP ${response.status}`);
  // An answer from outside is capped: a huge document is refused, not read into memory.
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (Number(response.headers.get('content-length')) > MAX_RESPONSE_BYTES) throw new BadDocument(`${url} is larger than 1 MiB`);
  const reader = response.body?.getReader();
  for (let part = await reader?.read(); part && !part.done; part = await reader!.read()) {
    size += part.value.length;
    if (size > MAX_RESPONSE_BYTES) {
      await reader!.cancel().catch(() => undefined);
      throw new BadDocument(`${url} is larger than 1 MiB`);
    }
    chunks.push(part.value);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new BadDocument(`${url} is not JSON`);
  }
}

class BadDocument extends Error {}

async function issuerFacts(deps: DoctorDeps, url: string, activeKid: string | undefined): Promise<IssuerFacts> {
  const base = { url, ...(activeKid ? { activeKid } : {}) };
  if (isPlaceholderIssuer(url) || deps.offline) return base;
  try {
    const discovery = (await fetchJson(deps, `${url}/.well-known/openid-configuration`)) as { issuer?: unknown; jwks_uri?: unknown };
    if (typeof discovery.issuer !== 'string' || typeof discovery.jwks_uri !== 'string') {
      return { ...base, discovery: { kind: 'bad', error: `${url}/.well-known/openid-configuration lacks issuer or jwks_uri` } };
    }
    const jwks = (await fetchJson(deps, discovery.jwks_uri)) as { keys?: Array<{ kid?: unknown }> };
    if (!Array.isArray(jwks.keys)) return { ...base, discovery: { kind: 'bad', error: `${discovery.jwks_uri} has no keys array` } };
    const kids = jwks.keys.map((k) => k.kid).filter((k): k is string => typeof k === 'string');
    return { ...base, discovery: { kind: 'ok', issuer: discovery.issuer.replace(/\/+$/, ''), jwksKids: kids } };
  } catch (err) {
    if (err instanceof BadDocument) return { ...base, discovery: { kind: 'bad', error: err.message } };
    return { ...base, discovery: { kind: 'offline', error: networkReason(err) } };
  }
}

function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string } }).cause;
  if ((err as Error).name === 'TimeoutError') return 'timed out';
  return cause?.code ?? oneLine(err);
}

async function clockFacts(deps: DoctorDeps, config: EscdConfig): Promise<ClockFacts> {
  let endpoint: string;
  try {
    // The same endpoint the daemon's STS calls go to.
    const { resolveStsEndpoint } = await import('../aws/sts-endpoint.js');
    endpoint = resolveStsEndpoint({ region: config.aws.region, ...(config.aws.stsEndpoint ? { configured: config.aws.stsEndpoint } : {}), env: deps.env }).url;
  } catch (err) {
    return { endpoint: 'STS', error: oneLine(err) };
  }
  if (deps.offline) return { endpoint, offline: true };
  try {
    const before = deps.now();
    const response = await deps.fetch(endpoint, { method: 'HEAD', signal: AbortSignal.timeout(deps.timeoutMs) });
    const after = deps.now();
    const date = response.headers.get('date');
    const server = date ? Date.parse(date) : NaN;
    if (Number.isNaN(server)) return { endpoint, error: 'no Date header' };
    // Date has one-second resolution: compare with the middle of the round trip.
    return { endpoint, skewMs: server - (before + after) / 2 };
  } catch (err) {
    return { endpoint, error: networkReason(err) };
  }
}

function findOnPath(name: string, path: string): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

interface Lookups {
  readonly which: (name: string) => string | undefined;
  /** undefined: the name is not one escd can check (invalid, another org). */
  readonly environmentExists: (name: string) => Promise<boolean | undefined>;
}

async function clientFacts(files: readonly string[], find: (text: string) => ShimCommand[], { which, environmentExists }: Lookups): Promise<ClientFacts> {
  const references: Array<ClientFacts['references'][number]> = [];
  let exists = false;
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      return { file, exists: true, error: `cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, references: [] };
    }
    exists = true;
    let commands: ShimCommand[];
    try {
      commands = find(text);
    } catch (err) {
      if (err instanceof ClientConfigError) return { file, exists, error: err.message, references: [] };
      throw err;
    }
    for (const command of commands) {
      const missing = command.programs.find((p) => (isAbsolute(p) ? !existsSync(p) : which(p) === undefined));
      const shim = command.programs.at(-1)!;
      const exists = command.environment === undefined ? undefined : await environmentExists(command.environment);
      references.push({
        name: command.name,
        shim: missing ?? shim,
        ...(missing ? {} : { resolved: isAbsolute(shim) ? shim : (which(shim) ?? shim) }),
        ...(command.environment !== undefined ? { environment: command.environment } : {}),
        ...(exists !== undefined ? { environmentExists: exists } : {}),
      });
    }
  }
  return { file: files.join(delimiter), exists, references };
}
