// `escd service install | uninstall | status` logic with a recorded fake service manager: the files
// are real (in a temp HOME), only systemctl/launchctl are replaced.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolvePaths } from '../../src/config/paths.js';
import { installedService, installService, manifestPath, planService, serviceStatus, uninstallService, uninstallSteps, type ServicePlan } from '../../src/service/manager.js';
import type { Progress } from '../../src/core/progress.js';
import { escdScript, readTemplate, runsFromNpxCache } from '../../src/service/package-files.js';
import { EscdError } from '../../src/core/errors.js';
import { contextFor } from '../../src/service/render.js';
import type { CommandResult, CommandRunner } from '../../src/service/runner.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

let home: TmpHome;
beforeEach(async () => {
  home = await makeTmpHome('escd-svc-');
});
afterEach(async () => {
  await home.cleanup();
});

function plan(platform: NodeJS.Platform): ServicePlan {
  const env = { ...home.env, XDG_RUNTIME_DIR: join(home.dir, 'run') };
  return planService({
    platform,
    ctx: contextFor(env, resolvePaths(env), process.execPath, escdScript(), home.dir),
    templates: {
      systemdService: readTemplate('systemd/escd.service'),
      systemdSocket: readTemplate('systemd/escd.socket'),
      launchdPlist: readTemplate('launchd/com.escd.daemon.plist'),
    },
    uid: 501,
  });
}

/** A fake manager: answers by command line, records every call. */
function fakeRunner(answers: Record<string, Partial<CommandResult>> = {}): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  const run = (async (argv: readonly string[]) => {
    const line = argv.join(' ');
    calls.push(line);
    return { code: 0, stdout: '', stderr: '', ...answers[line] };
  }) as CommandRunner & { calls: string[] };
  run.calls = calls;
  return run;
}

async function filesUnder(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).sort();
}

const stateDir = () => resolvePaths(home.env).stateDir;
const unitDir = () => join(home.dir, '.config', 'systemd', 'user');

