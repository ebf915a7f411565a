// `escd setup aws|kube`: point the AWS CLI/SDKs and kubectl at the shim.
import type { Command } from 'commander';
import { EscdError } from '../../core/errors.js';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { shimScript } from '../../service/package-files.js';
import { isValidSegment, quoteName } from '../../store/names.js';
import { awsConfigFile, awsCredentialsFile, expandHome, kubeconfigFile } from '../../setup/config-files.js';
import { credentialsFileHasKeys, profileSnippet, removeCredentialProcess, upsertCredentialProcess, checkProfileName, type ProfileEdit } from '../../setup/aws-config.js';
import { shellWords, shimCommand } from '../../setup/shim-command.js';
import { editFile, type FileEditResult } from '../../setup/edit-file.js';
import { hasNamedEntry, kubeEntries, kubeSnippet, removeKubeUser, upsertKubeconfig, type KubeSetup } from '../../setup/kubeconfig.js';
import { launcherPath, writeLauncher } from '../../setup/launcher.js';
import { commandLine } from '../../setup/shell-quote.js';
import { setupEnvironment, type SetupEnvironment } from '../../setup/environment.js';

function context(): SetupContext {
  return { env: process.env, out: (t: string) => process.stdout.write(t), warn: (t: string) => process.stderr.write(t) };
}

export function register(program: Command): void {
  const setup = program
    .command('setup')
    .description('Wire the shim into ~/.aws/config (credential_process) or a kubeconfig (exec plugin)')
    .addHelpText(
      'after',
      `
Both commands keep every other line of the file, write it atomically and leave a backup beside it
(<file>.escd-backup-<time>). The absolute paths of node and the shim are written (for kubectl in the
escd-shim launcher under escd's state directory): re-run after moving or upgrading either. --remove
undoes it.

Examples:
  $ escd setup aws myproj/dev
  $ escd setup kube myproj/dev --cluster prod --server https://ABC.gr7.us-east-1.eks.amazonaws.com --ca ca.pem`,
    );

  setup
    .command('aws')
    .description('Add or update a profile whose credential_process is the shim (AWS_CONFIG_FILE honoured); with --role-name, create the IAM OIDC provider and role that trust escd')
    .argument('[env]', 'environment name, [org/]project/env')
    .option('--role-name <name>', "create (or reuse) the IAM OIDC provider for escd's issuer and this role trusting it, with your AWS credentials")
    .option('--policy <name>', 'with --role-name: the AWS managed policy to attach (default AdministratorAccess)')
    .option('--environment <env>', "with --role-name: write this environment's aws-login for the role (a new revision) instead of printing it")
    .option('--profile <name>', 'profile name (default: the environment name with / replaced by -)')
    .option('--region <region>', "the profile's region (default: the environment's AWS_REGION, else aws.region of config.yaml); a region the profile has is kept")
    .option('--print', 'only print the profile section; change nothing')
    .option('--remove', 'remove what setup added: the profile (or only its credential_process when it has other settings)')
    .option('--json', 'print {environment, profile, credentialProcess, region} and what was written (action, file, created, changed, backup)')
    .addHelpText(
      'after',
      '\nThe environment must exist. The AWS CLI v1 reads no AWS_REGION, so the profile gets a region.\n\nExamples:\n  $ escd setup aws myproj/dev            # [profile myproj-dev]\n  $ escd setup aws myproj/dev --profile default\n  $ escd setup aws myproj/dev --print\n  $ escd setup aws myproj/dev --remove\n  $ escd setup aws myproj/dev --json | jq -r .backup\n\nAWS side (uses your AWS credentials: AWS_PROFILE, AWS_ACCESS_KEY_ID, ...):\n  $ escd setup aws --role-name EscdRole --policy ReadOnlyAccess --environment myproj/aws',
    )
    .action(async (env: string | undefined, opts: { profile?: string; region?: string; print?: boolean; remove?: boolean; json?: boolean; roleName?: string; policy?: string; environment?: string }) => {
      const ctx = context();
      if (opts.roleName !== undefined) {
        if (env !== undefined) throw new EscdError('usage', '--role-name sets up the AWS side and takes no <env> argument (use --environment to write one)');
        await setupAwsRole({ roleName: opts.roleName, ...(opts.policy ? { policy: opts.policy } : {}), ...(opts.environment ? { environment: opts.environment } : {}) }, ctx);
        return;
      }
      if (opts.policy !== undefined || opts.environment !== undefined) throw new EscdError('usage', '--policy and --environment go with --role-name');
      if (env === undefined) throw new EscdError('usage', 'missing the environment: escd setup aws <env> (or --role-name NAME for the AWS side)');
      await setupAws(env, opts, ctx);
    });

  setup
    .command('kube')
    .description('Add or update a kubeconfig user that runs the shim, and optionally its cluster and context (KUBECONFIG honoured: its first file)')
    .argument('<env>', 'environment name, [org/]project/env')
    .requiredOption('--cluster <name>', 'EKS cluster name (signed into the token) and kubeconfig cluster name')
    .option('--server <url>', 'API server URL: also add the cluster and a context')
    .option('--ca <file>', "the API server's CA certificate (PEM), embedded in the kubeconfig")
    .option('--context <name>', 'context name (default: the cluster name)')
    .option('--user <name>', 'kubeconfig user name (default: escd-<env>@<cluster>)')
    .option('--region <region>', 'STS region of the EKS token (default: AWS_REGION of the environment, else config.yaml)')
    .option('--oidc', "use an escd-issuer JWT instead of an EKS token (clusters that trust escd's issuer)")
    .option('--audience <aud>', 'with --oidc: the token audience (default: the cluster name)')
    .option('--token-file', 'a tokenFile user the daemon keeps fresh (no process per kubectl call) instead of the exec plugin')
    .option('--print', 'only print the entries; change nothing')
    .option('--remove', 'remove what setup added: the user, its contexts, and a cluster no other context uses')
    .option('--json', 'print {environment, user, cluster, context} and what was written (file, created, changed, backup, currentContextSet); with --print the entries')
    .addHelpText(
      'after',
      '\nExamples:\n  $ escd setup kube myproj/dev --cluster prod --server https://ABC.gr7.us-east-1.eks.amazonaws.com --ca ca.pem\n  $ escd setup kube myproj/dev --cluster lab --server https://10.0.0.5:6443 --ca lab-ca.pem --oidc --audience kubernetes\n  $ escd setup kube myproj/dev --cluster prod --print\n  $ escd setup kube myproj/dev --cluster prod --token-file      # kubectl reads a file the daemon renews\n  $ escd setup kube myproj/dev --cluster prod --remove\n  $ escd setup kube myproj/dev --cluster prod --print --json | jq .entries.users',
    )
    .action(async (env: string, opts: { cluster: string; server?: string; ca?: string; context?: string; user?: string; region?: string; oidc?: boolean; audience?: string; tokenFile?: boolean; print?: boolean; remove?: boolean; json?: boolean }) => {
      const ctx = context();
      await setupKube(env, opts, ctx);
    });
}

