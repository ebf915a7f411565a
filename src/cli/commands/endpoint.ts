// `escd endpoint`: grant (or revoke) access to an environment's AWS credentials through the daemon's
// loopback container-credentials endpoint, so AWS SDKs get them without starting a process.
import type { Command } from 'commander';
import { EscdError } from '../../core/errors.js';

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
    .action(async (env: string | undefined, options: EndpointOptions) => endpointAction(env, options));
}

// The `escd endpoint` action: ask the daemon for a credential-endpoint grant (or to revoke some) and
// print the two variables an AWS SDK reads.
type Format = 'shell' | 'dotenv' | 'json';
const FORMATS: readonly Format[] = ['shell', 'dotenv', 'json'];

export interface EndpointOptions {
  format?: string;
  ttl?: string;
  revoke?: string | boolean;
  all?: boolean;
}

async function daemon() {
  const [{ resolvePaths }, control] = await Promise.all([import('../../config/paths.js'), import('../../../daemon/control.js')]);
  const paths = resolvePaths();
  const ctx = { socket: paths.socket, logFile: paths.daemonLog, env: process.env, out: (text: string) => process.stdout.write(text) };
  return { ask: control.ask, ctx };
}

/** `--ttl` as whole seconds (Go duration syntax, like aws-login's duration). */
export async function ttlSeconds(text: string | undefined): Promise<number | undefined> {
  if (text === undefined) return undefined;
  const { parseGoDuration } = await import('../../providers/aws-login/duration.js');
  const ms = parseGoDuration(text);
  if (ms === undefined || ms < 60_000 || ms > 720 * 3_600_000) throw new EscdError('usage', `--ttl must be a duration from 1m to 720h, e.g. 8h (got ${JSON.stringify(text.slice(0, 40))})`);
  return Math.round(ms / 1000);
}


async function grant(env: string, options: EndpointOptions, format: Format): Promise<void> {
  const [{ renderEnviron }, { endpointVariables }, { ask, ctx }, ttl] = await Promise.all([
    import('../format/environ.js'),
    import('../../aws/container-env.js'),
    daemon(),
    ttlSeconds(options.ttl),
  ]);
  const result = (await ask(ctx, 'endpoint.grant', { env, ...(ttl !== undefined ? { ttlSeconds: ttl } : {}) })) as import('../../protocol/wire.js').EndpointGrantResult;
  const variables = endpointVariables(result);
  if (format === 'json') {
    process.stdout.write(JSON.stringify({ id: result.id, environment: result.environment, expiresAt: result.expiresAt, variables }, null, 2) + '\n');
    return;
  }
  const section = Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, { value, secret: false }]));
  process.stdout.write(renderEnviron(section, format, { redact: false }).text);
  process.stderr.write(`escd: grant ${result.id} for ${result.environment} until ${result.expiresAt} (revoke: escd endpoint --revoke ${result.id})\n`);
}

async function revoke(env: string | undefined, options: EndpointOptions, format: Format): Promise<void> {
  const which = typeof options.revoke === 'string' ? options.revoke : undefined;
  const given = [which, env, options.all || undefined].filter((v) => v !== undefined).length;
  if (given !== 1) throw new EscdError('usage', 'say which grants to revoke: --revoke <grant id or token>, <env> --revoke, or --revoke --all');
  const params = which !== undefined ? (which.startsWith('escd_') ? { token: which } : { id: which }) : env !== undefined ? { env } : { all: true };
  const { ask, ctx } = await daemon();
  const { revoked } = (await ask(ctx, 'endpoint.revoke', params)) as { revoked: number };
  if (format === 'json') process.stdout.write(JSON.stringify({ revoked }) + '\n');
  else process.stdout.write(`revoked ${revoked} grant${revoked === 1 ? '' : 's'}\n`);
  if (which !== undefined && revoked === 0) throw new EscdError('not_found', `no live grant ${which.startsWith('escd_') ? 'with that token' : `'${which}'`}`);
}

export async function endpointAction(env: string | undefined, options: EndpointOptions): Promise<void> {
  const format = (options.format ?? 'shell') as Format;
  if (!FORMATS.includes(format)) throw new EscdError('usage', `--format must be one of ${FORMATS.join(', ')}`);
  if (options.revoke !== undefined || options.all) return revoke(env, options, format);
  if (env === undefined) throw new EscdError('usage', 'missing environment name: escd endpoint <env>');
  return grant(env, options, format);
}
