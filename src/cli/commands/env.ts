// `escd env …`: manage environment definitions in the local store.
import type { Command } from 'commander';
import { register as registerHistory } from './env-history.js';
import { addOpenCommand } from './open.js';
import { addRunCommand } from './run.js';
import * as sync from './env-sync.js';

const actions = () => import('../actions/env.js');
const guarded = async (run: () => Promise<void>): Promise<void> => (await import('../evaluate.js')).withDiagnostics(run);

export function register(program: Command): void {
  const env = program
    .command('env')
    .description('Manage environment definitions (YAML files under the environments directory)')
    .addHelpText(
      'after',
      `
Environments are named [org/]project/env[@version] and live in <environments dir>/<project>/<env>.yaml
(ESCD_HOME or XDG_CONFIG_HOME/escd/environments); another org's under .orgs/<org>/. A bare name means
default/<name>. Every write is a new revision: env@3 is revision 3, env@stable a revision tag.

Examples:
  $ escd env init myproj/dev
  $ escd env set myproj/dev aws.region us-west-2
  $ escd env set myproj/dev db.password 'hunter22' --secret
  $ escd env get myproj/dev
  $ escd env edit myproj/dev
  $ escd env ls`,
    );

  env
    .command('ls')
    .alias('list')
    .description('List environments')
    .option('--json', 'print name, org, file and modification time as JSON')
    .addHelpText('after', '\nExample:\n  $ escd env ls --json | jq -r \'.[].file\'')
    .action(async (opts: { json?: boolean }) => (await actions()).list(opts));

  env
    .command('get')
    .description("Print an environment's value and definition, or those of one property")
    .argument('<env>', 'environment name, [org/]project/env')
    .argument('[path]', 'property path under values (or imports[N]), e.g. a.b[0]["key"]')
    .option('--value <format>', 'print only the value: json, string, detailed, dotenv or shell')
    .option('--definition', 'print only the definition (YAML)')
    .option('--show-secrets', 'show secret values and fn::secret definitions in plaintext')
    .addHelpText(
      'after',
      `
The value is checked, not opened: fn::open values show [unknown] and no provider is called.

Examples:
  $ escd env get myproj/dev
  $ escd env get myproj/dev aws.region --value string
  $ escd env get myproj/dev --value dotenv
  $ escd env get myproj/dev --definition --show-secrets`,
    )
    .action(async (name: string, path: string | undefined, opts: { value?: string; definition?: boolean; showSecrets?: boolean }) =>
      (await import('../actions/env-get.js')).get(name, path, opts),
    );

  const write = () => import('../actions/env-write.js');

  env
    .command('init')
    .description('Create an environment: an empty revision 1, then the definition from -f as revision 2')
    .argument('<env>', 'environment name, [org/]project/env')
    .option('-f, --file <file>', 'the initial definition (YAML); - reads standard input')
    .addHelpText(
      'after',
      `
Plaintext fn::secret values are stored encrypted. A definition with errors is refused (the environment
stays, empty).

Examples:
  $ escd env init myproj/dev
  $ escd env init myproj/prod -f prod.yaml
  $ cat dev.yaml | escd env init myproj/dev -f -`,
    )
    .action(async (name: string, opts: { file?: string }) => (await write()).init(name, opts));

  env
    .command('edit')
    .description('Edit a definition in an editor (or replace it with -f); a valid one becomes the next revision')
    .argument('<env>', 'environment name, [org/]project/env (no version)')
    .option('--editor <command>', 'the editor command (default: $VISUAL, $EDITOR, vi); `code` gets -w')
    .option('-f, --file <file>', 'the new definition; - reads standard input')
    .option('--show-secrets', 'edit fn::secret values as plaintext (they are encrypted again on save)')
    .addHelpText(
      'after',
      `
A definition with errors is not saved: the errors are shown, ENTER edits again, end of input gives up.
An empty definition aborts the edit. Any plaintext fn::secret in the saved definition is stored encrypted.

Examples:
  $ escd env edit myproj/dev
  $ escd env edit myproj/dev --editor "code"
  $ escd env edit myproj/dev -f dev.yaml
  $ escd env edit myproj/dev --show-secrets`,
    )
    .action(async (name: string, opts: { editor?: string; file?: string; showSecrets?: boolean }) => (await write()).edit(name, opts));

  env
    .command('set')
    .description('Set a value within an environment (a new revision), keeping comments and order')
    .argument('[args...]', '<env> <path> [<value>]: path under values (or imports[N]), e.g. a.b[0]["key"]; the value is read as YAML (with --secret and no value: from standard input, hidden on a terminal)')
    .option('--secret', 'store the value encrypted as fn::secret')
    .option('--plaintext', 'store a value that looks like a secret in plaintext anyway')
    .option('--string', 'take the value literally as a string instead of reading it as YAML')
    .option('-f, --file <file>', 'read the value from a file; - reads standard input')
    .addHelpText(
      'after',
      `
A string under a key such as password, token or secret that looks random is refused unless --secret
or --plaintext says what it is.

Examples:
  $ escd env set myproj/dev aws.region us-west-2
  $ escd env set myproj/dev ports '[80, 443]'
  $ escd env set myproj/dev build.version 1.10 --string
  $ escd env set myproj/dev environmentVariables.AWS_REGION '\${aws.region}'
  $ escd env set myproj/dev api.token --secret          # prompts; the value never appears in argv
  $ escd env set myproj/dev api.token --secret -f token.txt
  $ escd env set myproj/dev imports[0] myproj/base`,
    )
    .action(async (args: string[], opts: { secret?: boolean; plaintext?: boolean; string?: boolean; file?: string }) => (await write()).set(args, opts));

  env
    .command('rotate')
    .description('Rotate the secrets of an environment\'s fn::rotate calls and save their new state as a new revision')
    .argument('<env>', 'environment name, [org/]project/env')
    .argument('[path...]', 'property paths of the fn::rotate calls to rotate (all when none), e.g. db.creds')
    .option('--show-secrets', 'print the rotated secrets in the clear instead of [secret]')
    .addHelpText('after', '\nExamples:\n  $ escd env rotate myproj/dev\n  $ escd env rotate myproj/dev aws.iam')
    .action(async (name: string, paths: string[], opts: { showSecrets?: boolean }) => guarded(async () => (await actions()).rotate(name, paths, opts)));

  env
    .command('rm')
    .alias('remove')
    .description('Remove an environment, or with a path a value within it (a new revision)')
    .argument('[args...]', '<env> [<path>]')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText('after', '\nExamples:\n  $ escd env rm myproj/dev db.password\n  $ escd env rm myproj/old --yes')
    .action(async (args: string[], opts: { yes?: boolean }) => (await write()).remove(args, opts));

  registerHistory(env);

  addOpenCommand(env);
  addRunCommand(env);
  sync.register(env);
}