// `escd setup aws|kube`: wire the shim into ~/.aws/config and the kubeconfig.
type Env = Readonly<Record<string, string | undefined>>;

export interface SetupContext {
  readonly env: Env;
  readonly out: (text: string) => void;
  readonly warn: (text: string) => void;
  /** Absolute node and shim paths written into the configs; the running ones by default. */
  readonly node?: string;
  readonly shim?: string;
  /** The `escd-shim` launcher a kubeconfig runs (src/setup/launcher.ts); `<state dir>/bin/escd-shim` by default. */
  readonly launcher?: string;
  /** Checks the environment exists and finds its region (tests replace it; the store by default). */
  readonly environment?: (name: string, env: Env) => Promise<SetupEnvironment>;
}

/** The environment as the daemon checks it (env.check with values; in this process with ESCD_NO_DAEMON=1). */
async function checkedEnvironment(name: string, env: Env): Promise<SetupEnvironment> {
  const { checkDefinition } = await import('../engine.js');
  return setupEnvironment(name, env, (checked) => checkDefinition(checked, undefined, { values: true }));
}

function programs(ctx: SetupContext): { node: string; shim: string } {
  const shim = ctx.shim ?? shimScript();
  if (!existsSync(shim)) throw new EscdError('bad_request', `the shim is missing at ${shim}; reinstall escd (or run \`npm run build\`)`);
  return { node: ctx.node ?? process.execPath, shim };
}

function checkEnvName(env: string): void {
  const parts = env.split('/');
  if (parts.length > 3 || !parts.every(isValidSegment)) {
    throw new EscdError('bad_request', `invalid environment name ${quoteName(env)}: expected [org/]project/env of letters, digits, '-', '_' and '.'`);
  }
}

const json = (value: unknown): string => JSON.stringify(value, null, 2) + '\n';

