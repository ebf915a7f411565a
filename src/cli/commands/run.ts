// `escd run`: run a command with an environment's variables and files.
import type { Command } from 'commander';

export function register(program: Command): void {
  // Options after the environment name belong to the command being run (see the action).
  program.enablePositionalOptions();
  program
    .command('run')
    .description("Run a command with an environment's environmentVariables and files")
    .argument('<env>', 'environment name, [org/]project/env')
    .argument('[command...]', 'the command and its arguments (not run through a shell)')
    .option('-i, --interactive', 'pass the output through unfiltered (for interactive programs)')
    .option('--endpoint', "give the command the daemon's credential endpoint (escd endpoint) instead of the AWS keys")
    .passThroughOptions()
    .addHelpText(
      'after',
      `
The command inherits this process's environment plus the environment's environmentVariables.
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
  $ escd run myproj/dev -- kubectl get pods      # files.KUBECONFIG: the kubeconfig's text
  $ escd run --endpoint myproj/dev -- python3 long_job.py`,
    )
    .action(async (env: string, command: string[], opts: { interactive?: boolean; endpoint?: boolean }) => (await import('../actions/run.js')).run(env, command, opts));
}
