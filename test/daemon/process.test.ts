// The daemon as a real process: signals, stale and live sockets, systemd socket activation.
// Runs the fake-backend daemon from dist/ (`npm test` builds first).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { request } from '../../src/protocol/client.js';
import { runDaemon } from '../../daemon/main.js';
import { systemClock } from '../../src/clock/clock.js';
import { FakeSource } from '../cache/fake-source.js';
import { fakeBackend } from './harness.js';
import { runShim } from '../support/cli.js';

const FIXTURE = fileURLToPath(new URL('../../dist/test/daemon/fixtures/fake-daemon.js', import.meta.url));
const dirs: string[] = [];
const children: ChildProcess[] = [];

interface Running {
  child: ChildProcess;
  stderr: () => string;
  exit: Promise<number | null>;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'escd-p-'));
  dirs.push(dir);
  return dir;
}

function launch(command: string, args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(command, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout!.resume();
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr: () => stderr, exit };
}

const fakeDaemon = (socket: string, dir: string, env: Record<string, string> = {}): Running => launch(process.execPath, [FIXTURE, socket, dir], env);

async function waitForPing(socket: string, ms = 10_000, daemon?: Running): Promise<{ pid: number }> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const res = await request(socket, 'ping', {}, 1_000);
      if (res.ok) return res.result as { pid: number };
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`no daemon answered on ${socket}${daemon ? `; its stderr: ${daemon.stderr()}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('daemon process', () => {
  it('exists in dist (run `npm run build` first)', () => {
    expect(existsSync(FIXTURE)).toBe(true);
  });

  it('SIGTERM finishes the in-flight request, removes the socket and exits 0', async () => {
    const dir = tempDir();
    const socket = join(dir, 'run', 'escd.sock');
    const d = fakeDaemon(socket, dir, { FAKE_LATENCY_MS: '700' });
    await waitForPing(socket, 10_000, d);
    const inFlight = request(socket, 'aws.credentials', { env: 'dev' });
    await new Promise((r) => setTimeout(r, 150));
    d.child.kill('SIGTERM');
    const answer = await inFlight;
    expect(answer.ok).toBe(true);
    expect(await d.exit).toBe(0);
    expect(existsSync(socket)).toBe(false);
    expect(d.stderr()).toContain('stopping (SIGTERM)');
  });

  it('a second daemon never steals a live socket: it exits 1 with a clear message', async () => {
    const dir = tempDir();
    const socket = join(dir, 'run', 'escd.sock');
    const first = fakeDaemon(socket, dir);
    const { pid } = await waitForPing(socket);
    const second = fakeDaemon(socket, dir);
    expect(await second.exit).toBe(1);
    expect(second.stderr()).toMatch(/another escd daemon is already listening on .*escd\.sock/);
    expect(second.stderr()).not.toMatch(/\n\s+at /); // no stack trace
    expect((await waitForPing(socket)).pid).toBe(pid);
    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);
  });

  it('replaces the stale socket of a killed daemon', async () => {
    const dir = tempDir();
    const socket = join(dir, 'run', 'escd.sock');
    const first = fakeDaemon(socket, dir);
    await waitForPing(socket);
    first.child.kill('SIGKILL');
    await first.exit;
    expect(statSync(socket).isSocket()).toBe(true); // left behind
    const second = fakeDaemon(socket, dir);
    const { pid } = await waitForPing(socket);
    expect(pid).toBe(second.child.pid);
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    second.child.kill('SIGTERM');
    expect(await second.exit).toBe(0);
  });

  it('refuses connections from another user (0700 directory, 0600 socket)', async () => {
    const setpriv = spawnSync('sh', ['-c', 'command -v setpriv'], { encoding: 'utf8' }).stdout.trim();
    if (process.getuid?.() !== 0 || !setpriv) {
      console.warn('skipped: needs root and setpriv to act as another user');
      return;
    }
    const dir = tempDir();
    const socket = join(dir, 'run', 'escd.sock');
    const d = fakeDaemon(socket, dir);
    await waitForPing(socket, 10_000, d);
    // Even with the directory opened up, the 0600 socket alone keeps another user out.
    chmodSync(dir, 0o755);
    chmodSync(join(dir, 'run'), 0o755);
    const probe = `require('net').connect(${JSON.stringify(socket)}).on('connect',()=>{console.log('CONNECTED');process.exit(0)}).on('error',e=>{console.log(e.code);process.exit(0)})`;
    const asNobody = spawnSync(setpriv, ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', probe], { encoding: 'utf8' });
    expect(asNobody.stdout.trim()).toBe('EACCES');
    chmodSync(join(dir, 'run'), 0o700);
    const blocked = spawnSync(setpriv, ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', probe], { encoding: 'utf8' });
    expect(blocked.stdout.trim()).toBe('EACCES');
    d.child.kill('SIGTERM');
    expect(await d.exit).toBe(0);
  });

  it('of daemons started at once over a stale socket, exactly one serves', async () => {
    const dir = tempDir();
    const socket = join(dir, 'run', 'escd.sock');
    const stale = fakeDaemon(socket, dir);
    await waitForPing(socket);
    stale.child.kill('SIGKILL');
    await stale.exit;
    const racers = Array.from({ length: 5 }, () => fakeDaemon(socket, dir));
    const { pid } = await waitForPing(socket);
    const codes = await Promise.all(racers.filter((r) => r.child.pid !== pid).map((r) => r.exit));
    expect(codes).toEqual([1, 1, 1, 1]);
    // The losers never bound, so nothing of theirs removed the winner's socket.
    expect((await waitForPing(socket)).pid).toBe(pid);
    const winner = racers.find((r) => r.child.pid === pid)!;
    winner.child.kill('SIGTERM');
    expect(await winner.exit).toBe(0);
    expect(existsSync(`${socket}.lock`)).toBe(false);
  });

  it('SIGHUP reloads the configuration and keeps serving', async () => {
    const dir = tempDir();
    const socket = join(dir, 'run', 'escd.sock');
    const d = fakeDaemon(socket, dir);
    await waitForPing(socket);
    d.child.kill('SIGHUP');
    const deadline = Date.now() + 5_000;
    while (!d.stderr().includes('configuration reloaded') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(d.stderr()).toContain('configuration reloaded; dropped 0 cached environment(s)');
    expect((await request(socket, 'aws.credentials', { env: 'dev' })).ok).toBe(true);
    d.child.kill('SIGTERM');
    expect(await d.exit).toBe(0);
  });

  it('serves a socket passed by systemd socket activation (LISTEN_FDS, fd 3)', async () => {
    const activate = spawnSync('sh', ['-c', 'command -v systemd-socket-activate'], { encoding: 'utf8' }).stdout.trim();
    if (!activate) {
      if (process.env.ESCD_REQUIRE_E2E) throw new Error('systemd-socket-activate is required (package systemd)');
      console.warn('skipped: systemd-socket-activate not installed');
      return;
    }
    const dir = tempDir();
    const socket = join(dir, 'activated.sock');
    // systemd-socket-activate binds the socket, waits for a client, then execs the daemon with
    // LISTEN_FDS=1 and LISTEN_PID set to its own pid, which exec keeps: exactly what systemd does.
    const configured = join(dir, 'unused', 'escd.sock');
    const d = launch(activate, ['-l', socket, process.execPath, FIXTURE, configured, dir]);
    const deadline = Date.now() + 10_000;
    while (!existsSync(socket) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const status = await request(socket, 'status', {}, 10_000);
    expect(status).toMatchObject({ ok: true, result: { daemon: { socketActivated: true, socket: configured } } });
    expect((await request(socket, 'aws.credentials', { env: 'dev' })).ok).toBe(true);
    // And the way AWS tools get it: the shim through the activated socket.
    const shim = await runShim(['aws', 'dev'], { env: { ESCD_SOCKET: socket, HOME: dir } });
    expect(shim.stderr).toBe('');
    expect(shim.code).toBe(0);
    expect(JSON.parse(shim.stdout)).toMatchObject({ Version: 1, AccessKeyId: expect.stringMatching(/^ASIAFAKE/) });
    expect(existsSync(configured)).toBe(false); // it did not bind a socket of its own
    d.child.kill('SIGTERM');
    expect(await d.exit).toBe(0);
  });
});

describe('socket placement (in process)', () => {
  async function tryListen(socket: string): Promise<{ code: number; logs: string[] }> {
    const dir = tempDir();
    const source = new FakeSource(join(dir, 'environments'), systemClock);
    const logs: string[] = [];
    const code = await runDaemon({
      socketPath: socket,
      auditFile: join(dir, 'audit.log'),
      backend: fakeBackend(source, systemClock),
      clock: systemClock,
      version: 't',
      env: {},
      signals: false,
      log: (m) => logs.push(m),
      cache: { watch: false },
    });
    return { code, logs };
  }

  it('refuses a socket directory other users can enter', async () => {
    const dir = join(tempDir(), 'shared');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const { code, logs } = await tryListen(join(dir, 'escd.sock'));
    expect(code).toBe(1);
    expect(logs[0]).toMatch(/other users can enter it \(mode 0755\); run `chmod 700 /);
  });

  it('refuses to replace a file that is not a socket', async () => {
    const dir = tempDir();
    const socket = join(dir, 'escd.sock');
    writeFileSync(socket, 'precious');
    const { code, logs } = await tryListen(socket);
    expect(code).toBe(1);
    expect(logs[0]).toContain('is not a socket');
    expect(existsSync(socket)).toBe(true);
  });
});