describe('service install (systemd)', () => {
  it('writes both units, records them, reloads and enables the socket', async () => {
    const run = fakeRunner();
    const p = plan('linux');
    const result = await installService(p, { run, stateDir: stateDir() });
    expect(result.files).toEqual([join(unitDir(), 'escd.socket'), join(unitDir(), 'escd.service')]);
    expect(run.calls).toEqual(['systemctl --user show-environment', 'systemctl --user daemon-reload', 'systemctl --user enable --now escd.socket']);
    expect(await readFile(join(unitDir(), 'escd.service'), 'utf8')).toBe(p.files[1]!.content);
    const manifest = JSON.parse(await readFile(manifestPath(stateDir()), 'utf8')) as { files: { path: string }[] };
    expect(manifest.files.map((f) => f.path)).toEqual(result.files);

    const status = await serviceStatus(p, { run: fakeRunner({ 'systemctl --user status --no-pager --lines=5 escd.socket escd.service': { stdout: 'active (listening)' } }), stateDir: stateDir() });
    expect(status.installed).toBe(true);
    expect(status.files.map((f) => f.state)).toEqual(['ok', 'ok']);
    expect(status.managerReport).toBe('active (listening)');
  });

  it('stops a hand-started daemon only once the files are in place, right before enabling', async () => {
    const order: string[] = [];
    const run = fakeRunner();
    const recording: CommandRunner = async (argv) => {
      order.push(argv.join(' '));
      return run(argv);
    };
    const beforeEnable = async () => {
      order.push(`stop daemon (unit written: ${existsSync(join(unitDir(), 'escd.service'))})`);
    };
    await installService(plan('linux'), { run: recording, stateDir: stateDir(), beforeEnable });
    expect(order).toEqual(['systemctl --user show-environment', 'stop daemon (unit written: true)', 'systemctl --user daemon-reload', 'systemctl --user enable --now escd.socket']);
    const refused = fakeRunner({ 'systemctl --user show-environment': { code: 1, stderr: 'Failed to connect to bus' } });
    let stopped = false;
    await expect(installService(plan('linux'), { run: refused, stateDir: stateDir(), beforeEnable: async () => void (stopped = true) })).rejects.toThrow(EscdError);
    expect(stopped).toBe(false);
  });

  it('writes nothing when systemctl --user is unavailable, and says to use escd start', async () => {
    const run = fakeRunner({ 'systemctl --user show-environment': { code: 1, stderr: 'Failed to connect to bus: No medium found' } });
    await expect(installService(plan('linux'), { run, stateDir: stateDir() })).rejects.toThrow(
      /systemd user manager .* is not available here \(Failed to connect to bus: No medium found\); nothing was installed\. Run `escd start`/,
    );
    expect(run.calls).toEqual(['systemctl --user show-environment']);
    expect(await filesUnder(home.dir)).toEqual([]);
  });

  it('rolls back every file when enabling fails', async () => {
    const run = fakeRunner({ 'systemctl --user enable --now escd.socket': { code: 1, stderr: 'Failed to enable unit: Access denied' } });
    await expect(installService(plan('linux'), { run, stateDir: stateDir() })).rejects.toThrow(/Access denied; the install was rolled back/);
    expect(await filesUnder(home.dir)).toEqual([]);
    expect(existsSync(join(home.dir, '.config'))).toBe(false);
    expect(run.calls).toContain('systemctl --user disable --now escd.socket');
    expect(run.calls.at(-1)).toBe('systemctl --user daemon-reload');
  });

  it('never overwrites a unit file it did not write', async () => {
    const p = plan('linux');
    await installService(p, { run: fakeRunner(), stateDir: stateDir() });
    await uninstallService(p, { run: fakeRunner(), stateDir: stateDir() });
    await mkdir(unitDir(), { recursive: true });
    await writeFile(join(unitDir(), 'escd.service'), '# my own unit\n');
    await expect(installService(p, { run: fakeRunner(), stateDir: stateDir() })).rejects.toThrow(EscdError);
    expect(await readFile(join(unitDir(), 'escd.service'), 'utf8')).toBe('# my own unit\n');
    expect(existsSync(join(unitDir(), 'escd.socket'))).toBe(false);
  });

  it('reinstalls over its own files (a new node path) and uninstall removes exactly what it wrote', async () => {
    const p = plan('linux');
    await installService(p, { run: fakeRunner(), stateDir: stateDir() });
    await writeFile(join(unitDir(), 'other.service'), '[Service]\nExecStart=/bin/true\n');
    const again = fakeRunner();
    await installService(p, { run: again, stateDir: stateDir() });
    expect(again.calls).toContain('systemctl --user disable --now escd.socket');

    const run = fakeRunner();
    const result = await uninstallService(p, { run, stateDir: stateDir() });
    expect([...result.removed].sort()).toEqual([join(unitDir(), 'escd.service'), join(unitDir(), 'escd.socket')]);
    expect(run.calls).toEqual(['systemctl --user disable --now escd.socket', 'systemctl --user stop escd.service', 'systemctl --user daemon-reload']);
    expect(await filesUnder(unitDir())).toEqual([join(unitDir(), 'other.service')]);
    expect(existsSync(manifestPath(stateDir()))).toBe(false);
  });

  it('uninstall leaves HOME as it found it: the directories install created go too, unless something else is in them', async () => {
    const p = plan('linux');
    await installService(p, { run: fakeRunner(), stateDir: stateDir() });
    await uninstallService(p, { run: fakeRunner(), stateDir: stateDir() });
    expect(await filesUnder(home.dir)).toEqual([]);
    expect(existsSync(join(home.dir, '.config'))).toBe(false);

    await mkdir(join(home.dir, '.config', 'systemd'), { recursive: true });
    await writeFile(join(home.dir, '.config', 'systemd', 'keep.conf'), 'x\n');
    await installService(p, { run: fakeRunner(), stateDir: stateDir() });
    await uninstallService(p, { run: fakeRunner(), stateDir: stateDir() });
    expect(existsSync(unitDir())).toBe(false);
    expect(await filesUnder(home.dir)).toEqual([join(home.dir, '.config', 'systemd', 'keep.conf')]);
  });

  it('uninstall keeps a unit the user edited since install', async () => {
    const p = plan('linux');
    await installService(p, { run: fakeRunner(), stateDir: stateDir() });
    await writeFile(join(unitDir(), 'escd.service'), p.files[1]!.content + '# tuned\n');
    const result = await uninstallService(p, { run: fakeRunner(), stateDir: stateDir() });
    expect(result.kept).toEqual([join(unitDir(), 'escd.service')]);
    expect(result.removed).toEqual([join(unitDir(), 'escd.socket')]);
  });

  it('uninstallSteps says what uninstall will run and remove, and changes nothing', async () => {
    const p = plan('linux');
    await installService(p, { run: fakeRunner(), stateDir: stateDir() });
    await writeFile(join(unitDir(), 'escd.service'), p.files[1]!.content + '# tuned\n');
    const before = await filesUnder(home.dir);
    const steps = await uninstallSteps(p, stateDir());
    expect(steps).toMatchObject({
      manager: 'systemd',
      installed: true,
      disable: p.disable,
      remove: [join(unitDir(), 'escd.socket')],
      keep: [join(unitDir(), 'escd.service')],
      record: manifestPath(stateDir()),
      afterRemove: p.afterRemove,
    });
    expect(await filesUnder(home.dir)).toEqual(before);
    // …and uninstall does exactly that.
    const run = fakeRunner();
    const result = await uninstallService(p, { run, stateDir: stateDir() });
    expect(result).toEqual({ removed: steps.remove, kept: steps.keep, installed: true });
    expect(run.calls).toEqual([...steps.disable, ...steps.afterRemove].map((argv) => argv.join(' ')));
    expect(await filesUnder(home.dir)).toEqual([join(unitDir(), 'escd.service')]);
  });

  it('shows progress while the manager enables and stops the service, around those commands only', async () => {
    const events: string[] = [];
    const progress: Progress = async (label, work) => {
      events.push(`start ${label}`);
      try {
        return await work();
      } finally {
        events.push(`end ${label}`);
      }
    };
    const run = fakeRunner();
    const recording: CommandRunner = async (argv) => {
      events.push(argv.join(' '));
      return run(argv);
    };
    const p = plan('linux');
    await installService(p, { run: recording, stateDir: stateDir(), progress });
    expect(events).toEqual([
      'systemctl --user show-environment',
      'start enabling the service…',
      'systemctl --user daemon-reload',
      'systemctl --user enable --now escd.socket',
      'end enabling the service…',
    ]);
    events.length = 0;
    await uninstallService(p, { run: recording, stateDir: stateDir(), progress });
    expect(events).toEqual([
      'start stopping the service…',
      'systemctl --user disable --now escd.socket',
      'systemctl --user stop escd.service',
      'end stopping the service…',
      'systemctl --user daemon-reload',
    ]);
  });

  it('uninstall without an install changes nothing', async () => {
    const run = fakeRunner();
    expect(await uninstallService(plan('linux'), { run, stateDir: stateDir() })).toEqual({ removed: [], kept: [], installed: false });
    expect(run.calls).toEqual([]);
  });
});

