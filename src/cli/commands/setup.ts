// `escd setup aws|kube`: point the AWS CLI/SDKs and kubectl at the shim.
import type { Command } from 'commander';
import { EscdError } from '../../core/errors.js';

async function context() {
  const actions = await import('../actions/setup.js');
  const ctx = { env: process.env, out: (t: string) => process.stdout.write(t), warn: (t: string) => process.stderr.write(t) };
  return { actions, ctx };
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
      const { actions, ctx } = await context();
      if (opts.roleName !== undefined) {
        if (env !== undefined) throw new EscdError('usage', '--role-name sets up the AWS side and takes no <env> argument (use --environment to write one)');
        await actions.setupAwsRole({ roleName: opts.roleName, ...(opts.policy ? { policy: opts.policy } : {}), ...(opts.environment ? { environment: opts.environment } : {}) }, ctx);
        return;
      }
      if (opts.policy !== undefined || opts.environment !== undefined) throw new EscdError('usage', '--policy and --environment go with --role-name');
      if (env === undefined) throw new EscdError('usage', 'missing the environment: escd setup aws <env> (or --role-name NAME for the AWS side)');
      await actions.setupAws(env, opts, ctx);
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
      const { actions, ctx } = await context();
      await actions.setupKube(env, opts, ctx);
    });
}
