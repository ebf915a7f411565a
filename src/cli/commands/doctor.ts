// `escd doctor`: checks the installation and says how to fix what is wrong.
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('doctor')
    .description('Check the installation (config, key store, daemon, socket, issuer, clock, aws/kube configs) and explain fixes')
    .option('--json', 'print every check as JSON')
    .option('--offline', 'skip the network checks (issuer documents, clock against STS)')
    .addHelpText(
      'after',
      `
Each check is pass, warn or fail; the exit code is 1 when any check fails.

Examples:
  $ escd doctor
  $ escd doctor --json | jq '.checks[] | select(.status != "pass")'
  $ escd doctor --offline`,
    )
    .action(async (opts: { json?: boolean; offline?: boolean }) => (await import('../actions/doctor.js')).doctor(opts));
}
