// `escd quickstart`: the first-run command (README's main job).
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('quickstart')
    .description('Set up escd in one step: config, key store, issuer key, a sample environment, the daemon')
    .option('--json', 'print what was done (and the daemon status and snippets) as JSON')
    .addHelpText(
      'after',
      `
Needs no AWS account. Safe to run again: it creates what is missing and keeps everything else
(it never rewrites config.yaml or an environment).

Its next steps are printed as they will work from where you run it (\`npx escd …\` when escd is
not on the PATH). To wire up the AWS CLI, use \`escd setup aws <env>\`: it adds or updates the
profile, where appending a snippet twice would break the file.

Examples:
  $ escd quickstart
  $ escd quickstart --json | jq .check
  $ escd quickstart && escd setup aws quickstart/sample`,
    )
    .action(async (opts: { json?: boolean }) => (await import('../actions/quickstart.js')).quickstart(opts));
}
