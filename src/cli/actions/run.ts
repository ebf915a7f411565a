// The `escd run` action: evaluate, project, then hand over to runCommand.
import { cliDependencies } from '../context.js';
import { UserError } from '../../core/errors.js';
import { projectEnvironment, type ProjectedSection } from '../../esc/project.js';
import { evaluateOrFail, openRuntime, withDiagnostics } from '../evaluate.js';
import { RunError, runCommand } from '../../run/run-command.js';
import { secretStrings } from '../../run/secrets.js';
import type { EndpointGrantResult } from '../../protocol/wire.js';
import { endpointVariables, withoutAwsKeys } from '../../aws/container-env.js';

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
      throw new UserError(`unknown option '${word}' for escd run: after <env> only -i and -- are read (put -- before a command that starts with -) (see escd run --help)`, 2);
    } else break;
  }
  return { command: words.slice(i), interactive };
}

/** Name → text; names and values a process environment cannot hold are skipped with a warning. */
function texts(section: ProjectedSection, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, { value }] of Object.entries(section)) {
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

export async function run(env: string, words: readonly string[], options: { interactive?: boolean; endpoint?: boolean }): Promise<void> {
  const { command, interactive } = splitCommand(words, options.interactive ?? false);
  if (command.length === 0) throw new UserError('no command given: escd run <env> [-i] [--] <command> [args...]', 2);
  await withDiagnostics(async () => {
    const runtime = await openRuntime();
    const { tempFiles } = cliDependencies();
    const { values } = await evaluateOrFail(runtime, env, { mode: 'eval', showSecrets: true });
    const projection = projectEnvironment(values);
    const endpoint = options.endpoint ? await endpointGrant(env) : undefined;
    const variables = texts(projection.environmentVariables, 'environmentVariables');
    try {
      process.exitCode = await runCommand({
        command: command[0]!,
        args: command.slice(1),
        variables: endpoint ? { ...withoutAwsKeys(variables), ...endpoint.variables } : variables,
        files: texts(projection.files, 'files'),
        secrets: [...secretStrings(values, projection), ...(endpoint ? [endpoint.variables.AWS_CONTAINER_AUTHORIZATION_TOKEN!] : [])],
        interactive,
        ...(tempFiles ? { writeFiles: tempFiles } : {}),
        ...(endpoint ? { baseEnv: withoutAwsKeys(process.env) } : {}),
      });
    } catch (err) {
      if (err instanceof RunError) throw new UserError(err.message, 127);
      throw err;
    } finally {
      await endpoint?.revoke();
    }
  });
}