/** What a write did, for --json: the file, whether it was created or changed, and the backup (or null). */
const writeFacts = (result: FileEditResult): { file: string; created: boolean; changed: boolean; backup: string | null } => ({
  file: result.file,
  created: result.created,
  changed: result.changed,
  backup: result.backup ?? null,
});

function describeWrite(result: FileEditResult): string {
  if (!result.changed) return `${result.file} is already up to date`;
  if (result.created) return `created ${result.file}`;
  return `updated ${result.file} (backup: ${result.backup})`;
}

/**
 * JSON (`--json`): `{environment, profile, credentialProcess}`, and after a write also `action`
 * (added, updated or unchanged), `file`, `created`, `changed` and `backup`.
 */
export interface AwsSetupOptions {
  readonly profile?: string;
  /** The profile's `region` (default: the environment's AWS_REGION, else config.yaml's aws.region). */
  readonly region?: string;
  readonly print?: boolean;
  readonly json?: boolean;
  /** Undo: remove what setup added. */
  readonly remove?: boolean;
}

/** True when a credential_process command line runs escd's shim. */
const runsShim = (command: string): boolean => shimCommand(shellWords(command)) !== undefined;

export async function setupAws(envName: string, opts: AwsSetupOptions, ctx: SetupContext): Promise<void> {
  checkEnvName(envName);
  const profile = opts.profile ?? envName.replaceAll('/', '-');
  checkProfileName(profile);
  if (opts.remove) return removeAws(profile, opts, ctx);
  const { region: ownRegion } = await (ctx.environment ?? checkedEnvironment)(envName, ctx.env);
  const region = opts.region ?? ownRegion;
  const { node, shim } = programs(ctx);
  const command = commandLine([node, shim, 'aws', envName]);
  const entry = { environment: envName, profile, credentialProcess: command, region };
  if (opts.print) {
    ctx.out(opts.json ? json(entry) : profileSnippet(profile, command, '\n', region));
    return;
  }
  const file = awsConfigFile(ctx.env);
  let action: ProfileEdit['action'] = 'unchanged';
  const result = await editFile(file, (text) => {
    const edit = upsertCredentialProcess(text, profile, command, file, region);
    action = edit.action;
    return { text: edit.text, changed: edit.action !== 'unchanged' };
  });
  if (opts.json) ctx.out(json({ ...entry, action, ...writeFacts(result) }));
  else ctx.out(`${action === 'unchanged' ? 'kept' : action} profile '${profile}': ${describeWrite(result)}\n`);
  const credentials = awsCredentialsFile(ctx.env);
  const shared = await readFile(credentials, 'utf8').catch(() => '');
  if (credentialsFileHasKeys(shared, profile)) {
    ctx.warn(`warning: ${credentials} has keys for [${profile}]; the AWS CLI and SDKs use them before credential_process: remove them\n`);
  }
  if (!opts.json) ctx.out(`try: aws sts get-caller-identity --profile ${profile}\n`);
}

