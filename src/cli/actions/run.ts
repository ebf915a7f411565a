// The `escd run` action: ask the engine for the environment's variables, files and secrets (served
// from the daemon's cache), then hand over to runCommand.
import { cliDependencies } from '../context.js';
import { askEngine } from '../engine.js';
import { withProgress } from '../terminal.js';
import type { EndpointGrantResult, EnvRunResult } from '../../protocol/wire.js';
import { endpointVariables, withoutAwsKeys } from '../../aws/container-env.js';
import { EscdError } from '../../core/errors.js';

/** Reads escd's own flags between the environment name and the command (`-i`, `--`). */
export function splitCommand(words: readonly string[], interactive: boolean): { command: string[]; interactive: boolean } {
  let i = 0;
  for (; i < words.length; i++) {
    const word = words[i]!;
    if (word === '-i' || word === '--interactive') interactive = true;
    else if (word === '--') {
      i++;
      break;
    } else if (word.startsWith('-') && word.length > 1) {
      // Not a command (`escd run env --bogus -- true`): a mistyped escd option, said as one.
      throw new EscdError('usage', `unknown option '${word}' for escd run: after <env> only -i and -- are read (put -- before a command that starts with -) (see escd run --help)`);
    } else break;
  }
  return { command: words.slice(i), interactive };
}

/** Name → text; names and values a process environment cannot hold are skipped with a warning. */
function texts(section: Readonly<Record<string, string>>, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(section)) {
    if (name === '' || name.includes('=') || name.includes('\0') || (what === 'environmentVariables' && value.includes('\0'))) {
      process.stderr.write(`escd: skipped ${what}.${name}: a process environment cannot hold it\n`);
      continue;
    }
    Object.defineProperty(out, name, { value, enumerable: true });
  }
  return out;
}

/** A grant for the whole life of the command (revoked when it ends), and its two variables. */
async function endpointGrant(env: string): Promise<{ variables: Record<string, string>; revoke: () => Promise<void> }> {
  const [{ resolvePaths }, control, { MAX_GRANT_TTL_SECONDS }] = await Promise.all([
    import('../../config/paths.js'),
    import('../../../daemon/control.js'),
    import('../../../daemon/validate.js'),
  ]);
  const paths = resolvePaths();
  const ctx = { socket: paths.socket, logFile: paths.daemonLog, env: process.env, out: () => {} };
  const grant = (await control.ask(ctx, 'endpoint.grant', { env, ttlSeconds: MAX_GRANT_TTL_SECONDS })) as EndpointGrantResult;
  return {
    variables: endpointVariables(grant),
    revoke: async () => {
      await control.ask(ctx, 'endpoint.revoke', { id: grant.id }).catch(() => {});
    },
  };
}

export async function run(env: string, words: readonly string[], options: { interactive?: boolean; daemon?: boolean; endpoint?: boolean }): Promise<void> {
  // The caller's environment as it was: whatever this process sets for itself (e.g. an SDK setting in
  // --no-daemon mode) must not reach the command.
  const callerEnv = { ...process.env };
  const { command, interactive } = splitCommand(words, options.interactive ?? false);
  if (command.length === 0) throw new EscdError('usage', 'no command given: escd run <env> [-i] [--] <command> [args...]');
  const answer = (await withProgress(`opening ${env}…`, () =>
    askEngine('env.run', { env, ...(interactive ? { interactive: true } : {}) }, { noDaemon: options.daemon === false }),
  )) as EnvRunResult;
  for (const line of answer.warnings) process.stderr.write(line + '\n');
  let args = command.slice(1);
  if (args.some((arg) => arg.includes('${'))) {
    const [{ interpolateArgs, ArgumentError }, { decodeValue }] = await Promise.all([import('../../run/interpolate-args.js'), import('../../esc/wire-value.js')]);
    try {
      args = interpolateArgs(args, answer.values === undefined ? undefined : decodeValue(answer.values));
    } catch (err) {
      if (err instanceof ArgumentError) throw new EscdError('usage', err.message);
      throw err;
    }
  }
  const { runCommand } = await import('../../run/run-command.js');
  const { tempFiles } = cliDependencies();
  const endpoint = options.endpoint ? await endpointGrant(env) : undefined;
  const variables = texts(answer.variables, 'environmentVariables');
  try {
    process.exitCode = await runCommand({
      command: command[0]!,
      args,
      variables: endpoint ? { ...withoutAwsKeys(variables), ...endpoint.variables } : variables,
      files: texts(answer.files, 'files'),
      secrets: [...answer.secrets, ...(endpoint ? [endpoint.variables.AWS_CONTAINER_AUTHORIZATION_TOKEN!] : [])],
      interactive,
      baseEnv: endpoint ? withoutAwsKeys(callerEnv) : callerEnv,
      ...(tempFiles ? { writeFiles: tempFiles } : {}),
    });
  } finally {
    await endpoint?.revoke();
  }
}
