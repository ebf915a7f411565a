// The rendered service definitions, checked by the tools that will read them: systemd-analyze for the
// units, Python's plistlib for the LaunchAgent.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvePaths } from '../../src/config/paths.js';
import { escdScript, readTemplate } from '../../src/service/package-files.js';
import { EscdError } from '../../src/core/errors.js';
import { contextFor, renderLaunchdPlist, renderSystemdUnits, type ServiceContext } from '../../src/service/render.js';
import { DAEMON_NODE_OPTIONS } from '../../daemon/spawn-detached.js';
import { runCli } from '../support/cli.js';

const requireE2E = process.env.ESCD_REQUIRE_E2E === '1';
const has = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

function toolOrSkip(tool: string): boolean {
  if (has(tool)) return true;
  if (requireE2E) throw new Error(`${tool} is required in CI (ESCD_REQUIRE_E2E=1) but is not installed`);
  console.warn(`skipping: ${tool} is not installed`);
  return false;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'escd-units-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const systemdTemplates = () => ({ service: readTemplate('systemd/escd.service'), socket: readTemplate('systemd/escd.socket') });

function linuxContext(env: Record<string, string>): ServiceContext {
  return contextFor(env, resolvePaths(env), process.execPath, escdScript(), env.HOME!);
}

async function verify(units: { name: string; content: string }[], runtimeDir: string) {
  const unitDir = await mkdtemp(join(dir, 'u-'));
  for (const unit of units) await writeFile(join(unitDir, unit.name), unit.content);
  // systemd-analyze --user needs a runtime dir even to parse units.
  return spawnSync('systemd-analyze', ['verify', '--user', ...units.map((u) => join(unitDir, u.name))], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', XDG_RUNTIME_DIR: runtimeDir, HOME: dir },
  });
}

