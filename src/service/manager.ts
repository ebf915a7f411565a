// `escd service install | uninstall | status`: the plan (what to write, what to run) is computed
// purely; carrying it out goes through an injected CommandRunner. An install either completes or
// leaves nothing behind: files are written only once the service manager has answered, and a failed
// enable removes them again.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../keystore/atomic-file.js';
import { EscdError, isEscdError } from '../core/errors.js';
import { noProgress, type Progress } from '../core/progress.js';
import { LAUNCHD_LABEL, launchdLogDir, renderLaunchdPlist, renderSystemdUnits, type ServiceContext } from './render.js';
import { firstLine, shellLine, type CommandRunner } from './runner.js';

export type ServiceManager = 'systemd' | 'launchd';

export interface ServiceTemplates {
  readonly systemdService: string;
  readonly systemdSocket: string;
  readonly launchdPlist: string;
}

export interface PlannedFile {
  readonly path: string;
  readonly content: string;
}

export interface ServicePlan {
  readonly manager: ServiceManager;
  /** Asks whether the manager is there to talk to (a container or CI usually has none). */
  readonly probe: readonly string[];
  readonly dirs: readonly string[];
  readonly files: readonly PlannedFile[];
  /** Run after the files are written. */
  readonly enable: ReadonlyArray<readonly string[]>;
  /** Run before the files are removed (failures tolerated: the service may already be stopped). */
  readonly disable: ReadonlyArray<readonly string[]>;
  /** Run after the files are removed. */
  readonly afterRemove: ReadonlyArray<readonly string[]>;
  readonly status: ReadonlyArray<readonly string[]>;
}

export interface PlanInput {
  readonly platform: NodeJS.Platform;
  readonly ctx: ServiceContext;
  readonly templates: ServiceTemplates;
  /** $XDG_CONFIG_HOME, when set (systemd reads user units from there). */
  readonly xdgConfigHome?: string;
  readonly uid: number;
}

export function managerFor(platform: NodeJS.Platform): ServiceManager {
  if (platform === 'linux') return 'systemd';
  if (platform === 'darwin') return 'launchd';
  throw new EscdError('bad_request', `escd service supports Linux (systemd) and macOS (launchd), not ${platform}; run \`escd start\` to start the daemon in the background`);
}

export function planService(input: PlanInput): ServicePlan {
  const { ctx, templates } = input;
  if (managerFor(input.platform) === 'systemd') {
    const unitDir = join(input.xdgConfigHome ?? join(ctx.home, '.config'), 'systemd', 'user');
    const units = renderSystemdUnits(ctx, { service: templates.systemdService, socket: templates.systemdSocket });
    const ctl = (...args: string[]): string[] => ['systemctl', '--user', ...args];
    return {
      manager: 'systemd',
      probe: ctl('show-environment'),
      dirs: [unitDir],
      files: units.map((u) => ({ path: join(unitDir, u.name), content: u.content })),
      enable: [ctl('daemon-reload'), ctl('enable', '--now', 'escd.socket')],
      disable: [ctl('disable', '--now', 'escd.socket'), ctl('stop', 'escd.service')],
      afterRemove: [ctl('daemon-reload')],
      status: [ctl('status', '--no-pager', '--lines=5', 'escd.socket', 'escd.service')],
    };
  }
  const domain = `gui/${input.uid}`;
  const agentDir = join(ctx.home, 'Library', 'LaunchAgents');
  const plist = renderLaunchdPlist(ctx, templates.launchdPlist);
  const plistPath = join(agentDir, plist.name);
  return {
    manager: 'launchd',
    probe: ['launchctl', 'print', domain],
    dirs: [agentDir, launchdLogDir(ctx.home)],
    files: [{ path: plistPath, content: plist.content }],
    enable: [['launchctl', 'bootstrap', domain, plistPath]],
    disable: [['launchctl', 'bootout', `${domain}/${LAUNCHD_LABEL}`]],
    afterRemove: [],
    status: [['launchctl', 'print', `${domain}/${LAUNCHD_LABEL}`]],
  };
}

