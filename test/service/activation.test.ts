// The rendered units run for real the way systemd would: the socket unit's ListenStream is bound by
// systemd-socket-activate (same LISTEN_FDS/LISTEN_PID hand-over as systemd), which execs the service
// unit's ExecStart with its Environment= lines. The daemon must serve that socket.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolvePaths } from '../../src/config/paths.js';
import { escdScript, readTemplate } from '../../src/service/package-files.js';
import { contextFor, renderSystemdUnits } from '../../src/service/render.js';
import { assertBuilt, runCli, runShim } from '../support/cli.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

let home: TmpHome;
let activator: ChildProcess | undefined;
beforeAll(() => assertBuilt());
beforeEach(async () => {
  home = await makeTmpHome('escd-act-');
});
afterEach(async () => {
  if (activator && activator.exitCode === null && activator.signalCode === null) {
    const exited = new Promise((resolve) => activator!.once('exit', resolve));
    activator.kill('SIGTERM');
    await exited;
  }
  activator = undefined;
  await home.cleanup();
});

/** The values of `Key=` lines in a unit, with %t expanded and %% unescaped. */
function settings(unit: string, key: string, runtimeDir: string): string[] {
  return [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!.replace(/%t/g, runtimeDir).replace(/%%/g, '%'));
}

describe('rendered systemd units under socket activation', () => {
  it('start the daemon on the passed socket and answer through it', async () => {
    if (spawnSync('sh', ['-c', 'command -v systemd-socket-activate']).status !== 0) {
      if (process.env.ESCD_REQUIRE_E2E === '1') throw new Error('systemd-socket-activate is required in CI (ESCD_REQUIRE_E2E=1)');
      console.warn('skipping: systemd-socket-activate is not installed');
      return;
    }
    // A systemd-like user session: no ESCD_HOME, the socket in the runtime dir.
    const runtimeDir = join(home.dir, 'rt');
    await mkdir(runtimeDir, { mode: 0o700 });
    const env: Record<string, string> = { HOME: home.dir, XDG_RUNTIME_DIR: runtimeDir, ESCD_KEYSTORE: 'file', NO_COLOR: '1' };
    const units = renderSystemdUnits(contextFor(env, resolvePaths(env), process.execPath, escdScript(), home.dir), {
      service: readTemplate('systemd/escd.service'),
      socket: readTemplate('systemd/escd.socket'),
    });
    const service = units.find((u) => u.name === 'escd.service')!.content;
    const socketUnit = units.find((u) => u.name === 'escd.socket')!.content;
    const [listen] = settings(socketUnit, 'ListenStream', runtimeDir);
    const [execStart] = settings(service, 'ExecStart', runtimeDir);
    const environment = settings(service, 'Environment', runtimeDir);
    expect(listen).toBe(join(runtimeDir, 'escd', 'escd.sock'));
    await mkdir(dirname(listen!), { mode: 0o700 }); // DirectoryMode=0700

    const command = execStart!.split(' ');
    activator = spawn('systemd-socket-activate', ['-l', listen!, ...Object.keys(env).map((k) => `-E${k}`), ...environment.map((e) => `-E${e}`), ...command], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    activator.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
    for (let i = 0; i < 100 && !existsSync(listen!); i++) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(listen!)).toBe(true);

    // The first connection starts the daemon, as with systemd.
    const status = await runCli(['status', '--json'], { env });
    expect(status.stderr).toBe('');
    const daemon = (JSON.parse(status.stdout) as { daemon: { pid: number; socket: string; socketActivated: boolean } }).daemon;
    expect(daemon).toMatchObject({ socket: listen, socketActivated: true, pid: activator.pid });
    expect(log).toMatch(/socket activation/);

    // And the shim gets credentials through it, as aws's credential_process would.
    const paths = resolvePaths(env);
    await mkdir(join(paths.environmentsDir, 'svc'), { recursive: true });
    await writeFile(
      join(paths.environmentsDir, 'svc', 'dev.yaml'),
      'values:\n  environmentVariables:\n    AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE\n    AWS_SECRET_ACCESS_KEY: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n',
    );
    const shim = await runShim(['aws', 'svc/dev'], { env });
    expect(shim.stderr).toBe('');
    expect(JSON.parse(shim.stdout)).toMatchObject({ Version: 1, AccessKeyId: 'AKIAIOSFODNN7EXAMPLE' });
  });
});
