// `escd env …`: manage environment definitions in the local store.
import type { Command } from 'commander';

const actions = () => import('../actions/env.js');
const guarded = async (run: () => Promise<void>): Promise<void> => (await import('../evaluate.js')).withDiagnostics(run);

export function register(program: Command): void {
  const env = program
    .command('env')
    .description('Manage environment definitions (YAML files under the environments directory)')
    .addHelpText(
      'after',
      `
Environments are named [org/]project/env and live in <environments dir>/<project>/<env>.yaml
(ESCD_HOME or XDG_CONFIG_HOME/escd/environments). A bare name means default/<name>.

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
    .description("Print an environment's definition (the YAML as stored)")
    .argument('<env>', 'environment name, [org/]project/env')
    .option('--json', 'print {name, org, file, modified, definition} as JSON')
    .option('--show-secrets', 'show fn::secret ciphertexts decrypted (for display only; the file is unchanged)')
    .addHelpText('after', '\nExamples:\n  $ escd env get myproj/dev\n  $ escd env get myproj/dev --show-secrets')
    .action(async (name: string, opts: { json?: boolean; showSecrets?: boolean }) => (await actions()).get(name, opts));

  env
    .command('init')
    .description('Create an environment (empty, or from a file; plaintext fn::secret values are stored encrypted)')
    .argument('<env>', 'environment name, [org/]project/env')
    .option('-f, --file <file>', 'initial definition (YAML); - reads standard input')
    .addHelpText('after', '\nExamples:\n  $ escd env init myproj/dev\n  $ escd env init myproj/prod -f prod.yaml\n  $ cat dev.yaml | escd env init myproj/dev -f -')
    .action(async (name: string, opts: { file?: string }) => guarded(async () => (await actions()).init(name, opts)));

  env
    .command('edit')
    .description('Edit a definition in $VISUAL or $EDITOR; it is saved only if it is valid')
    .argument('<env>', 'environment name, [org/]project/env')
    .option('--show-secrets', 'edit fn::secret values as plaintext (they are encrypted again on save)')
    .addHelpText(
      'after',
      `
A YAML syntax or load error keeps the stored definition unchanged and says where your edit was left.
Any plaintext fn::secret in the saved definition is stored encrypted.

Examples:
  $ EDITOR="code --wait" escd env edit myproj/dev
  $ escd env edit myproj/dev --show-secrets`,
    )
    .action(async (name: string, opts: { showSecrets?: boolean }) => guarded(async () => (await actions()).edit(name, opts)));

  env
    .command('set')
    .description('Set a value in a definition, keeping its comments and order')
    .argument('<env>', 'environment name, [org/]project/env')
    .argument('<path>', 'property path under values (or imports[N]), e.g. a.b[0]["key"]')
    .argument('[value]', 'the value, read as YAML (a number, true, [a, b], {k: v}, ...)')
    .option('--secret', 'store the value encrypted as fn::secret (sealed with the key in the key store)')
    .option('--string', 'take the value literally as a string instead of reading it as YAML')
    .option('-f, --file <file>', 'read the value from a file; - reads standard input')
    .addHelpText(
      'after',
      `
Examples:
  $ escd env set myproj/dev aws.region us-west-2
  $ escd env set myproj/dev ports '[80, 443]'
  $ escd env set myproj/dev build.version 1.10 --string
  $ escd env set myproj/dev environmentVariables.AWS_REGION '\${aws.region}'
  $ escd env set myproj/dev api.token --secret --file token.txt
  $ escd env set myproj/dev imports[0] myproj/base`,
    )
    .action(async (name: string, path: string, value: string | undefined, opts: { secret?: boolean; string?: boolean; file?: string }) =>
      guarded(async () => (await actions()).set(name, path, value, opts)),
    );

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
    .description('Delete an environment')
    .argument('<env>', 'environment name, [org/]project/env')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText('after', '\nExample:\n  $ escd env rm myproj/old --yes')
    .action(async (name: string, opts: { yes?: boolean }) => (await actions()).remove(name, opts));
}
