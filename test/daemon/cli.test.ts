// `escd daemon | start | stop | restart | status | flush` as a user runs them: the built CLI, a real
// daemon with the real runtime, in a throwaway home.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../../src/protocol/client.js';
import { assertBuilt, runCli } from '../support/cli.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

let home: TmpHome;
let socket: string;
const pids = new Set<number>();

const ENV_FILE = `values:
  region: eu-central-1
  environmentVariables:
    AWS_ACCESS_KEY_ID: AKIASTATICEXAMPLE
    AWS_SECRET_ACCESS_KEY: static-secret-value-123
    AWS_REGION: \${region}
`;

beforeAll(async () => {
  assertBuilt();
  home = await makeTmpHome('escd-cli-');
  socket = join(home.env.ESCD_HOME!, 'run', 'escd.sock');
  const envDir = join(home.env.ESCD_HOME!, 'environments', 'default');
  mkdirSync(envDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(envDir, 'dev.yaml'), ENV_FILE, { mode: 0o600 });
});

afterAll(async () => {
  await runCli(['stop'], { env: home.env });
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await home.cleanup();
});

describe('escd lifecycle commands', () => {
  it('status without a daemon says so and exits 3', async () => {
    const plain = await runCli(['status'], { env: home.env });
    expect(plain.code).toBe(3);
    expect(plain.stderr.trim().split('\n')).toHaveLength(1);
    expect(plain.stderr).toContain('no escd daemon is running');
    const json = await runCli(['status', '--json'], { env: home.env });
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toEqual({ running: false, socket });
    // Nothing to flush or stop is an answer, not an error.
    const flush = await runCli(['flush', '--json'], { env: home.env });
    expect(flush.code).toBe(0);
    expect(JSON.parse(flush.stdout)).toEqual({ running: false, flushed: 0 });
    const stop = await runCli(['stop', '--json'], { env: home.env });
    expect(stop.code).toBe(0);
    expect(JSON.parse(stop.stdout)).toEqual({ stopped: false, socket });
  });

  it('start reports why the daemon could not start, in one line', async () => {
    const broken = await makeTmpHome('escd-cli-bad-');
    try {
      mkdirSync(broken.env.ESCD_HOME!, { recursive: true });
      writeFileSync(join(broken.env.ESCD_HOME!, 'config.yaml'), 'aws: [\n');
      const res = await runCli(['start'], { env: broken.env });
      expect(res.code).toBe(1);
      expect(res.stderr.trim().split('\n')).toHaveLength(1);
      expect(res.stderr).toMatch(/^escd: the daemon did not start: .*config\.yaml.* \(log: .*daemon\.log\)$/m);
    } finally {
      await broken.cleanup();
    }
  });

  it('start brings the daemon up once; a second start is a no-op', async () => {
    const first = await runCli(['start'], { env: home.env });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const pid = Number(/pid (\d+)/.exec(first.stdout)?.[1]);
    pids.add(pid);
    expect(first.stdout).toMatch(/^escd daemon started \(pid \d+, socket .*escd\.sock\)$/m);
    const second = await runCli(['start'], { env: home.env });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`already running (pid ${pid}`);
    const json = await runCli(['start', '--json'], { env: home.env });
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout)).toEqual({ pid, socket, started: false });
  });

  it('a foreground daemon on the same socket refuses to start (exit 1, one line)', async () => {
    const res = await runCli(['daemon'], { env: home.env, timeoutMs: 10_000 });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/another escd daemon is already listening on .*escd\.sock/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it('serves an environment and status shows it; flush drops it', async () => {
    const creds = await request(socket, 'aws.credentials', { env: 'dev' });
    expect(creds).toMatchObject({ ok: true, result: { Version: 1, AccessKeyId: 'AKIASTATICEXAMPLE', SecretAccessKey: 'static-secret-value-123' } });
    expect((creds as { result: object }).result).not.toHaveProperty('Expiration');
    const table = await runCli(['status'], { env: home.env });
    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^daemon\s+running, pid \d+, up \d+s, version \d+\.\d+\.\d+/m);
    expect(table.stdout).toMatch(/^key store\s+file \(/m);
    expect(table.stdout).toMatch(/^default\/dev\s+never\s+-\s+1\s+ok \d+s ago$/m);
    expect(table.stdout).not.toContain('static-secret-value-123');
    const json = JSON.parse((await runCli(['status', '--json'], { env: home.env })).stdout) as { running: boolean; environments: { environment: string }[] };
    expect(json.running).toBe(true);
    expect(json.environments.map((e) => e.environment)).toEqual(['default/dev']);
    expect((await runCli(['flush', 'dev'], { env: home.env })).stdout).toBe("flushed 'dev'\n");
    expect((await runCli(['flush', 'dev'], { env: home.env })).stdout).toBe("'dev' was not cached\n");
    expect((await runCli(['flush'], { env: home.env })).stdout).toBe('flushed 0 cached environments\n');
    expect((await request(socket, 'aws.credentials', { env: 'dev' })).ok).toBe(true);
    expect(JSON.parse((await runCli(['flush', 'dev', '--json'], { env: home.env })).stdout)).toEqual({ running: true, flushed: 1, env: 'dev' });
    expect((await request(socket, 'aws.credentials', { env: 'dev' })).ok).toBe(true);
    expect(JSON.parse((await runCli(['flush', '--json'], { env: home.env })).stdout)).toEqual({ running: true, flushed: 1 });
  });

  it('reports a broken environment with its file and line, and an unknown one as not found', async () => {
    const file = join(home.env.ESCD_HOME!, 'environments', 'default', 'broken.yaml');
    writeFileSync(file, 'values:\n  a: ${nope}\n', { mode: 0o600 });
    const res = await request(socket, 'aws.credentials', { env: 'broken' });
    expect(res).toMatchObject({ ok: false, error: { code: 'evaluation_failed', message: expect.stringContaining(`${file}:2:`) } });
    expect(await request(socket, 'aws.credentials', { env: 'absent' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await request(socket, 'aws.credentials', { env: '../../x' })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });

  it('keeps an audit log without secrets', async () => {
    const audit = join(home.env.ESCD_HOME!, 'state', 'audit.log');
    const deadline = Date.now() + 5_000;
    while (!existsSync(audit) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const text = readFileSync(audit, 'utf8');
    expect(text).toContain('"action":"aws.credentials"');
    expect(text).not.toContain('static-secret-value-123');
  });

  it('stop shuts it down and removes the socket; restart starts it again', async () => {
    const pid = await request(socket, 'ping', {}).then((r) => (r.ok ? (r.result as { pid: number }).pid : 0));
    const stopped = await runCli(['stop'], { env: home.env });
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toBe(`escd daemon stopped (pid ${pid})\n`);
    expect(existsSync(socket)).toBe(false);
    expect((await runCli(['stop'], { env: home.env })).stdout).toContain('not running');
    const restarted = await runCli(['restart'], { env: home.env });
    expect(restarted.code).toBe(0);
    const first = Number(/^escd daemon started \(pid (\d+), socket /.exec(restarted.stdout)?.[1]);
    pids.add(first);
    expect((await request(socket, 'ping', {})).ok).toBe(true);
    // Again, as JSON: a running daemon was stopped, and a new one started.
    const again = await runCli(['restart', '--json'], { env: home.env });
    expect(again.code, again.stderr).toBe(0);
    const result = JSON.parse(again.stdout) as { pid: number };
    pids.add(result.pid);
    expect(result).toEqual({ pid: expect.any(Number), socket, started: true, stopped: true });
    expect(result.pid).not.toBe(first);
    expect(await request(socket, 'ping', {})).toMatchObject({ ok: true, result: { pid: result.pid } });
  });

  it('SIGHUP reloads config.yaml: a change drops the cache, an invalid file is refused', async () => {
    const pid = (await request(socket, 'ping', {}).then((r) => (r.ok ? (r.result as { pid: number }).pid : 0)));
    const log = join(home.env.ESCD_HOME!, 'state', 'daemon.log');
    const waitForLog = async (text: string): Promise<void> => {
      const deadline = Date.now() + 5_000;
      while (!readFileSync(log, 'utf8').includes(text) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(readFileSync(log, 'utf8')).toContain(text);
    };
    expect((await request(socket, 'aws.credentials', { env: 'dev' })).ok).toBe(true);
    const config = join(home.env.ESCD_HOME!, 'config.yaml');
    writeFileSync(config, 'aws:\n  region: eu-west-3\n');
    process.kill(pid, 'SIGHUP');
    await waitForLog('configuration reloaded; dropped 1 cached environment(s)');
    writeFileSync(config, 'aws: [\n');
    process.kill(pid, 'SIGHUP');
    await waitForLog('configuration not reloaded, keeping the previous one: ');
    expect(readFileSync(log, 'utf8')).toMatch(/configuration not reloaded, keeping the previous one: .*config\.yaml/);
    expect((await request(socket, 'aws.credentials', { env: 'dev' })).ok).toBe(true);
  });
});
