// `escd service …` as users run it (built CLI). Never installs for real: the install case runs only
// where the service manager is unavailable (containers, CI), which is exactly what it checks.
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertBuilt, CLI, runCli } from '../support/cli.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

let home: TmpHome;
beforeAll(() => assertBuilt());
beforeEach(async () => {
  home = await makeTmpHome('escd-svccli-');
});
afterEach(async () => {
  await runCli(['stop'], { env: home.env });
  await home.cleanup();
});

const managerAnswers = (): boolean =>
  process.platform === 'linux'
    ? spawnSync('systemctl', ['--user', 'show-environment'], { stdio: 'ignore' }).status === 0
    : spawnSync('launchctl', ['print', `gui/${process.getuid?.() ?? 0}`], { stdio: 'ignore' }).status === 0;

describe('escd service', () => {
  it('install --print shows the files for this machine and changes nothing', async () => {
    const result = await runCli(['service', 'install', '--print'], { env: home.env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${process.execPath} --max-semi-space-size=2 ${CLI} daemon`);
    expect(result.stdout).toMatch(process.platform === 'darwin' ? /launchctl bootstrap gui\/\d+/ : /systemctl --user enable --now escd\.socket/);
    expect(await readdir(home.dir)).toEqual([]);
  });

  it('uninstall --print without an install says there is nothing to remove', async () => {
    const result = await runCli(['service', 'uninstall', '--print'], { env: home.env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('escd is not installed as a service (nothing to remove).\n');
    expect(await readdir(home.dir)).toEqual([]);
  });

  it('install without a service manager says so, suggests escd start, and writes nothing', async () => {
    if (managerAnswers()) {
      console.warn('skipping: this machine has a working service manager, and this test must not install a real service');
      return;
    }
    const result = await runCli(['service', 'install'], { env: home.env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^escd: .* is not available here .*nothing was installed\. Run `escd start`/);
    expect(result.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(await readdir(home.dir)).toEqual([]);
  });

  it('install with a (recording) systemctl takes over from a hand-started daemon; uninstall removes it all', async () => {
    if (process.platform !== 'linux') return void console.warn('skipping: systemd only');
    // A stand-in systemctl first on PATH: records its arguments, always succeeds. Never the real one.
    const bin = join(home.dir, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'systemctl'), `#!/bin/sh\necho "$*" >> "${join(home.dir, 'calls')}"\n`);
    await chmod(join(bin, 'systemctl'), 0o755);
    const env = { ...home.env, PATH: `${bin}:${process.env.PATH ?? ''}`, XDG_CONFIG_HOME: join(home.dir, 'xdg') };

    expect((await runCli(['start'], { env })).code).toBe(0);
    const install = await runCli(['service', 'install'], { env });
    expect(install.stderr).toBe("escd: stopped the daemon started by `escd start`; the service manager runs it from now on\n");
    expect(install.code).toBe(0);
    const unitDir = join(home.dir, 'xdg', 'systemd', 'user');
    expect(install.stdout).toContain(`wrote ${join(unitDir, 'escd.service')}`);
    expect((await readFile(join(home.dir, 'calls'), 'utf8')).split('\n').filter(Boolean)).toEqual([
      '--user show-environment',
      '--user daemon-reload',
      '--user enable --now escd.socket',
    ]);
    expect((await runCli(['status'], { env })).code).toBe(3); // the hand-started daemon is gone
    expect((await readFile(join(unitDir, 'escd.service'), 'utf8'))).toContain(`Environment=ESCD_HOME=${home.env.ESCD_HOME}`);

    const status = JSON.parse((await runCli(['service', 'status', '--json'], { env })).stdout) as { installed: boolean; files: { state: string }[] };
    expect(status.installed).toBe(true);
    expect(status.files.map((f) => f.state)).toEqual(['ok', 'ok']);

    // --print: what uninstall would run and remove, in order; it runs and removes nothing.
    const callsBefore = await readFile(join(home.dir, 'calls'), 'utf8');
    const manifest = join(home.env.ESCD_HOME!, 'state', 'service-install.json');
    const print = await runCli(['service', 'uninstall', '--print'], { env });
    expect(print.stderr).toBe('');
    expect(print.code).toBe(0);
    expect(print.stdout).toBe(
      [
        'would run    systemctl --user disable --now escd.socket',
        'would run    systemctl --user stop escd.service',
        `would remove ${join(unitDir, 'escd.socket')}`,
        `would remove ${join(unitDir, 'escd.service')}`,
        `would remove ${manifest} (install's record of what it wrote)`,
        'would run    systemctl --user daemon-reload',
        '',
      ].join('\n'),
    );
    const printed = JSON.parse((await runCli(['service', 'uninstall', '--print', '--json'], { env })).stdout) as Record<string, unknown>;
    expect(printed).toEqual({
      manager: 'systemd',
      installed: true,
      disable: ['systemctl --user disable --now escd.socket', 'systemctl --user stop escd.service'],
      remove: [join(unitDir, 'escd.socket'), join(unitDir, 'escd.service')],
      keep: [],
      record: manifest,
      afterRemove: ['systemctl --user daemon-reload'],
    });
    expect(await readFile(join(home.dir, 'calls'), 'utf8')).toBe(callsBefore);
    expect((await readdir(unitDir)).sort()).toEqual(['escd.service', 'escd.socket']);

    const uninstall = await runCli(['service', 'uninstall'], { env });
    expect(uninstall.code).toBe(0);
    expect(uninstall.stdout).toContain(`removed ${join(unitDir, 'escd.socket')}`);
    expect(await readdir(home.dir)).not.toContain('xdg');
  });
});
