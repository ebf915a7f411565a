// Lifecycle commands: `escd daemon` (foreground), `start`, `stop`, `restart`, `status`, `flush`.
import type { Command } from 'commander';
import { control } from '../daemon-control.js';

export function register(program: Command): void {
  program
    .command('daemon')
    .description('Run the credential daemon in the foreground (what `escd start` and the service units run)')
    .option('--socket <path>', 'listen on this Unix socket instead of the default (also ESCD_SOCKET)')
    .addHelpText(
      'after',
      `
The daemon evaluates environments on demand, caches them, renews their STS sessions before they
expire and answers the shim over a Unix socket. SIGTERM/SIGINT stop it cleanly; SIGHUP reloads
config.yaml. Under systemd socket activation (LISTEN_FDS) it serves the socket it is given.
\`escd start\`, the shim and the service units run it as \`node --max-semi-space-size=2 …\` (less memory).

Examples:
  $ escd daemon
  $ escd daemon --socket /tmp/escd-test.sock`,
    )
    .action(async (options: { socket?: string }) => {
      const { runForeground } = await import('../../../daemon/entry.js');
      // Exit explicitly: HTTP keep-alive agents of the STS client must not hold a stopped daemon open.
      process.exit(await runForeground(options));
    });

  program
    .command('start')
    .description('Start the daemon in the background (no-op if it is running)')
    .option('--json', 'print {pid, socket, started} (started: false when it was already running)')
    .addHelpText(
      'after',
      `
Waits until the daemon answers (at most 10 s). Its log goes to <state dir>/daemon.log.
Started this way the daemon takes this shell's AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL and AWS_REGION
(config.yaml's aws.stsEndpoint and aws.region are the lasting way). A daemon that the shim or another
command starts keeps only HOME, USER, LOGNAME, PATH, LANG, LC_*, TZ, XDG_*, ESCD_*, proxy variables,
NODE_EXTRA_CA_CERTS, AWS_CA_BUNDLE and DBUS_SESSION_BUS_ADDRESS (the keychain's session bus) of the
environment it was started from.

Examples:
  $ escd start
  $ escd start --json | jq .pid
  $ AWS_ENDPOINT_URL_STS=http://127.0.0.1:5000 escd restart   # a local STS, on purpose`,
    )
    .action(async (options: { json?: boolean }) => {
      const { control: c, ctx } = await control();
      await c.start(ctx, options.json ?? false);
    });

  program
    .command('stop')
    .description('Stop the daemon and wait until it has exited')
    .option('--json', 'print {stopped, socket, pid}')
    .addHelpText('after', '\nExamples:\n  $ escd stop\n  $ escd stop --json')
    .action(async (options: { json?: boolean }) => {
      const { control: c, ctx } = await control();
      await c.stop(ctx, options.json ?? false);
    });

  program
    .command('restart')
    .description('Stop the daemon (if running) and start it again')
    .option('--json', 'print {pid, socket, started, stopped} (stopped: whether one was running)')
    .addHelpText('after', "\nLike `escd start`, takes this shell's endpoint and region settings.\n\nExamples:\n  $ escd restart\n  $ escd restart --json")
    .action(async (options: { json?: boolean }) => {
      const { control: c, ctx } = await control();
      await c.restart(ctx, options.json ?? false);
    });

  program
    .command('status')
    .description('Show the daemon and what it holds: credential expiry, next refresh, last result, hits; endpoint grants and kept token files')
    .option('--json', 'print machine-readable JSON')
    .addHelpText('after', '\nExits 3 when no daemon is running.\n\nExamples:\n  $ escd status\n  $ escd status --json | jq .environments')
    .action(async (options: { json?: boolean }) => {
      const { control: c, ctx } = await control();
      await c.status(ctx, options.json ?? false);
    });

  program
    .command('flush')
    .description('Drop one cached environment (or all), so the next request evaluates it afresh; token files kept for it are rewritten')
    .argument('[env]', 'environment name; all when omitted')
    .option('--json', 'print {running, flushed, env} (flushed: how many cached environments were dropped)')
    .addHelpText('after', '\nExamples:\n  $ escd flush\n  $ escd flush myproject/dev\n  $ escd flush --json')
    .action(async (env: string | undefined, options: { json?: boolean }) => {
      const { control: c, ctx } = await control();
      await c.flush(ctx, env, options.json ?? false);
    });
}
