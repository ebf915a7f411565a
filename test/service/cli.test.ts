// `escd service …` as users run it (built CLI). Never installs for real: the install case runs only
// where the service manager is unavailable (containers, CI), which is exactly what it checks.
import { spawnSync } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertBuilt, CLI, runCli } from '../support/cli.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

let home: TmpHome;
beforeAll(() => assertBuilt());
beforeEach(async () => {
  home = await makeTmpHome('escd-svccli-');
});
afterEach(async () => {
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
    expect(result.stdout).toContain(`${process.execPath} ${CLI} daemon`);
    expect(result.stdout).toMatch(process.platform === 'darwin' ? /launchctl bootstrap gui\/\d+/ : /systemctl --user enable --now escd\.socket/);
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
});
