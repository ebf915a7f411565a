// `escd open`: evaluate an environment and print its values.
import type { Command } from 'commander';

/** Adds `open` to `parent` (`escd open`, and `escd env open` as the reference has it). */
export function addOpenCommand(parent: Command): void {
  parent
    .command('open')
    .description('Evaluate an environment and print its values, one property, or its environment variables')
    .argument('<env>', 'environment name, [org/]project/env')
    .argument('[path]', 'property path into the values, e.g. aws.login or a.b[0]["key"]')
    .option('-f, --format <format>', 'json, yaml, detailed, dotenv, shell or string (default: json)')
    .option('--json', 'the same as --format json')
    .option('--show-secrets', 'accepted for compatibility: open always shows secret values (it is an explicit open; `escd env get` masks them)')
    .option('--no-daemon', 'evaluate in this process instead of asking the daemon (also ESCD_NO_DAEMON=1): nothing is cached')
    .addHelpText(
      'after',
      `
The daemon evaluates (starting it if none runs) and serves the answer from its cache while the
environment's credentials are valid; every open is a line in the audit log (\`revealed\` with
--show-secrets). Diagnostics are printed as file:line:column: severity: summary; an error means no
values and a non-zero exit status.

Examples:
  $ escd open myproj/dev
  $ escd open myproj/dev --json | jq -r .aws.region
  $ escd open myproj/dev aws.login.accessKeyId --format string
  $ escd open myproj/dev --format yaml
  $ eval "$(escd open myproj/dev --format shell)"
  $ escd open myproj/dev --format dotenv > .env`,
    )
    .action(async (env: string, path: string | undefined, opts: { format?: string; json?: boolean; showSecrets?: boolean; daemon?: boolean }) =>
      (await import('../actions/open.js')).open(env, path, opts),
    );
}

export function register(program: Command): void {
  addOpenCommand(program);
}
