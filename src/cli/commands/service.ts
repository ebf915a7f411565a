// `escd service install | uninstall | status`: run the daemon as a systemd user service or a launchd agent.
import type { Command } from 'commander';
import { resolvePaths } from '../../config/paths.js';
import { userHome } from '../../protocol/socket-path.js';
import { request } from '../../protocol/client.js';
import { withProgress } from '../terminal.js';
import { installService, managerFor, planService, serviceStatus, uninstallService, uninstallSteps, type ServicePlan, type UninstallSteps } from '../../service/manager.js';
import { escdScript, NPX_CACHE_HINT, readTemplate, runsFromNpxCache } from '../../service/package-files.js';
import { contextFor } from '../../service/render.js';
import { shellLine, systemRunner } from '../../service/runner.js';

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
    .action(async (opts: { print?: boolean; json?: boolean }) => install(opts));

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
    .action(async (opts: { print?: boolean; json?: boolean }) => uninstall(opts));

  service
    .command('status')
    .description("Show what install wrote and the service manager's view of the service")
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  $ escd service status --json')
    .action(async (opts: { json?: boolean }) => status(opts));
}

// The implementations behind `escd service …` (registered in src/cli/commands/service.ts, loaded lazily).
type Env = Readonly<Record<string, string | undefined>>;

const out = (text: string): void => void process.stdout.write(text.endsWith('\n') ? text : text + '\n');
const say = (text: string): void => void process.stderr.write(`escd: ${text}\n`);

export function currentPlan(env: Env = process.env, platform: NodeJS.Platform = process.platform): ServicePlan {
  const paths = resolvePaths(env);
  const ctx = contextFor(env, paths, process.execPath, escdScript(), userHome(env));
  return planService({
    platform,
    ctx,
    templates: {
      systemdService: readTemplate('systemd/escd.service'),
      systemdSocket: readTemplate('systemd/escd.socket'),
      launchdPlist: readTemplate('launchd/com.escd.daemon.plist'),
    },
    ...(env.XDG_CONFIG_HOME ? { xdgConfigHome: env.XDG_CONFIG_HOME } : {}),
    uid: process.getuid?.() ?? 0,
  });
}

function planOrExplain(): ServicePlan {
  managerFor(process.platform);
  return currentPlan();
}

function printPlan(plan: ServicePlan, json: boolean | undefined): void {
  if (json) {
    out(JSON.stringify({ manager: plan.manager, files: plan.files, run: plan.enable.map(shellLine) }, null, 2));
    return;
  }
  for (const file of plan.files) out(`# ${file.path}\n${file.content.trimEnd()}\n`);
  out(`# then run:\n${plan.enable.map((argv) => `$ ${shellLine(argv)}`).join('\n')}`);
}

/** A daemon started with `escd start` holds the socket the service manager is about to take over. */
async function stopUnmanagedDaemon(socket: string): Promise<boolean> {
  const response = await request(socket, 'status', {}, 2_000).catch(() => undefined);
  if (!response?.ok) return false;
  const result = response.result as { daemon?: { socketActivated?: boolean } };
  if (result.daemon?.socketActivated) return false;
  const { halt } = await import('../../../daemon/control.js');
  return (await halt({ socket, logFile: '', env: process.env, out: () => undefined })) !== undefined;
}

export async function install(opts: { print?: boolean; json?: boolean }): Promise<void> {
  const plan = planOrExplain();
  if (runsFromNpxCache()) say(NPX_CACHE_HINT);
  if (opts.print) return printPlan(plan, opts.json);
  const paths = resolvePaths();
  const beforeEnable = async (): Promise<void> => {
    if (await stopUnmanagedDaemon(paths.socket)) say('stopped the daemon started by `escd start`; the service manager runs it from now on');
  };
  const result = await installService(plan, { run: systemRunner, stateDir: paths.stateDir, beforeEnable, progress: withProgress });
  if (opts.json) return out(JSON.stringify(result, null, 2));
  for (const file of result.files) out(`wrote ${file}`);
  for (const line of result.ran) out(`ran   ${line}`);
  out(
    plan.manager === 'systemd'
      ? 'escd is installed: systemd starts the daemon on the first request and after a failure. Check with `escd service status`.'
      : 'escd is installed: launchd starts the daemon at login and after a failure. Check with `escd service status`.',
  );
}

/** `uninstall --print`: what uninstall would run and remove, in that order; JSON: the same lists. */
function printUninstall(steps: UninstallSteps, json: boolean | undefined): void {
  if (json) {
    const { manager, installed, remove, keep, record } = steps;
    return out(JSON.stringify({ manager, installed, disable: steps.disable.map(shellLine), remove, keep, record, afterRemove: steps.afterRemove.map(shellLine) }, null, 2));
  }
  if (!steps.installed) return out(NOT_INSTALLED);
  const lines = [
    ...steps.disable.map((argv) => `would run    ${shellLine(argv)}`),
    ...steps.remove.map((file) => `would remove ${file}`),
    ...steps.keep.map((file) => `would keep   ${file} (edited since install)`),
    `would remove ${steps.record} (install's record of what it wrote)`,
    ...steps.afterRemove.map((argv) => `would run    ${shellLine(argv)}`),
  ];
  out(lines.join('\n'));
}

const NOT_INSTALLED = 'escd is not installed as a service (nothing to remove).';

export async function uninstall(opts: { print?: boolean; json?: boolean }): Promise<void> {
  const plan = planOrExplain();
  const stateDir = resolvePaths().stateDir;
  if (opts.print) return printUninstall(await uninstallSteps(plan, stateDir), opts.json);
  const result = await uninstallService(plan, { run: systemRunner, stateDir, progress: withProgress });
  if (opts.json) return out(JSON.stringify(result, null, 2));
  if (!result.installed) return out(NOT_INSTALLED);
  for (const file of result.removed) out(`removed ${file}`);
  for (const file of result.kept) out(`kept    ${file} (edited since install; delete it yourself if you no longer need it)`);
  out('escd is no longer a service. `escd start` runs the daemon by hand.');
}

export async function status(opts: { json?: boolean }): Promise<void> {
  const plan = planOrExplain();
  const result = await serviceStatus(plan, { run: systemRunner, stateDir: resolvePaths().stateDir });
  if (opts.json) return out(JSON.stringify(result, null, 2));
  out(result.installed ? `installed (${result.manager}) at ${result.installedAt}` : `not installed as a ${result.manager} service (run \`escd service install\`)`);
  for (const file of result.files) out(`  ${file.state.padEnd(8)} ${file.path}`);
  if (result.managerReport) out(result.managerReport);
}
