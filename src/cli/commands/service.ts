// `escd service install | uninstall | status`: run the daemon as a systemd user service or a launchd agent.
import type { Command } from 'commander';

export function register(program: Command): void {
  const service = program
    .command('service')
    .description('Run the daemon as a user service (systemd on Linux, launchd on macOS)')
    .addHelpText(
      'after',
      `
Examples:
  $ escd service install --print   # show the unit files and commands, change nothing
  $ escd service install           # write them and start the service
  $ escd service status
  $ escd service uninstall --print # show what uninstall would stop and remove
  $ escd service uninstall         # remove exactly what install wrote`,
    );

  service
    .command('install')
    .description('Write the service definition for this machine and enable it (socket-activated on Linux)')
    .option('--print', 'only print the files and commands it would write and run')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ escd service install --print\n  $ escd service install')
    .action(async (opts: { print?: boolean; json?: boolean }) => (await import('../actions/service.js')).install(opts));

  service
    .command('uninstall')
    .description('Stop the service and remove the files install wrote')
    .option('--print', 'only print the commands it would run and the files it would remove')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Files edited since install are kept. With --print --json: {manager, installed, disable, remove, keep,
record, afterRemove}, the commands as shell lines.

Examples:
  $ escd service uninstall --print
  $ escd service uninstall`,
    )
    .action(async (opts: { print?: boolean; json?: boolean }) => (await import('../actions/service.js')).uninstall(opts));

  service
    .command('status')
    .description("Show what install wrote and the service manager's view of the service")
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  $ escd service status --json')
    .action(async (opts: { json?: boolean }) => (await import('../actions/service.js')).status(opts));
}
