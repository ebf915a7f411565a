// `escd run`: run a command with an environment's variables and files.
import type { Command } from 'commander';
import { EscdError } from '../../core/errors.js';
import { cliDependencies } from '../context.js';
import { askEngine } from '../engine.js';
import { withProgress } from '../terminal.js';
import { MAX_GRANT_TTL_SECONDS, type EndpointGrantResult, type EnvRunResult } from '../../protocol/wire.js';
import { endpointVariables, withoutAwsKeys } from '../../aws/container-env.js';

/**
 * True when `--` came before any operand (`escd run -- cmd`): commander drops that `--`, so `cmd`
 * would be taken for the environment; the reference reads it as no environment (ArgsLenAtDash 0).
 */
function dashBeforeEnvironment(cmd: Command): boolean {
  const path: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) path.unshift(c.name());
  let root: Command = cmd;
  while (root.parent) root = root.parent;
  // commander keeps the words it parsed as rawArgs (not in its typings).
  const raw: readonly string[] = (root as Command & { rawArgs?: string[] }).rawArgs ?? [];
  // The words after the command's own name, past escd's options before the environment.
  let i = raw.findIndex((_word, at) => path.every((name, k) => raw[at + k] === name || (k === path.length - 1 && cmd.aliases().includes(raw[at + k] ?? ''))));
  if (i < 0) return false;
  for (i += path.length; i < raw.length && /^-/.test(raw[i]!) && raw[i] !== '--'; i++);
  return raw[i] === '--';
}

/** Adds `run` to `parent` (`escd run`, and `escd env run` as the reference has it). */
export function addRunCommand(parent: Command): void {
  // Options after the environment name belong to the command being run (see the action).
  parent.enablePositionalOptions();
  parent
    .command('run')
    .description("Run a command with an environment's environmentVariables and files")
    .argument('[env]', 'environment name, [org/]project/env')
    .argument('[command...]', 'the command and its arguments (not run through a shell)')
    .option('-i, --interactive', 'pass the output through unfiltered (for interactive programs)')
    .option('--endpoint', "give the command the daemon's credential endpoint (escd endpoint) instead of the AWS keys")
    .option('--no-daemon', 'evaluate in this process instead of asking the daemon (also ESCD_NO_DAEMON=1): nothing is cached')
    .passThroughOptions()
    .addHelpText(
      'after',
      `
The daemon evaluates the environment (starting it if none runs) and serves it from its cache while its
credentials are valid: repeated runs make no new STS call. Each run is a line in the audit log.
An argument holding \${path} gets that property's value (escd run env -- echo '\${aws.region}').
The command inherits the caller's environment plus the environment's environmentVariables.
Each entry of files is written to a file (0600) whose path goes into the named variable, in a
directory of this run inside your private run-files directory ($XDG_RUNTIME_DIR/escd/files, else
~/.local/state/escd/run/files; 0700, refused if anyone else owns or can enter it); the run removes
its directory when the command ends. Without -i, every secret value (3
characters or longer) in the command's stdout and stderr is replaced by [secret]. SIGTERM and
SIGHUP are forwarded to the command, and so are SIGINT and SIGQUIT unless escd runs in a
terminal (there Ctrl-C already reaches the command, once). escd exits with the command's status
(128+N when it was killed by signal N). Right after <env>, -i and -- are read by escd; everything
from the command on is passed to it unchanged.

With --endpoint (before <env>), the command gets AWS_CONTAINER_CREDENTIALS_FULL_URI and
AWS_CONTAINER_AUTHORIZATION_TOKEN, a grant revoked when it ends, instead of AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (which it does not inherit either): its AWS SDK asks
the daemon, which renews the session, and the keys never sit in its environment.

Examples:
  $ escd run myproj/dev -- aws sts get-caller-identity
  $ escd run myproj/dev -i -- psql
  $ escd run myproj/dev -- sh -c 'echo "$AWS_REGION"'
  $ escd run myproj/dev -- echo '\${aws.region}'
  $ escd run myproj/dev -- kubectl get pods      # files.KUBECONFIG: the kubeconfig's text
  $ escd run --endpoint myproj/dev -- python3 long_job.py`,
    )
    .action(async (env: string | undefined, command: string[], opts: { interactive?: boolean; daemon?: boolean; endpoint?: boolean }, cmd: Command) => {
      if (env === undefined || dashBeforeEnvironment(cmd)) throw new EscdError('usage', 'no environment specified');
      return run(env, command, opts);
    });
}

export function register(program: Command): void {
  addRunCommand(program);
}

// The `escd run` action: ask the engine for the environment's variables, files and secrets (served
// from the daemon's cache), then hand over to runCommand.
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
  const [{ resolvePaths }, control] = await Promise.all([import('../../config/paths.js'), import('../../../daemon/control.js')]);
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
  // Loaded while the daemon works on the request (setImmediate: once the request is on its way), not
  // after its answer: run-command brings node:child_process, about 1 ms of a thin client's time.
  const runner = new Promise<typeof import('../../run/run-command.js')>((resolve, reject) => setImmediate(() => import('../../run/run-command.js').then(resolve, reject)));
  runner.catch(() => {}); // reported where it is awaited
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
  const { runCommand } = await runner;
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
