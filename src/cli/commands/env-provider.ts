// `escd env provider aws-login static|oidc <env> …`: writes an `fn::open::aws-login` block at a path
// under `values` (default aws.login), replacing what is there, as the reference's `esc env provider`
// does (env_provider_aws_login.go). The secret access key and session token are stored as
// `fn::secret` (encrypted like every plaintext secret of a write). The reference's azure-login and
// gcp-login subcommands write providers escd does not have.
import type { Command } from 'commander';
import { Pair, Scalar, YAMLMap, YAMLSeq, type Node } from 'yaml';
import { setValue } from '../../store/definition.js';
import { formatPath, parsePath, type PathElement } from '../../store/path.js';
import { fullName } from '../../store/names.js';
import { checkArgCount, existingRef, refuseVersion } from '../env-ref.js';
import { openRuntime } from '../evaluate.js';
import { modify, modifySubject, subjectOf } from './env-write.js';
import { cloudTargetOf } from '../../cloud/routing.js';
import { EscdError } from '../../core/errors.js';

interface CommonOptions {
  readonly path: string;
  readonly create?: boolean;
}

interface StaticOptions extends CommonOptions {
  readonly sessionToken?: string;
}

interface OidcOptions extends CommonOptions {
  readonly duration?: string;
  readonly policyArn: string[];
  readonly subjectAttribute: string[];
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function register(env: Command): void {
  const provider = env
    .command('provider')
    .description('Manage login providers within an environment')
    .addHelpText(
      'after',
      '\nSubcommands add a cloud-provider login block to an environment (escd: aws-login).\n\nExamples:\n  $ escd env provider aws-login oidc myproj/dev arn:aws:iam::123456789012:role/deploy escd-dev\n  $ escd env provider aws-login static myproj/dev AKIAEXAMPLE "$SECRET_KEY"',
    );
  const awsLogin = provider
    .command('aws-login')
    .description('Add an AWS login provider to an environment')
    .addHelpText(
      'after',
      '\nSubcommands select the authentication mode: `static` for static credentials, `oidc` for federated identity via OpenID Connect.\n\nExamples:\n  $ escd env provider aws-login oidc myproj/dev arn:aws:iam::123456789012:role/deploy escd-dev --duration 1h\n  $ escd env provider aws-login static myproj/dev AKIAEXAMPLE "$SECRET_KEY"',
    );
  awsLogin
    .command('static')
    .description('Add an AWS static-credentials login provider to an environment')
    .argument('[args...]', '[<org>/][<project>/]<environment-name> <access-key-id> <secret-access-key>')
    .option('--session-token <token>', 'optional AWS session token')
    .option('--path <path>', 'property path under `values` where the provider block is written', 'aws.login')
    .option('--create', 'create the environment if it does not already exist')
    .addHelpText(
      'after',
      `
Writes an fn::open::aws-login block with static credentials at the path under values; the secret access
key and session token are stored as (encrypted) fn::secret values. A block already at the path is replaced.

Examples:
  $ escd env provider aws-login static myproj/dev AKIAEXAMPLE "$SECRET_KEY"
  $ escd env provider aws-login static myproj/dev AKIAEXAMPLE "$SECRET_KEY" --session-token "$TOKEN" --path aws.ci`,
    )
    .action(async (args: string[], opts: StaticOptions) => addStatic(args, opts));
  awsLogin
    .command('oidc')
    .description('Add an AWS OIDC login provider to an environment')
    .argument('[args...]', '[<org>/][<project>/]<environment-name> <role-arn> <session-name>')
    .option('--duration <duration>', 'optional session duration, e.g. 1h')
    .option('--policy-arn <arn>', 'AWS managed-policy ARN to attach to the role session (repeatable)', collect, [])
    .option('--subject-attribute <attribute>', 'OIDC subject attribute to include in the session token (repeatable)', collect, [])
    .option('--path <path>', 'property path under `values` where the provider block is written', 'aws.login')
    .option('--create', 'create the environment if it does not already exist')
    .addHelpText(
      'after',
      `
Writes an fn::open::aws-login block with an oidc federation block at the path under values; escd's own
issuer signs the token (see \`escd oidc\` for the IAM role's trust policy). A block already at the path is replaced.

Examples:
  $ escd env provider aws-login oidc myproj/dev arn:aws:iam::123456789012:role/dev dev-session
  $ escd env provider aws-login oidc myproj/dev arn:aws:iam::123456789012:role/dev dev-session --duration 1h --policy-arn arn:aws:iam::aws:policy/ReadOnlyAccess`,
    )
    .action(async (args: string[], opts: OidcOptions) => addOidc(args, opts));
}

const str = (value: string): Scalar => new Scalar(value);

/** A mapping from key/value pairs, in order. */
function mapping(entries: readonly (readonly [string, Node])[]): YAMLMap {
  const map = new YAMLMap();
  for (const [key, value] of entries) map.items.push(new Pair(str(key), value));
  return map;
}

const secret = (value: string): YAMLMap => mapping([['fn::secret', str(value)]]);

function sequence(values: readonly string[]): YAMLSeq {
  const seq = new YAMLSeq();
  for (const value of values) seq.items.push(str(value));
  return seq;
}

/** `fn::open::aws-login: {static: {accessKeyId, secretAccessKey, sessionToken?}}`. */
export function awsLoginStatic(accessKeyId: string, secretAccessKey: string, sessionToken?: string): YAMLMap {
  const entries: [string, Node][] = [
    ['accessKeyId', str(accessKeyId)],
    ['secretAccessKey', secret(secretAccessKey)],
  ];
  if (sessionToken) entries.push(['sessionToken', secret(sessionToken)]);
  return mapping([['fn::open::aws-login', mapping([['static', mapping(entries)]])]]);
}

/** `fn::open::aws-login: {oidc: {roleArn, sessionName, duration?, policyArns?, subjectAttributes?}}`. */
export function awsLoginOidc(roleArn: string, sessionName: string, options: { duration?: string; policyArns?: readonly string[]; subjectAttributes?: readonly string[] }): YAMLMap {
  const entries: [string, Node][] = [
    ['roleArn', str(roleArn)],
    ['sessionName', str(sessionName)],
  ];
  if (options.duration) entries.push(['duration', str(options.duration)]);
  if (options.policyArns?.length) entries.push(['policyArns', sequence(options.policyArns)]);
  if (options.subjectAttributes?.length) entries.push(['subjectAttributes', sequence(options.subjectAttributes)]);
  return mapping([['fn::open::aws-login', mapping([['oidc', mapping(entries)]])]]);
}

/** The environment argument and the two that follow it, as the reference takes them. */
function splitArgs(args: readonly string[], expected: string): [string, string, string] {
  checkArgCount(args, 2, 3);
  if (args.length !== 3) throw new EscdError('usage', `expected ${expected}`);
  return [args[0]!, args[1]!, args[2]!];
}

function providerPath(text: string): PathElement[] {
  try {
    return parsePath(text);
  } catch (err) {
    throw new EscdError('usage', `invalid --path: ${(err as Error).message}`);
  }
}

/** Writes `block` at `path` under values of `name` (created first with --create), then says so. */
async function write(name: string, path: readonly PathElement[], block: Node, create: boolean | undefined): Promise<void> {
  const runtime = await openRuntime();
  if (cloudTargetOf(runtime.config, name)) {
    // A Pulumi Cloud environment is changed in the service, as env set does (the service seals the secrets).
    if (create) throw new EscdError('bad_request', `--create makes local environments only: create ${name} in Pulumi Cloud with \`escd env init ${name}\` first`);
    await modifySubject(runtime, await subjectOf(runtime, 'provider', name), (doc) => setValue(doc, path, block), `set ${formatPath(path)}`);
    process.stdout.write('Provider updated.\n');
    return;
  }
  refuseVersion('provider', name, runtime);
  const ref = await existingRef(runtime, name);
  if (create && !(await runtime.store.exists(ref))) {
    try {
      await runtime.store.create(ref, '');
    } catch (err) {
      throw err instanceof EscdError ? new EscdError(err.code, `creating environment: ${err.message}`) : err;
    }
    process.stdout.write(`Environment created: ${fullName(ref)}\n`);
  }
  // With errors the diagnostics are out and nothing was written (the reference says nothing more).
  if (await modify(runtime, ref, (doc) => setValue(doc, path, block))) process.stdout.write('Provider updated.\n');
}

/** A secret given as an argument is visible to other users; said on a terminal only (scripts keep the reference's output). */
function argvSecretWarning(): void {
  if (process.stderr.isTTY) {
    process.stderr.write('escd: warning: a secret on the command line can be read by other users in the process list and stays in shell history\n');
  }
}

async function addStatic(args: readonly string[], options: StaticOptions): Promise<void> {
  const [name, accessKeyId, secretAccessKey] = splitArgs(args, '<access-key-id> and <secret-access-key>');
  const path = providerPath(options.path);
  argvSecretWarning();
  await write(name, path, awsLoginStatic(accessKeyId, secretAccessKey, options.sessionToken), options.create);
}

async function addOidc(args: readonly string[], options: OidcOptions): Promise<void> {
  const [name, roleArn, sessionName] = splitArgs(args, '<role-arn> and <session-name>');
  const path = providerPath(options.path);
  await write(
    name,
    path,
    awsLoginOidc(roleArn, sessionName, { ...(options.duration ? { duration: options.duration } : {}), policyArns: options.policyArn, subjectAttributes: options.subjectAttribute }),
    options.create,
  );
}
