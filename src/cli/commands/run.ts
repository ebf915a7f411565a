// `escd run`: run a command with an environment's variables and files.
import type { Command } from 'commander';
import { EscdError } from '../../core/errors.js';

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
  let i = raw.findIndex((word, at) => path.every((name, k) => raw[at + k] === name || (k === path.length - 1 && cmd.aliases().includes(raw[at + k] ?? ''))));
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
      return (await import('../actions/run.js')).run(env, command, opts);
    });
}

export function register(program: Command): void {
  addRunCommand(program);
}
