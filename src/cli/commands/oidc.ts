// `escd oidc …`: the local OIDC issuer (publish its keys, print trust policies and tokens, rotate).
import { Command } from 'commander';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function register(program: Command): void {
  const oidc = program
    .command('oidc')
    .description("Manage escd's OIDC issuer: publish its keys, trust it from AWS, rotate its signing key")
    .addHelpText(
      'after',
      `
Examples:
  $ escd oidc publish --out ./site                # then host ./site at issuer.url over HTTPS
  $ escd oidc trust-policy --role-account 123456789012 --env myproj/dev --sub
  $ escd oidc token myproj/dev | cut -d. -f2 | base64 -d 2>/dev/null
  $ escd oidc rotate && escd oidc publish --out ./site`,
    );

  oidc
    .command('publish')
    .description('Write .well-known/openid-configuration and jwks.json for hosting at the issuer URL')
    .requiredOption('--out <dir>', 'directory to write (its root is served as the issuer URL)')
    .option('--json', 'print what was written as JSON')
    .addHelpText('after', '\nExample:\n  $ escd oidc publish --out ./site && aws s3 sync ./site s3://my-issuer-bucket/')
    .action(async (opts: { out: string; json?: boolean }) => (await import('../actions/oidc.js')).publish(opts));

  oidc
    .command('trust-policy')
    .description('Print the IAM role trust policy that lets this issuer assume a role')
    .requiredOption('--role-account <account>', 'the 12-digit AWS account of the role and the OIDC provider')
    .requiredOption('--env <env>', 'environment that will assume the role, [org/]project/env (its org sets the audience aws:<org>)')
    .option('--user <user>', 'restrict the subject to this user (pulumi.user.login); implies --sub')
    .option('--sub', 'also require the subject (currentEnvironment.name, and pulumi.user.login with --user)')
    .option('--partition <partition>', 'AWS partition', 'aws')
    .addHelpText('after', '\nExample:\n  $ escd oidc trust-policy --role-account 123456789012 --env myproj/dev --sub --user alice > trust.json')
    .action(async (opts: { roleAccount: string; env: string; user?: string; sub?: boolean; partition?: string }) =>
      (await import('../actions/oidc.js')).printTrustPolicy(opts),
    );

  oidc
    .command('token')
    .description("Print a fresh OIDC token as the environment's aws-login would send it (for debugging trust policies; it is a credential)")
    .argument('<env>', 'environment name, [org/]project/env')
    .option('--audience <aud>', "the aud claim (default: what aws-login sends, aws:<org> or config.yaml aws.audience)")
    .option('--subject-attribute <name>', "build sub from these attributes instead of the environment's subjectAttributes (repeatable)", collect)
    .option('--lifetime <seconds>', 'token lifetime (default issuer.tokenLifetimeSeconds)')
    .option('--json', 'print {"token": …}')
    .addHelpText(
      'after',
      "\nThe environment is evaluated (without signing or calling STS) to find its fn::open::aws-login oidc inputs,\nso the token has the same sub, current_env and root_env as the one STS would get.\n\nExamples:\n  $ escd oidc token myproj/dev\n  $ escd oidc token myproj/dev --subject-attribute currentEnvironment.name",
    )
    .action(async (env: string, opts: { audience?: string; subjectAttribute?: string[]; lifetime?: string; json?: boolean }) =>
      (await import('../actions/oidc.js')).printToken(env, opts),
    );

  oidc
    .command('token-file')
    .description('Have the daemon keep an issuer-signed token fresh in a file (Azure and Google workload identity federation)')
    .argument('[env]', 'environment name, [org/]project/env (the token names it in current_env)')
    .option('--audience <aud>', 'the aud claim the token exchange expects (e.g. api://AzureADTokenExchange)')
    .requiredOption('--path <file>', 'where to keep the token (written atomically, 0600)')
    .option('--remove', 'stop keeping the file at --path, and remove it')
    .option('--lifetime <seconds>', 'token lifetime, 300 to 3600 (default 3600); the file is rewritten at half of it')
    .option('--json', 'print {path, environment, expiresAt, nextRenewalAt}')
    .addHelpText(
      'after',
      `
The daemon writes the token now, rewrites it when half its life is gone (a reader always finds one with
at least half its life left), writes it again after a restart, and removes it when it stops.

Examples:
  $ escd oidc token-file myproj/dev --audience api://AzureADTokenExchange --path ~/.escd/azure.jwt
  $ escd oidc token-file --remove --path ~/.escd/azure.jwt
  $ escd oidc token-file myproj/dev --audience https://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/escd/providers/escd --path ~/.escd/gcp.jwt`,
    )
    .action(async (env: string | undefined, opts: { audience?: string; path: string; lifetime?: string; remove?: boolean; json?: boolean }) =>
      (await import('../actions/oidc-token-file.js')).keepTokenFile(env, opts),
    );

  oidc
    .command('thumbprint')
    .description("Print the SHA-1 thumbprint of the issuer host's top certificate, as IAM asks for")
    .option('--connect <host:port>', 'read the certificate from here instead of the issuer host')
    .option('--json', 'print as JSON')
    .addHelpText('after', '\nExample:\n  $ aws iam create-open-id-connect-provider --url "$ISSUER" --client-id-list aws:local --thumbprint-list "$(escd oidc thumbprint)"')
    .action(async (opts: { connect?: string; json?: boolean }) => (await import('../actions/oidc.js')).printThumbprint(opts));

  oidc
    .command('rotate')
    .description('Make a new signing key active; older keys stay published until their tokens have expired')
    .option('--prepare', 'create the next key now, published but not signing until the next rotate (no gap)')
    .option('--json', 'print the key as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ escd oidc rotate && escd oidc publish --out ./site        # quick: publish right away
  $ escd oidc rotate --prepare && escd oidc publish --out ./site
  $ escd oidc rotate                                           # later: the prepared key starts signing`,
    )
    .action(async (opts: { json?: boolean; prepare?: boolean }) => (await import('../actions/oidc.js')).rotate(opts));

  oidc
    .command('keys')
    .description('List the signing keys (kid, algorithm, dates, which one is active)')
    .option('--json', 'print as JSON')
    .addHelpText('after', '\nExample:\n  $ escd oidc keys --json')
    .action(async (opts: { json?: boolean }) => (await import('../actions/oidc.js')).listKeys(opts));
}