describe('service install (launchd)', () => {
  it('writes the agent plist and bootstraps it into the gui domain', async () => {
    const run = fakeRunner();
    const result = await installService(plan('darwin'), { run, stateDir: stateDir() });
    const plistPath = join(home.dir, 'Library', 'LaunchAgents', 'com.escd.daemon.plist');
    expect(result.files).toEqual([plistPath]);
    expect(run.calls).toEqual(['launchctl print gui/501', `launchctl bootstrap gui/501 ${plistPath}`]);
    expect(existsSync(join(home.dir, 'Library', 'Logs', 'escd'))).toBe(true);

    const off = fakeRunner();
    await uninstallService(plan('darwin'), { run: off, stateDir: stateDir() });
    expect(off.calls).toEqual(['launchctl bootout gui/501/com.escd.daemon']);
    expect(existsSync(plistPath)).toBe(false);
  });

  it('writes nothing when launchctl cannot reach the gui domain', async () => {
    const run = fakeRunner({ 'launchctl print gui/501': { code: 113, stderr: 'Could not find domain for port identifier' } });
    await expect(installService(plan('darwin'), { run, stateDir: stateDir() })).rejects.toThrow(/launchd .* is not available here.*escd start/);
    expect(await filesUnder(home.dir)).toEqual([]);
  });
});

describe('service on an unsupported platform', () => {
  it('explains escd start', () => {
    expect(() => plan('win32')).toThrow(/Linux \(systemd\) and macOS \(launchd\), not win32; run `escd start`/);
  });
});

describe('what an installed service runs (for escd doctor)', () => {
  it('reads node and the escd script back from the unit and the plist', async () => {
    expect(await installedService(stateDir())).toBeUndefined();
    for (const platform of ['linux', 'darwin'] as const) {
      const p = plan(platform);
      await installService(p, { run: fakeRunner(), stateDir: stateDir() });
      const installed = await installedService(stateDir());
      expect(installed?.manager).toBe(platform === 'linux' ? 'systemd' : 'launchd');
      expect(installed?.programs.slice(0, 2)).toEqual([process.execPath, escdScript()]);
      expect(installed?.files.every((f) => f.state === 'ok')).toBe(true);
      await uninstallService(p, { run: fakeRunner(), stateDir: stateDir() });
    }
  });
});

describe('npx cache detection', () => {
  it('flags a package inside the npx cache only', () => {
    expect(runsFromNpxCache('/home/a/.npm/_npx/1a2b3c/node_modules/escd')).toBe(true);
    expect(runsFromNpxCache('/usr/local/lib/node_modules/escd')).toBe(false);
  });
});