describe('systemd units', () => {
  it('render for this machine and pass systemd-analyze verify without a single warning', async () => {
    if (!toolOrSkip('systemd-analyze')) return;
    const runtimeDir = join(dir, 'run-user');
    await mkdir(runtimeDir, { mode: 0o700, recursive: true });
    const env = { HOME: join(dir, 'home'), XDG_RUNTIME_DIR: runtimeDir };
    const units = renderSystemdUnits(linuxContext(env), systemdTemplates());
    const socket = units.find((u) => u.name === 'escd.socket')!.content;
    const service = units.find((u) => u.name === 'escd.service')!.content;

    expect(socket).toMatch(/^ListenStream=%t\/escd\/escd\.sock$/m);
    expect(socket).toMatch(/^SocketMode=0600$/m);
    expect(socket).toMatch(/^DirectoryMode=0700$/m);
    expect(service).toContain(`ExecStart=${process.execPath} --max-semi-space-size=2 ${escdScript()} daemon`);
    expect(service).toMatch(/^Restart=on-failure$/m);
    expect(service).toMatch(/^NoNewPrivileges=yes$/m);
    expect(service).toMatch(/^ProtectSystem=strict$/m);
    expect(service).toMatch(/^RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6$/m);
    expect(service).toMatch(/^UMask=0077$/m);
    expect(service).not.toMatch(/^MemoryDenyWriteExecute/m);
    expect(service).toMatch(/^Environment=ESCD_SOCKET=%t\/escd\/escd\.sock$/m);
    expect(service).toContain(`ReadWritePaths=-${join(env.HOME, '.config', 'escd')} -${join(env.HOME, '.local', 'state', 'escd')} -%t/escd`);
    expect(service).not.toMatch(/@[A-Z_]+@/);

    const result = await verify(units, runtimeDir);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('quote and escape unusual paths so systemd reads them back unchanged', async () => {
    if (!toolOrSkip('systemd-analyze')) return;
    const runtimeDir = join(dir, 'run-user2');
    await mkdir(runtimeDir, { mode: 0o700, recursive: true });
    const home = join(dir, 'my home 100%');
    const env = { HOME: home, XDG_RUNTIME_DIR: runtimeDir, ESCD_HOME: join(home, 'escd'), ESCD_KEYSTORE: 'file', AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:5000', TERM: 'xterm' };
    const units = renderSystemdUnits(linuxContext(env), systemdTemplates());
    const service = units.find((u) => u.name === 'escd.service')!.content;
    expect(service).toContain(`Environment="ESCD_HOME=${home.replace('%', '%%')}/escd"`);
    expect(service).toContain('Environment=ESCD_KEYSTORE=file');
    expect(service).toContain('Environment=AWS_ENDPOINT_URL_STS=http://127.0.0.1:5000');
    expect(service).not.toMatch(/^Environment="?TERM=/m); // only settings that change what the daemon does
    // Outside the runtime dir, the socket is named by its absolute path.
    expect(units.find((u) => u.name === 'escd.socket')!.content).toContain(`ListenStream=${home.replace('%', '%%')}/escd/run/escd.sock`);
    const result = await verify(units, runtimeDir);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('systemd-analyze catches a broken unit (the check above can fail)', async () => {
    if (!toolOrSkip('systemd-analyze')) return;
    const runtimeDir = join(dir, 'run-user3');
    await mkdir(runtimeDir, { mode: 0o700, recursive: true });
    const units = renderSystemdUnits(linuxContext({ HOME: join(dir, 'h3'), XDG_RUNTIME_DIR: runtimeDir }), systemdTemplates());
    const broken = units.map((u) => (u.name === 'escd.service' ? { ...u, content: u.content.replace('NoNewPrivileges=yes', 'NoNewPrivilege=yes') } : u));
    const result = await verify(broken, runtimeDir);
    expect(result.stderr).toMatch(/Unknown key/);
  });

  it('refuse paths that a unit file cannot hold safely', () => {
    const env = { HOME: '/home/a"b', XDG_RUNTIME_DIR: '/run/user/1000' };
    expect(() => renderSystemdUnits(linuxContext(env), systemdTemplates())).toThrow(EscdError);
  });
});

describe('launchd plist', () => {
  it('parses with plistlib and has the keys launchd needs', async () => {
    if (!toolOrSkip('python3')) return;
    const home = join(dir, 'Users', 'R&D <team>');
    const env = { HOME: home, TMPDIR: '/var/folders/xy/T/', ESCD_SOCKET: join(dir, 'sock', 'escd.sock') };
    const plist = renderLaunchdPlist(linuxContext(env), readTemplate('launchd/com.escd.daemon.plist'));
    const file = join(dir, plist.name);
    await writeFile(file, plist.content);
    const script = 'import json, plistlib, sys\nwith open(sys.argv[1], "rb") as f:\n    print(json.dumps(plistlib.load(f)))';
    const result = spawnSync('python3', ['-c', script, file], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    const parsed = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(parsed.Label).toBe('com.escd.daemon');
    expect(plist.name).toBe('com.escd.daemon.plist');
    expect(parsed.ProgramArguments).toEqual([process.execPath, '--max-semi-space-size=2', escdScript(), 'daemon']);
    expect(parsed.RunAtLoad).toBe(true);
    expect(parsed.KeepAlive).toEqual({ SuccessfulExit: false });
    expect(parsed.ProcessType).toBe('Background');
    expect(parsed.Umask).toBe(0o077);
    expect(parsed.StandardOutPath).toBe(join(home, 'Library', 'Logs', 'escd', 'escd.log'));
    expect(parsed.StandardErrorPath).toBe(join(home, 'Library', 'Logs', 'escd', 'escd.log'));
    const vars = parsed.EnvironmentVariables as Record<string, string>;
    expect(vars.HOME).toBe(home);
    expect(vars.ESCD_SOCKET).toBe(env.ESCD_SOCKET);
  });
});

describe('the daemon node options', () => {
  it('escd daemon --help names the options the units and escd start use', async () => {
    expect((await runCli(['daemon', '--help'])).stdout.replace(/\s+/g, ' ')).toContain(`node ${DAEMON_NODE_OPTIONS.join(' ')} …`);
  });
});
