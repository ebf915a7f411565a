// The shim's pure half: arguments, KUBERNETES_EXEC_INFO, and validation of the daemon's answers.
// Node built-ins only (none needed, in fact): loaded on every credential request.
import type { KubeApiVersion, MethodParams } from '../src/protocol/wire.js';

export const USAGE = `usage: escd-shim aws <env>
       escd-shim kube <env> --cluster <name> [--region <region>] [--oidc [--audience <aud>]]

Prints credentials from the escd daemon: the credential_process JSON (aws) or an ExecCredential (kube).
Wire it up with \`escd setup aws <env>\` or \`escd setup kube <env> --cluster <name>\`.
`;

export const EXIT_USAGE = 2;
/** The daemon accepts names up to this length (daemon/validate.ts); longer ones are refused here, in one short line. */
export const MAX_ARGUMENT_LENGTH = 512;
const V1 = 'client.authentication.k8s.io/v1';
const V1BETA1 = 'client.authentication.k8s.io/v1beta1';

export class ShimError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export type Invocation =
  | { kind: 'help' }
  | { kind: 'aws'; env: string }
  | { kind: 'kube'; params: Omit<MethodParams['kube.credentials'], 'apiVersion'> };

/** Parses argv (after `node main.js`). Throws ShimError(…, 2) on anything unexpected. */
export function parseArgs(argv: readonly string[]): Invocation {
  const usage = (why: string): never => {
    throw new ShimError(why, EXIT_USAGE);
  };
  if (argv.length === 0) usage('missing command: aws or kube');
  if (argv.includes('--help') || argv.includes('-h')) return { kind: 'help' };
  const [command, env, ...rest] = argv as [string, string | undefined, ...string[]];
  if (command !== 'aws' && command !== 'kube') usage(`unknown command '${command}': expected aws or kube`);
  if (!env || env.startsWith('-')) usage(`${command}: missing <env>`);
  const name = env as string;
  const checkLength = (what: string, value: string): void => {
    if (value.length > MAX_ARGUMENT_LENGTH) usage(`${command}: ${what} is ${value.length} characters long; at most ${MAX_ARGUMENT_LENGTH} are accepted`);
  };
  checkLength('<env>', name);
  if (command === 'aws') {
    if (rest.length > 0) usage(`aws: unexpected argument '${rest[0]}'`);
    return { kind: 'aws', env: name };
  }
  const flags: { cluster?: string; region?: string; audience?: string; oidc?: boolean } = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      const v = inline ?? rest[++i];
      if (v === undefined || v === '' || (inline === undefined && v.startsWith('--'))) usage(`kube: ${flag} needs a value`);
      checkLength(flag, v as string);
      return v as string;
    };
    switch (flag) {
      case '--cluster':
        flags.cluster = value();
        break;
      case '--region':
        flags.region = value();
        break;
      case '--audience':
        flags.audience = value();
        break;
      case '--oidc':
        if (inline !== undefined) usage('kube: --oidc takes no value');
        flags.oidc = true;
        break;
      default:
        usage(`kube: unexpected argument '${arg}'`);
    }
  }
  if (!flags.cluster) usage('kube: --cluster <name> is required');
  if (flags.audience !== undefined && !flags.oidc) usage('kube: --audience only applies with --oidc');
  return {
    kind: 'kube',
    params: {
      env: name,
      cluster: flags.cluster!,
      ...(flags.region !== undefined ? { region: flags.region } : {}),
      ...(flags.oidc ? { oidc: true } : {}),
      ...(flags.audience !== undefined ? { audience: flags.audience } : {}),
    },
  };
}

/** The ExecCredential version kubectl asks for in KUBERNETES_EXEC_INFO; v1beta1 when it says nothing. */
export function execInfoApiVersion(execInfo: string | undefined): KubeApiVersion {
  if (!execInfo) return V1BETA1;
  let apiVersion: unknown;
  try {
    apiVersion = (JSON.parse(execInfo) as { apiVersion?: unknown } | null)?.apiVersion;
  } catch {
    throw new ShimError('KUBERNETES_EXEC_INFO is not valid JSON');
  }
  if (apiVersion === undefined) return V1BETA1;
  if (apiVersion === V1 || apiVersion === V1BETA1) return apiVersion;
  throw new ShimError(`unsupported ExecCredential apiVersion ${JSON.stringify(apiVersion)} in KUBERNETES_EXEC_INFO: use ${V1} or ${V1BETA1} in the kubeconfig`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** Rejects an expiry that does not parse or has passed: a tool must never get stale credentials. */
function checkExpiry(field: string, value: unknown, now: number): void {
  if (!nonEmptyString(value)) throw new ShimError(`the daemon's answer has no valid ${field}`);
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw new ShimError(`the daemon's answer has an unreadable ${field}`);
  if (at <= now) throw new ShimError(`the daemon returned credentials that expired at ${value}; run \`escd flush\` and retry`);
}

/** The credential_process JSON text, after checking the fields AWS SDKs require. */
export function awsOutput(result: unknown, now: number): string {
  if (!isObject(result) || result.Version !== 1) throw new ShimError("the daemon's answer is not credential_process JSON (Version 1)");
  if (!nonEmptyString(result.AccessKeyId) || !nonEmptyString(result.SecretAccessKey)) {
    throw new ShimError("the daemon's answer lacks AccessKeyId or SecretAccessKey");
  }
  if (result.SessionToken !== undefined && !nonEmptyString(result.SessionToken)) throw new ShimError("the daemon's answer has an invalid SessionToken");
  if (result.Expiration !== undefined) checkExpiry('Expiration', result.Expiration, now);
  return JSON.stringify(result) + '\n';
}

/** The ExecCredential JSON text, after checking it is the version kubectl asked for and still valid. */
export function kubeOutput(result: unknown, apiVersion: KubeApiVersion, now: number): string {
  if (!isObject(result) || result.kind !== 'ExecCredential' || result.apiVersion !== apiVersion) {
    throw new ShimError(`the daemon's answer is not an ExecCredential of ${apiVersion}`);
  }
  const status = result.status;
  if (!isObject(status) || !nonEmptyString(status.token)) throw new ShimError("the daemon's answer has no token");
  checkExpiry('expirationTimestamp', status.expirationTimestamp, now);
  return JSON.stringify(result) + '\n';
}