// ---------- the manifest: what install wrote, so uninstall removes exactly that ----------

interface Manifest {
  readonly manager: ServiceManager;
  readonly installedAt: string;
  readonly files: ReadonlyArray<{ readonly path: string; readonly sha256: string }>;
  /** Directories install created (outermost first); uninstall removes those left empty. */
  readonly dirs?: readonly string[];
}

export const manifestPath = (stateDir: string): string => join(stateDir, 'service-install.json');
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

async function readManifest(file: string): Promise<Manifest | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new EscdError('io', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    const parsed = JSON.parse(text) as Manifest;
    if ((parsed.manager === 'systemd' || parsed.manager === 'launchd') && Array.isArray(parsed.files)) return parsed;
  } catch {
    // reported below
  }
  throw new EscdError('io', `${file} is damaged; remove the files it lists by hand (the escd.* units or ${LAUNCHD_LABEL}.plist), then delete it`);
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new EscdError('io', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/** mkdir -p that reports the directories it created, outermost first. */
async function makeDirs(dir: string): Promise<string[]> {
  const first = await mkdir(dir, { recursive: true, mode: 0o755 });
  if (first === undefined) return [];
  const created = [dir];
  while (created[0] !== first && dirname(created[0]!) !== created[0]) created.unshift(dirname(created[0]!));
  return created;
}

/** Removes the directories (deepest first) that are empty; a directory with anything in it stays. */
async function removeEmptyDirs(dirs: readonly string[]): Promise<void> {
  for (const dir of [...dirs].reverse()) await rmdir(dir).catch(() => undefined);
}

// ---------- install / uninstall / status ----------

export interface ServiceDeps {
  readonly run: CommandRunner;
  readonly stateDir: string;
  readonly now?: () => Date;
  /** Runs once the files are written, just before the service is enabled (stops a hand-started daemon). */
  readonly beforeEnable?: () => Promise<void>;
  /** Shows a progress line while the service manager enables or stops the service; none by default. */
  readonly progress?: Progress;
}

export interface InstallResult {
  readonly manager: ServiceManager;
  readonly files: readonly string[];
  readonly ran: readonly string[];
}

async function runAll(deps: ServiceDeps, commands: ReadonlyArray<readonly string[]>, ran: string[]): Promise<void> {
  for (const argv of commands) {
    const result = await deps.run(argv);
    ran.push(shellLine(argv));
    if (result.code !== 0) throw new EscdError('upstream_failed', `\`${shellLine(argv)}\` failed: ${firstLine(result)}`);
  }
}

function unavailableMessage(plan: ServicePlan, detail: string): string {
  const what = plan.manager === 'systemd' ? 'the systemd user manager (systemctl --user)' : 'launchd for this login session (launchctl)';
  return `${what} is not available here (${detail}); nothing was installed. Run \`escd start\` to start the daemon in the background instead`;
}

export async function installService(plan: ServicePlan, deps: ServiceDeps): Promise<InstallResult> {
  const probe = await deps.run(plan.probe);
  if (probe.code !== 0) throw new EscdError('upstream_failed', unavailableMessage(plan, firstLine(probe)));

  const manifestFile = manifestPath(deps.stateDir);
  const previous = await readManifest(manifestFile);
  const ours = new Map((previous?.files ?? []).map((f) => [f.path, f.sha256]));
  for (const file of plan.files) {
    const existing = await readIfExists(file.path);
    if (existing === undefined || existing === file.content) continue;
    if (ours.get(file.path) !== sha256(existing)) {
      throw new EscdError('exists', `${file.path} exists and was not written by \`escd service install\` (or was edited since); move it away or delete it, then run install again`);
    }
  }

  const ran: string[] = [];
  const written: string[] = [];
  const created: string[] = [];
  try {
    // A reinstall (new node or package path) replaces the running definition.
    if (previous) for (const argv of plan.disable) await deps.run(argv);
    for (const dir of plan.dirs) created.push(...(await makeDirs(dir)));
    await mkdir(dirname(manifestFile), { recursive: true, mode: 0o700 });
    const manifest: Manifest = {
      manager: plan.manager,
      installedAt: (deps.now?.() ?? new Date()).toISOString(),
      files: plan.files.map((f) => ({ path: f.path, sha256: sha256(f.content) })),
      dirs: [...new Set([...(previous?.dirs ?? []), ...created])],
    };
    // The manifest first: if we die half-way, uninstall still knows what to remove.
    await writeFileAtomic(manifestFile, JSON.stringify(manifest, null, 2) + '\n', 0o600);
    for (const file of plan.files) {
      await writeFileAtomic(file.path, file.content, 0o644);
      written.push(file.path);
    }
    await deps.beforeEnable?.();
    await (deps.progress ?? noProgress)('enabling the service…', () => runAll(deps, plan.enable, ran));
  } catch (err) {
    // Roll back: stop whatever started, remove what we wrote, tell the manager.
    for (const argv of plan.disable) await deps.run(argv).catch(() => undefined);
    for (const path of written) await rm(path, { force: true });
    await removeEmptyDirs(created);
    await rm(manifestFile, { force: true });
    for (const argv of plan.afterRemove) await deps.run(argv).catch(() => undefined);
    const reason = err instanceof Error ? err.message : String(err);
    throw new EscdError(isEscdError(err) ? err.code : 'upstream_failed', `${reason}; the install was rolled back (nothing left behind). Run \`escd start\` to start the daemon without the service manager`, { cause: err });
  }
  return { manager: plan.manager, files: written, ran };
}

export interface UninstallResult {
  readonly removed: readonly string[];
  /** Files install wrote but the user edited since: left in place. */
  readonly kept: readonly string[];
  readonly installed: boolean;
}

/** What uninstall would do, in order: `disable`, remove `remove` and `record`, `afterRemove`. */
export interface UninstallSteps {
  readonly manager: ServiceManager;
  readonly installed: boolean;
  /** Service manager commands run before the files go (failures tolerated: it may be stopped already). */
  readonly disable: ReadonlyArray<readonly string[]>;
  /** Files install wrote, unchanged since. */
  readonly remove: readonly string[];
  /** Files install wrote but the user edited since: left in place. */
  readonly keep: readonly string[];
  /** The manifest: install's record of what it wrote. */
  readonly record: string;
  /** Directories install created; removed when left empty. */
  readonly dirs: readonly string[];
  readonly afterRemove: ReadonlyArray<readonly string[]>;
}

/** Reads the manifest and the files it lists; changes nothing (`escd service uninstall --print`). */
export async function uninstallSteps(plan: ServicePlan, stateDir: string): Promise<UninstallSteps> {
  const record = manifestPath(stateDir);
  const manifest = await readManifest(record);
  const remove: string[] = [];
  const keep: string[] = [];
  for (const file of manifest?.files ?? []) {
    const content = await readIfExists(file.path);
    if (content === undefined) continue;
    (sha256(content) === file.sha256 ? remove : keep).push(file.path);
  }
  // Commands of another manager (a manifest carried over from another OS) are not ours to run.
  const sameManager = manifest?.manager === plan.manager;
  return {
    manager: manifest?.manager ?? plan.manager,
    installed: manifest !== undefined,
    disable: sameManager ? plan.disable : [],
    remove,
    keep,
    record,
    dirs: manifest?.dirs ?? [],
    afterRemove: sameManager ? plan.afterRemove : [],
  };
}

export async function uninstallService(plan: ServicePlan, deps: ServiceDeps): Promise<UninstallResult> {
  const steps = await uninstallSteps(plan, deps.stateDir);
  if (!steps.installed) return { removed: [], kept: [], installed: false };
  await (deps.progress ?? noProgress)('stopping the service…', async () => {
    for (const argv of steps.disable) await deps.run(argv);
  });
  for (const path of steps.remove) await rm(path, { force: true });
  await removeEmptyDirs(steps.dirs);
  for (const argv of steps.afterRemove) await deps.run(argv);
  await rm(steps.record, { force: true });
  return { removed: steps.remove, kept: steps.keep, installed: true };
}

export interface StatusResult {
  readonly manager: ServiceManager;
  readonly installed: boolean;
  readonly installedAt?: string;
  readonly files: ReadonlyArray<{ readonly path: string; readonly state: 'ok' | 'missing' | 'modified' }>;
  /** The manager's own report, or why it could not be asked. */
  readonly managerReport: string;
  readonly managerAvailable: boolean;
}

export async function serviceStatus(plan: ServicePlan, deps: ServiceDeps): Promise<StatusResult> {
  const manifest = await readManifest(manifestPath(deps.stateDir));
  const files: Array<StatusResult['files'][number]> = [];
  for (const file of manifest?.files ?? []) {
    const content = await readIfExists(file.path);
    files.push({ path: file.path, state: content === undefined ? 'missing' : sha256(content) === file.sha256 ? 'ok' : 'modified' });
  }
  const probe = await deps.run(plan.probe);
  let managerReport: string;
  if (probe.code !== 0) managerReport = unavailableMessage(plan, firstLine(probe)).replace('; nothing was installed', '');
  else {
    const reports = [];
    for (const argv of plan.status) {
      const result = await deps.run(argv);
      reports.push((result.stdout + result.stderr).trimEnd());
    }
    managerReport = reports.join('\n');
  }
  return {
    manager: plan.manager,
    installed: manifest !== undefined,
    ...(manifest ? { installedAt: manifest.installedAt } : {}),
    files,
    managerReport,
    managerAvailable: probe.code === 0,
  };
}

// ---------- what an installed definition runs (for `escd doctor`) ----------

export interface InstalledService {
  readonly manager: ServiceManager;
  readonly files: ReadonlyArray<{ readonly path: string; readonly state: 'ok' | 'missing' | 'modified' }>;
  /** node and the escd script the definition starts (from ExecStart or ProgramArguments). */
  readonly programs: readonly string[];
}

/** node and the script it runs: the first word and the first one after node's options. */
function nodeAndScript(words: readonly string[]): string[] {
  const script = words.slice(1).find((w) => !w.startsWith('-'));
  return words.length === 0 ? [] : [words[0]!, ...(script !== undefined ? [script] : [])];
}

function programsOf(text: string): string[] {
  const exec = /^ExecStart=(.*)$/m.exec(text);
  if (exec) {
    const words = exec[1]!.match(/"[^"]*"|\S+/g) ?? [];
    return nodeAndScript(words.map((w) => w.replace(/^"|"$/g, '').replace(/\$\$/g, '$').replace(/%%/g, '%')));
  }
  const args = /<key>ProgramArguments<\/key>\s*<array>([\s\S]*?)<\/array>/.exec(text);
  if (args) {
    const unxml = (s: string): string => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
    return nodeAndScript([...args[1]!.matchAll(/<string>([^<]*)<\/string>/g)].map((m) => unxml(m[1]!)));
  }
  return [];
}

/** What `escd service install` left, or undefined when it is not installed. */
export async function installedService(stateDir: string): Promise<InstalledService | undefined> {
  const manifest = await readManifest(manifestPath(stateDir));
  if (!manifest) return undefined;
  const files: Array<InstalledService['files'][number]> = [];
  const programs: string[] = [];
  for (const file of manifest.files) {
    const content = await readIfExists(file.path);
    files.push({ path: file.path, state: content === undefined ? 'missing' : sha256(content) === file.sha256 ? 'ok' : 'modified' });
    if (content !== undefined) programs.push(...programsOf(content));
  }
  return { manager: manifest.manager, files, programs };
}