/** `escd setup aws … --remove`: the profile's section (or, when it holds other settings, its credential_process line). */
async function removeAws(profile: string, opts: AwsSetupOptions, ctx: SetupContext): Promise<void> {
  const file = awsConfigFile(ctx.env);
  let action = 'absent';
  const result = await editFile(file, (text) => {
    const edit = removeCredentialProcess(text, profile, runsShim, file);
    action = edit.action;
    return { text: edit.text, changed: edit.action !== 'absent' };
  });
  if (opts.json) ctx.out(json({ profile, action, ...writeFacts(result) }));
  else if (action === 'absent') ctx.out(`profile '${profile}' does not run escd in ${file}: nothing to remove\n`);
  else ctx.out(`removed ${action === 'removed' ? `profile '${profile}'` : `escd's credential_process from profile '${profile}' (its other settings stay)`}: ${describeWrite(result)}\n`);
}

export interface KubeSetupOptions {
  readonly cluster: string;
  readonly server?: string;
  readonly ca?: string;
  readonly context?: string;
  readonly user?: string;
  readonly region?: string;
  readonly oidc?: boolean;
  readonly audience?: string;
  /** A kubeconfig tokenFile the daemon keeps fresh instead of the exec plugin. */
  readonly tokenFile?: boolean;
  readonly print?: boolean;
  readonly json?: boolean;
  /** Undo: remove the user (and the contexts and cluster only it used). */
  readonly remove?: boolean;
}

/** The kube setup for these options; reads the CA file. */
export async function kubeSetup(envName: string, opts: KubeSetupOptions, ctx: SetupContext): Promise<KubeSetup> {
  checkEnvName(envName);
  if (!opts.cluster) throw new EscdError('bad_request', '--cluster <name> is required');
  if (opts.audience !== undefined && !opts.oidc) throw new EscdError('bad_request', '--audience only applies with --oidc');
  if (opts.ca !== undefined && opts.server === undefined) throw new EscdError('bad_request', '--ca needs --server (it describes that server)');
  if (opts.server !== undefined && !/^https:\/\/[^\s/]+/.test(opts.server)) throw new EscdError('bad_request', `--server must be an https:// URL, got ${JSON.stringify(opts.server)}`);
  let caPem: string | undefined;
  if (opts.ca !== undefined) {
    caPem = await readFile(expandHome(opts.ca, ctx.env), 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new EscdError('bad_request', `cannot read --ca ${opts.ca}: ${err.code ?? err.message}`);
    });
    if (!caPem.includes('-----BEGIN CERTIFICATE-----')) throw new EscdError('bad_request', `--ca ${opts.ca} is not a PEM certificate (no BEGIN CERTIFICATE line)`);
  }
  const args = ['kube', envName, '--cluster', opts.cluster];
  if (opts.region) args.push('--region', opts.region);
  if (opts.oidc) args.push('--oidc');
  if (opts.audience) args.push('--audience', opts.audience);
  const userName = opts.user ?? `escd-${envName.replaceAll('/', '-')}${opts.oidc ? '-oidc' : ''}@${opts.cluster}`;
  const wantContext = opts.server !== undefined || opts.context !== undefined;
  let tokenFile: string | undefined;
  if (opts.tokenFile) {
    const [{ resolvePaths }, { kubeTokenFilePath }] = await Promise.all([import('../../config/paths.js'), import('../../../daemon/token-files.js')]);
    tokenFile = kubeTokenFilePath(resolvePaths(ctx.env).socket, { env: envName, cluster: opts.cluster, ...(opts.oidc ? { oidc: true } : {}) });
  }
  return {
    user: { name: userName, command: ctx.launcher ?? launcherPath(ctx.env), args, ...(tokenFile !== undefined ? { tokenFile } : {}) },
    ...(opts.server !== undefined ? { cluster: { name: opts.cluster, server: opts.server, ...(caPem ? { caPem } : {}) } } : {}),
    ...(wantContext ? { context: { name: opts.context ?? opts.cluster, cluster: opts.cluster, user: userName } } : {}),
  };
}

/** Asks the daemon (started if needed) to keep the user's token file; it writes the first token now. */
async function keepKubeTokenFile(envName: string, opts: KubeSetupOptions, ctx: SetupContext): Promise<string> {
  const [{ resolvePaths }, control] = await Promise.all([import('../../config/paths.js'), import('../../../daemon/control.js')]);
  const paths = resolvePaths(ctx.env);
  const kept = (await control.ask(
    { socket: paths.socket, logFile: paths.daemonLog, env: ctx.env, out: () => {} },
    'tokenfile.keep',
    { kind: 'kube', env: envName, cluster: opts.cluster, ...(opts.region ? { region: opts.region } : {}), ...(opts.oidc ? { oidc: true } : {}), ...(opts.audience ? { audience: opts.audience } : {}) },
  )) as { path: string };
  return kept.path;
}

/**
 * JSON (`--json`): `{environment, user, cluster, context}` (names; null when not set up), with
 * --print also `entries` (the kubeconfig lists), after a write `file`, `created`, `changed`, `backup`
 * and `currentContextSet`.
 */
