// `escd endpoint`: grant (or revoke) access to an environment's AWS credentials through the daemon's
// loopback container-credentials endpoint, so AWS SDKs get them without starting a process.
import type { Command } from 'commander';
import type { EndpointOptions } from '../actions/endpoint.js';

export function register(program: Command): void {
  program
    .command('endpoint')
    .description("Serve an environment's AWS credentials to SDKs through the daemon's loopback endpoint (no process per call)")
    .argument('[env]', 'environment name, [org/]project/env')
    .option('--format <format>', 'shell, dotenv or json', 'shell')
    .option('--ttl <duration>', 'how long the grant lives, 1m to 720h (default 12h)')
    .option('--revoke [grant]', 'revoke a grant (its id, or the token itself); with <env>, all of its grants')
    .option('--all', 'with --revoke: every grant')
    .addHelpText(
      'after',
      `
Prints AWS_CONTAINER_CREDENTIALS_FULL_URI (http://127.0.0.1:<port>/v1/aws/<env>) and
AWS_CONTAINER_AUTHORIZATION_TOKEN: every AWS SDK and the AWS CLI then ask the daemon for credentials
over HTTP instead of running credential_process. The token is a random 32-byte grant bound to this
environment, kept only by the daemon (a restart revokes it); \`escd status\` lists the live grants.
The endpoint listens on 127.0.0.1 only and refuses any other Host header.

Examples:
  $ eval "$(escd endpoint myproj/dev)" && aws sts get-caller-identity
  $ escd endpoint myproj/dev --format dotenv --ttl 8h > .env
  $ escd endpoint --revoke 1f2e3d4c
  $ escd endpoint myproj/dev --revoke
  $ escd endpoint --revoke --all
  $ escd run --endpoint myproj/dev -- python3 app.py   # the child gets the endpoint, not the keys`,
    )
    .action(async (env: string | undefined, options: EndpointOptions) => (await import('../actions/endpoint.js')).endpointAction(env, options));
}
