// `escd env version …`, `escd env tag …`, `escd env clone`: revisions, revision tags, environment
// tags and copies, with the reference CLI's arguments, flags and examples.
import type { Command } from 'commander';

const actions = () => import('../actions/env-history.js');
const UTC = 'display times in UTC';

export function register(env: Command): void {
  const version = env
    .command('version')
    .description('Manage versions: describe a revision or a tagged version')
    .argument('<env>', '[org/][project/]env@version')
    .option('--utc', UTC)
    .addHelpText(
      'after',
      `
A version is a revision number, \`latest\` or a revision tag. Subcommands show the revision history,
retract a revision, roll back to one, and manage tagged versions.

Examples:
  $ escd env version myproj/dev@3
  $ escd env version myproj/dev@stable
  $ escd env version history myproj/dev
  $ escd env version tag myproj/dev@stable 3
  $ escd env version rollback myproj/dev@2`,
    )
    .action(async (name: string, opts: { utc?: boolean }) => (await actions()).show(name, opts));

  version
    .command('history')
    .description('Show revision history, newest first (from the given version if one is given)')
    .argument('<env>', '[org/][project/]env[@version]')
    .option('--utc', UTC)
    .option('--pager <command>', 'accepted for compatibility; escd does not page')
    .addHelpText('after', '\nExample:\n  $ escd env version history myproj/dev@stable --utc')
    .action(async (name: string, opts: { utc?: boolean }) => (await actions()).history(name, opts));

  version
    .command('retract')
    .description('Retract a revision: it stays readable, and its tags move to the replacement')
    .argument('<env>', '[org/][project/]env@version')
    .option('--replace-with <version>', 'the version that replaces it (default: the newest earlier revision not retracted)')
    .option('--reason <text>', 'why it was retracted')
    .addHelpText('after', '\nExample:\n  $ escd env version retract myproj/dev@4 --replace-with @3 --reason "plaintext secret"')
    .action(async (name: string, opts: { replaceWith?: string; reason?: string }) => (await actions()).retract(name, opts));

  version
    .command('rollback')
    .description("Roll back to a version: its definition becomes a new revision")
    .argument('<env>', '[org/][project/]env@version')
    .addHelpText('after', '\nExample:\n  $ escd env version rollback myproj/dev@stable')
    .action(async (name: string) => (await import('../actions/env-write.js')).rollback(name));

  const versionTag = version
    .command('tag')
    .description('Create or move a tagged version (to the given version, else to latest)')
    .argument('[args...]', '[org/][project/]env@tag [@version]')
    .option('--utc', UTC)
    .addHelpText('after', '\nExamples:\n  $ escd env version tag myproj/dev@stable\n  $ escd env version tag myproj/dev@stable @3')
    .action(async (args: string[], opts: { utc?: boolean }) => (await actions()).tagVersion(args, opts));

  versionTag
    .command('ls')
    .description("List an environment's tagged versions")
    .argument('<env>', '[org/][project/]env')
    .option('--utc', UTC)
    .option('-o, --output <format>', 'output format: default or json')
    .option('--pager <command>', 'accepted for compatibility; escd does not page')
    .addHelpText('after', '\nExample:\n  $ escd env version tag ls myproj/dev')
    .action(async (name: string, opts: { utc?: boolean; output?: string }) => (await actions()).tagVersionList(name, opts));

  versionTag
    .command('rm')
    .description('Remove a tagged version')
    .argument('<env>', '[org/][project/]env@tag')
    .addHelpText('after', '\nExample:\n  $ escd env version tag rm myproj/dev@stable')
    .action(async (name: string) => (await actions()).tagVersionRemove(name));

  const tag = env
    .command('tag')
    .description('Manage environment tags: create or update the tag <name> with <value>')
    .argument('[args...]', '[org/][project/]env <name> <value>')
    .option('--utc', UTC)
    .addHelpText('after', '\nExamples:\n  $ escd env tag myproj/dev owner platform-team\n  $ escd env tag ls myproj/dev\n  $ escd env tag rm myproj/dev owner')
    .action(async (args: string[], opts: { utc?: boolean }) => (await actions()).tagSet(args, opts));

  tag
    .command('get')
    .description('Show an environment tag')
    .argument('<env>')
    .argument('<name>')
    .option('--utc', UTC)
    .addHelpText('after', '\nExample:\n  $ escd env tag get myproj/dev owner')
    .action(async (name: string, t: string, opts: { utc?: boolean }) => (await actions()).tagGet(name, t, opts));

  tag
    .command('ls')
    .description("List an environment's tags")
    .argument('<env>')
    .option('--utc', UTC)
    .option('--pager <command>', 'accepted for compatibility; escd does not page')
    .addHelpText('after', '\nExample:\n  $ escd env tag ls myproj/dev --utc')
    .action(async (name: string, opts: { utc?: boolean }) => (await actions()).tagList(name, opts));

  tag
    .command('mv')
    .description('Rename an environment tag')
    .argument('<env>')
    .argument('<name>')
    .argument('<new-name>')
    .option('--utc', UTC)
    .addHelpText('after', '\nExample:\n  $ escd env tag mv myproj/dev owner team')
    .action(async (name: string, t: string, n: string, opts: { utc?: boolean }) => (await actions()).tagMove(name, t, n, opts));

  tag
    .command('rm')
    .description('Remove an environment tag')
    .argument('<env>')
    .argument('<name>')
    .addHelpText('after', '\nExample:\n  $ escd env tag rm myproj/dev owner')
    .action(async (name: string, t: string) => (await actions()).tagRemove(name, t));

  env
    .command('diff')
    .description("Show the changes between two versions of an environment: values and definitions")
    .argument('<env>', '[org/][project/]env[@version]')
    .argument('[other]', '[[org/][project/]env][@version] (default: the latest revision of the first)')
    .option('--format <format>', 'default (values and definitions), or only the values as json, string, dotenv or shell')
    .addHelpText(
      'after',
      `
Examples:
  $ escd env diff myproj/dev@stable
  $ escd env diff myproj/dev@3 @5
  $ escd env diff myproj/dev myproj/prod --format dotenv`,
    )
    .action(async (first: string, second: string | undefined, opts: { format?: string }) =>
      (await import('../actions/env-diff.js')).diff(second === undefined ? [first] : [first, second], opts),
    );

  env
    .command('clone')
    .description('Clone an environment into a new one (same org; same project unless given)')
    .argument('<src>', '[org/]project/env')
    .argument('<dest>', '[project/]env')
    .option('--preserve-history', 'copy every revision (default: only the latest, as revision 1)')
    .option('--preserve-access', 'accepted for compatibility (a local store has no team access)')
    .option('--preserve-env-tags', 'copy the environment tags')
    .option('--preserve-rev-tags', 'copy the revision tags')
    .addHelpText('after', '\nExamples:\n  $ escd env clone myproj/dev staging\n  $ escd env clone myproj/dev other/dev --preserve-history --preserve-rev-tags')
    .action(async (src: string, dest: string, opts: Record<string, boolean | undefined>) => (await actions()).clone(src, dest, opts));
}