export async function setupKube(envName: string, opts: KubeSetupOptions, ctx: SetupContext): Promise<void> {
  if (opts.remove) return removeKube(envName, opts, ctx);
  await (ctx.environment ?? checkedEnvironment)(envName, ctx.env);
  let setup = await kubeSetup(envName, opts, ctx);
  const names = { environment: envName, user: setup.user.name, cluster: setup.cluster?.name ?? null, context: setup.context?.name ?? null };
  if (opts.print) {
    ctx.out(opts.json ? json({ ...names, entries: kubeEntries(setup) }) : kubeSnippet(setup));
    return;
  }
  // The daemon names the file (from the canonical environment name): that path goes into the kubeconfig.
  if (opts.tokenFile) setup = { ...setup, user: { ...setup.user, tokenFile: await keepKubeTokenFile(envName, opts, ctx) } };
  const { node, shim } = programs(ctx);
  await writeLauncher(setup.user.command, node, shim);
  const file = kubeconfigFile(ctx.env);
  let currentContextSet = false;
  const result = await editFile(file, (text) => {
    if (setup.context && !setup.cluster && !hasNamedEntry(text, 'clusters', setup.context.cluster)) {
      throw new EscdError('bad_request', `${file} has no cluster named '${setup.context.cluster}'; pass --server (and --ca) to add it`);
    }
    const edit = upsertKubeconfig(text, setup, file);
    currentContextSet = edit.currentContextSet;
    return edit;
  });
  if (opts.json) {
    ctx.out(json({ ...names, ...writeFacts(result), currentContextSet }));
    return;
  }
  const parts = [`user '${setup.user.name}'`, ...(setup.cluster ? [`cluster '${setup.cluster.name}'`] : []), ...(setup.context ? [`context '${setup.context.name}'`] : [])];
  ctx.out(`${parts.join(', ')}: ${describeWrite(result)}\n`);
  if (currentContextSet) ctx.out(`current context is now '${setup.context!.name}'\n`);
  if (setup.context) ctx.out(`try: kubectl --context ${setup.context.name} get --raw /version\n`);
  else ctx.out(`use it from a context: kubectl config set-context <name> --cluster ${opts.cluster} --user ${setup.user.name}\n`);
}

/** `escd setup kube … --remove`: the user setup added, the contexts using it, and a cluster left without contexts. */
async function removeKube(envName: string, opts: KubeSetupOptions, ctx: SetupContext): Promise<void> {
  checkEnvName(envName);
  if (!opts.cluster) throw new EscdError('bad_request', '--cluster <name> is required');
  const userName = opts.user ?? `escd-${envName.replaceAll('/', '-')}${opts.oidc ? '-oidc' : ''}@${opts.cluster}`;
  const file = kubeconfigFile(ctx.env);
  let removed: string[] = [];
  const result = await editFile(file, (text) => {
    const edit = removeKubeUser(text, userName, opts.cluster, (command, args) => runsShim(commandLine([command, ...args])), file);
    removed = edit.removed;
    return edit;
  });
  if (opts.json) ctx.out(json({ environment: envName, user: userName, removed, ...writeFacts(result) }));
  else if (removed.length === 0) ctx.out(`${file} has no escd user '${userName}': nothing to remove\n`);
  else ctx.out(`removed ${removed.join(', ')}: ${describeWrite(result)}\n`);
}

export interface AwsRoleSetupOptions {
  readonly roleName: string;
  readonly policy?: string;
  readonly environment?: string;
}

/**
 * `escd setup aws --role-name R [--policy P] [--environment E]`: the IAM OIDC provider, role and
 * policy attachment for escd's issuer (src/setup/aws-oidc.ts), then E's aws-login written (a new
 * revision) or printed.
 */
export async function setupAwsRole(opts: AwsRoleSetupOptions, ctx: SetupContext): Promise<void> {
  const { openRuntime } = await import('../evaluate.js');
  const { setupAwsOidc, awsLoginEnvironmentYaml } = await import('../../setup/aws-oidc.js');
  const runtime = await openRuntime();
  if (opts.environment !== undefined) runtime.store.resolve(opts.environment);
  const done = await setupAwsOidc(runtime.config, ctx.env, { roleName: opts.roleName, ...(opts.policy ? { policy: opts.policy } : {}) });
  ctx.out(`AWS account: ${done.account} (partition: ${done.partition})\n`);
  ctx.out(`OIDC provider: ${done.providerArn} (${done.provider})\n`);
  if (done.provider === 'existing') ctx.out(done.audienceAdded ? `  added audience: ${done.audience}\n` : `  audience '${done.audience}' already configured\n`);
  if (done.thumbprintNote) ctx.warn(`note: ${done.thumbprintNote}\n`);
  ctx.out(`IAM role: ${done.roleArn} (${done.role})\n`);
  ctx.out(`policy attached: ${done.policyArn}\n`);
  const yaml = awsLoginEnvironmentYaml(done.roleArn);
  if (opts.environment === undefined) {
    ctx.out(`\nAdd this to an escd environment (or pass --environment):\n\n${yaml}`);
    return;
  }
  const existed = await runtime.store.exists(opts.environment);
  const { stored, revision } = await runtime.store.write(opts.environment, yaml);
  ctx.out(`\nenvironment ${existed ? 'updated' : 'created'}: ${stored.name} (revision ${revision})\n`);
  if (existed) ctx.warn(`note: ${stored.name} was replaced by the aws-login environment; its earlier revision is kept (escd env version history ${stored.name})\n`);
}
