// How CLI commands reach the one engine: they ask the daemon over its socket (starting it as the shim
// does when none answers), or, with --no-daemon / ESCD_NO_DAEMON=1, run the daemon's request path once
// in this process (daemon/local.ts). Either way the answer is the same and so is the audit line.
import { callerStsEndpoint, type EnvCheckResult, type ErrorBody, type Method, type MethodParams } from '../protocol/wire.js';
import { cliDependencies } from './context.js';
import { EscdError } from '../core/errors.js';
import { EvaluationFailed } from './errors.js';

export interface EngineOptions {
  /** `--no-daemon` was given (ESCD_NO_DAEMON=1 has the same effect). */
  readonly noDaemon?: boolean;
  /** No `--no-daemon` notice on stderr (a check inside a command that prints its own report). */
  readonly quiet?: boolean;
  /** A request that changes something: sent at most once, waited for up to `timeoutMs`. */
  readonly once?: boolean;
  readonly timeoutMs?: number;
}

const truthy = (value: string | undefined): boolean => value !== undefined && ['1', 'true', 'yes'].includes(value.toLowerCase());

export function inProcess(options: EngineOptions, env: NodeJS.ProcessEnv = process.env): boolean {
  return options.noDaemon === true || truthy(env.ESCD_NO_DAEMON);
}

/** Methods that evaluate with the daemon's settings take the caller's endpoint, to warn when they differ. */
type WithCaller = 'env.open' | 'env.run' | 'aws.credentials' | 'kube.credentials';

/**
 * Sends one request and resolves with its result. A daemon error becomes a UserError (one line), an
 * evaluation error is printed as the compiler-style line it is and fails with EvaluationFailed; a
 * warning from the daemon goes to stderr.
 */
export async function askEngine<M extends Method>(method: M, params: MethodParams[M], options: EngineOptions = {}): Promise<unknown> {
  const env = process.env;
  // A program built with replaced runtime parts (the CLI conformance harness's test doubles) can only
  // evaluate here: a daemon has its own.
  const injected = cliDependencies().runtime;
  const doubles = Object.keys(injected).length > 0;
  if (doubles || inProcess(options, env)) {
    const { dispatchLocally } = await import('../../daemon/local.js');
    if (!doubles && !options.quiet) process.stderr.write('escd: --no-daemon: evaluating in this process (no daemon, no cache)\n');
    const response = await dispatchLocally(method, params, { env, ...injected });
    if (response.ok) return response.result;
    throw refusal(response.error);
  }
  const [{ askDaemon, DaemonRefused, NoDaemon }, { resolvePaths }, { ownershipProblems, ownershipRefusal }] = await Promise.all([
    import('../../daemon/autostart.js'),
    import('../config/paths.js'),
    import('../config/ownership.js'),
  ]);
  const paths = resolvePaths(env);
  // What loadConfig refuses, refused here too before the socket or a daemon start is tried: an ESCD_HOME
  // another user controls must not become "cannot reach the daemon" (a few lstat calls).
  const unsafe = ownershipRefusal(ownershipProblems(paths, env));
  if (unsafe) throw new EscdError('bad_config', unsafe);
  const endpoint = callerStsEndpoint(env);
  const sent = endpoint !== undefined && isWithCaller(method) ? { ...params, callerStsEndpoint: endpoint } : params;
  try {
    const response = await askDaemon(paths.socket, method, sent, {
      logFile: paths.daemonLog,
      env,
      ...(options.once ? { once: true } : {}),
      ...(options.timeoutMs !== undefined ? { requestTimeoutMs: options.timeoutMs } : {}),
    });
    warn(response.warning);
    return response.result;
  } catch (err) {
    if (err instanceof DaemonRefused) {
      warn(err.warning);
      throw refusal(err.error);
    }
    if (err instanceof NoDaemon) throw new EscdError('bad_request', `${err.message} (or use --no-daemon)`);
    throw err;
  }
}

const isWithCaller = (method: Method): method is WithCaller => ['env.open', 'env.run', 'aws.credentials', 'kube.credentials'].includes(method);

function warn(warning: string | undefined): void {
  if (warning) process.stderr.write(`escd: warning: ${warning.split('\n')[0]}\n`);
}

function refusal(error: ErrorBody): Error {
  const { code } = error;
  const message = error.message.split('\n')[0] ?? code;
  if (code === 'evaluation_failed') {
    process.stderr.write((error.diagnostics ?? [message]).join('\n') + '\n');
    return new EvaluationFailed(message);
  }
  if (code === 'unsupported_version' || code === 'unknown_method') {
    return new EscdError('bad_request', `the running daemon is older than this escd (${message}); run \`escd restart\``);
  }
  if (code === 'too_large') return new EscdError('bad_request', `${message} (use --no-daemon to evaluate it in this process)`);
  return new EscdError('bad_request', message);
}

/** Bigger definitions go to the daemon as a file (a request line holds at most 64 KiB). */
const INLINE_SOURCE_BYTES = 48 * 1024;

export interface CheckOptions extends EngineOptions {
  /** Also the checked values (`escd env get`); with `showSecrets` secrets in clear (the daemon audits it). */
  readonly values?: boolean;
  readonly showSecrets?: boolean;
  /** With `values`: each value's trace (`env get --value detailed`). */
  readonly traces?: boolean;
}

/**
 * The daemon's check of a definition (`escd env init|edit|set`, `env get`, `doctor`…): its diagnostics
 * and their files, and with `values` the checked values. `source` undefined: the stored definition.
 */
export async function checkDefinition(name: string, source: string | undefined, options: CheckOptions = {}): Promise<EnvCheckResult> {
  const { values, showSecrets, traces, ...engine } = options;
  const extra = { ...(values ? { values } : {}), ...(showSecrets ? { showSecrets } : {}), ...(values && traces ? { traces } : {}) };
  const ask = async (params: MethodParams['env.check']): Promise<EnvCheckResult> => {
    const result = (await askEngine('env.check', { ...params, ...extra }, { quiet: true, ...engine })) as EnvCheckResult;
    // A daemon of an earlier escd ignores `values` (an addition to env.check of protocol 2).
    if (values && !Object.hasOwn(result, 'values')) {
      throw new EscdError('bad_request', 'the running daemon is older than this escd (its env.check gives no values); run `escd restart`');
    }
    return result;
  };
  if (source === undefined || Buffer.byteLength(source) <= INLINE_SOURCE_BYTES) return ask({ env: name, ...(source !== undefined ? { source } : {}) });
  const [{ mkdtemp, rm, writeFile }, { tmpdir }, { join }] = await Promise.all([import('node:fs/promises'), import('node:os'), import('node:path')]);
  const dir = await mkdtemp(join(tmpdir(), 'escd-check-'));
  try {
    const path = join(dir, 'definition.yaml');
    await writeFile(path, source, { mode: 0o600 });
    return await ask({ env: name, path });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
