// The daemon killed with SIGKILL (issue 7): mid-request, and at random moments while it creates its
// signing key and writes its files. The real `escd daemon` (dist/) in throwaway homes, moto behind the
// fault proxy as STS. Afterwards: the shim reports the loss in one line or recovers by starting a new
// daemon, the stale socket is replaced, and every file the daemon writes is whole (audit log lines,
// the key store, the issuer's key state, the backend record) with no key lost.
import { spawn } from 'node:child_process';
import { closeSync, cpSync, existsSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../../src/protocol/client.js';
import { assertBuilt, CLI, ROOT, runCli, runShim } from '../support/cli.js';
import { e2eSkipReason, motoMissing, startMoto, type Moto } from '../support/moto.js';
import { startStsFaultProxy, type StsFaultProxy } from '../support/sts-fault-proxy.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';
import { awsLoginEnvironment } from '../support/environments.js';

const skip = e2eSkipReason(motoMissing());
const SECRET = 'kill-test-secret-5b1d';

const LOGIN = awsLoginEnvironment({ roleArn: 'arn:aws:iam::123456789012:role/dev', sessionName: 'kill' });

const PAUSE_HOOK = join(ROOT, 'test', 'support', 'pause-atomic-write.cjs');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The process exists and is not a zombie (a detached daemon is reaped by init, maybe not at once). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc (not Linux): signal 0 is all we can ask
  }
}

/** Every file under `dir`, relative. */
function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  walk(dir);
  return out.sort();
}

const auditLines = (home: TmpHome): number => {
  const audit = join(home.env.ESCD_HOME!, 'state', 'audit.log');
  return existsSync(audit) ? readFileSync(audit, 'utf8').split('\n').filter(Boolean).length : 0;
};

describe.skipIf(skip)('the daemon killed with SIGKILL', () => {
  let moto: Moto;
  let proxy: StsFaultProxy;
  let template: TmpHome;
  const homes: TmpHome[] = [];
  const pids = new Set<number>();

  /** A fresh home from the template: config, environments, and the data key `escd env set --secret` made. */
  async function freshHome(): Promise<TmpHome> {
    const home = await makeTmpHome('escd-kill-');
    homes.push(home);
    cpSync(template.env.ESCD_HOME!, home.env.ESCD_HOME!, { recursive: true });
    return home;
  }

  async function start(home: TmpHome): Promise<number> {
    const r = await runCli(['start'], { env: home.env });
    expect(r.code, r.stderr).toBe(0);
    const pid = Number(/pid (\d+)/.exec(r.stdout)?.[1]);
    pids.add(pid);
    return pid;
  }

  async function daemonPid(home: TmpHome): Promise<number | undefined> {
    const r = await request(join(home.env.ESCD_HOME!, 'run', 'escd.sock'), 'ping', {}).catch(() => undefined);
    const pid = r?.ok ? (r.result as { pid: number }).pid : undefined;
    if (pid) pids.add(pid);
    return pid;
  }

  async function kill(pid: number): Promise<void> {
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 500 && alive(pid); i++) await sleep(10);
    expect(alive(pid)).toBe(false);
  }

  /**
   * The daemon's files are whole: audit lines, key store, issuer state, backend record. Right after a
   * kill a temporary file of an interrupted atomic write may remain (the next daemon removes it);
   * with `noTemps` none may.
   */
  function expectFilesWhole(home: TmpHome, what: string, noTemps = true): { kids: string[] } {
    const state = join(home.env.ESCD_HOME!, 'state');
    const audit = join(state, 'audit.log');
    if (existsSync(audit)) {
      for (const line of readFileSync(audit, 'utf8').split('\n').filter(Boolean)) expect(() => JSON.parse(line), `${what}: audit line ${line}`).not.toThrow();
    }
    const keystore = join(state, 'keys', 'keystore.json');
    expect(statSync(keystore).mode & 0o777, what).toBe(0o600);
    const keys = JSON.parse(readFileSync(keystore, 'utf8')) as Record<string, unknown>;
    expect(JSON.parse(readFileSync(join(state, 'keys', 'backend.json'), 'utf8')), what).toMatchObject({ backend: 'file' });
    const signing = join(state, 'oidc', 'signing-keys.json');
    const kids = existsSync(signing) ? (JSON.parse(readFileSync(signing, 'utf8')) as { keys: { kid: string }[] }).keys.map((k) => k.kid) : [];
    const stored = JSON.stringify(keys);
    for (const kid of kids) expect(stored, `${what}: the private key of ${kid} is in the key store`).toContain(`oidc-signing-key:${kid}`);
    const leftovers = files(home.env.ESCD_HOME!).filter((f) => f.endsWith('.tmp'));
    if (noTemps) expect(leftovers, what).toEqual([]);
    for (const f of leftovers) expect(statSync(join(home.env.ESCD_HOME!, f)).mode & 0o777, `${what}: ${f}`).toBe(0o600);
    expect(stored, `${what}: the data key is still there`).toContain('secrets-data-key');
    return { kids };
  }

  beforeAll(async () => {
    assertBuilt();
    moto = await startMoto();
    proxy = await startStsFaultProxy(moto.endpoint);
    template = await makeTmpHome('escd-kill-t-');
    const escdHome = template.env.ESCD_HOME!;
    await mkdir(join(escdHome, 'environments', 'proj'), { recursive: true });
    await writeFile(join(escdHome, 'config.yaml'), `org: acme\nuser: alice\naws:\n  region: us-east-1\n  stsEndpoint: ${proxy.url}\n`);
    await writeFile(join(escdHome, 'environments', 'proj', 'dev.yaml'), LOGIN);
    await writeFile(join(escdHome, 'environments', 'proj', 'static.yaml'), 'values:\n  environmentVariables:\n    AWS_ACCESS_KEY_ID: AKIAKILLTEST\n');
    // In process: a daemon started here would leave its socket in the template, which cpSync cannot copy.
    const set = await runCli(['env', 'set', 'proj/static', 'environmentVariables.AWS_SECRET_ACCESS_KEY', SECRET, '--secret'], {
      env: { ...template.env, ESCD_NO_DAEMON: '1' },
    });
    expect(set.code, set.stderr).toBe(0);
  });

  afterAll(async () => {
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await proxy?.close();
    await moto?.stop();
    for (const home of [template, ...homes]) await home?.cleanup();
  });

  it('mid-request: the shim asks again, which starts a new daemon over the stale socket, and gets its answer', async () => {
    const home = await freshHome();
    const pid = await start(home);
    proxy.mode = 'hang'; // the daemon is waiting on STS when it dies
    const before = proxy.requests;
    const asking = runShim(['aws', 'proj/dev'], { env: home.env, timeoutMs: 30_000 });
    for (let i = 0; i < 500 && proxy.requests === before; i++) await sleep(10);
    expect(proxy.requests).toBeGreaterThan(before);
    const socket = join(home.env.ESCD_HOME!, 'run', 'escd.sock');
    await kill(pid);
    proxy.mode = 'pass';
    const recovered = await asking;
    expect(statSync(socket).isSocket()).toBe(true); // left behind by the dead daemon
    expect(recovered.stderr).toBe('');
    expect(recovered.code).toBe(0);
    expect(JSON.parse(recovered.stdout)).toMatchObject({ Version: 1, AccessKeyId: expect.stringMatching(/^ASIA/) });
    const next = await daemonPid(home);
    expect(next).toBeDefined();
    expect(next).not.toBe(pid);
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    const log = readFileSync(join(home.env.ESCD_HOME!, 'state', 'daemon.log'), 'utf8');
    expect(log).toContain(`listening on ${socket}, pid ${next}`); // it took over the stale socket
    expect(log).not.toMatch(/\n\s+at /);
    expectFilesWhole(home, 'mid-request');
  });

  /** The marker file the pause hook creates once it holds a half-written file. */
  const pauseMarker = (home: TmpHome): string => join(home.dir, 'paused-in-atomic-write');

  /** `escd daemon` with the pause hook preloaded, started as `escd start` starts it (detached, output to the log). */
  async function startPaused(home: TmpHome): Promise<number> {
    const socket = join(home.env.ESCD_HOME!, 'run', 'escd.sock');
    const log = openSync(join(home.dir, 'daemon.log'), 'a', 0o600);
    const child = spawn(process.execPath, ['--require', PAUSE_HOOK, CLI, 'daemon', '--socket', socket], {
      detached: true,
      stdio: ['ignore', log, log],
      env: { PATH: process.env.PATH ?? '', ...home.env, ESCD_TEST_PAUSE_MARKER: pauseMarker(home) },
    });
    closeSync(log);
    child.unref();
    pids.add(child.pid!);
    for (let i = 0; i < 500 && !(await daemonPid(home)); i++) await sleep(10);
    expect(await daemonPid(home)).toBe(child.pid);
    return child.pid!;
  }

  // When to kill: before anything is written, in the middle of an atomic write (its temporary file
  // exists), between the private key landing in the key store and the key state naming it, and after.
  const moments: [string, (home: TmpHome) => boolean][] = [
    ['at once', () => true],
    // A test hook holds the daemon's first atomic write between writing its temporary file and the
    // rename (test/support/pause-atomic-write.cjs) and says so with a marker file: no race to catch it.
    ['while a file is half written (its .tmp exists)', (home) => existsSync(pauseMarker(home))],
    ['after the private key is stored, before the key state names it', (home) => {
      const keystore = join(home.env.ESCD_HOME!, 'state', 'keys', 'keystore.json');
      return existsSync(keystore) && readFileSync(keystore, 'utf8').includes('oidc-signing-key:');
    }],
    ['once the key state is written', (home) => existsSync(join(home.env.ESCD_HOME!, 'state', 'oidc', 'signing-keys.json'))],
    ['while audit lines are being written', (home) => auditLines(home) > 0],
  ];

  it.each(moments)('killed %s: nothing is half-written, no key is lost, a new daemon serves', async (_moment, due) => {
    const home = await freshHome();
    const paused = due === moments[1]![1];
    const pid = paused ? await startPaused(home) : await start(home);
    const socket = join(home.env.ESCD_HOME!, 'run', 'escd.sock');
    // First use: the issuer key is generated and written, the backend recorded, audit lines appended.
    const burst = [
      ...Array.from({ length: 10 }, () => request(socket, 'aws.credentials', { env: 'proj/dev' }, 10_000)),
      ...Array.from({ length: 10 }, (_, i) =>
        request(socket, 'kube.credentials', { env: 'proj/static', cluster: `c${i}`, oidc: true, audience: 'kubernetes', apiVersion: 'client.authentication.k8s.io/v1' }, 10_000),
      ),
      ...Array.from({ length: 10 }, () => request(socket, 'env.open', { env: 'proj/static', showSecrets: true }, 10_000)),
    ].map((p) => p.then((r) => (r.ok ? 'ok' : r.error.code), (e: Error) => e.message));
    // Let the requests go out, then watch without yielding: some of these moments last milliseconds
    // (an atomic write between its open and its rename), and the daemon is another process.
    await sleep(20);
    const deadline = Date.now() + 15_000;
    if (paused) while (!due(home) && Date.now() < deadline) await sleep(10); // the paused state lasts: waiting may yield
    while (!due(home) && Date.now() < deadline);
    expect(due(home), 'the moment came').toBe(true);
    await kill(pid);
    const outcomes = await Promise.all(burst); // every request ends: answered, or told the connection was lost
    for (const o of outcomes) expect(o).toMatch(/^ok$|closed the connection without answering|ECONNRESET|EPIPE|ECONNREFUSED|ENOENT/);
    const { kids: killedWith } = expectFilesWhole(home, 'after the kill', false);
    const temps = files(home.env.ESCD_HOME!).filter((f) => f.endsWith('.tmp'));
    if (paused) expect(temps.length, 'a temporary file was left half written').toBeGreaterThan(0);
    console.log(`killed ${_moment}: ${outcomes.filter((o) => o === 'ok').length}/${outcomes.length} answered, signing key ${killedWith.length ? 'made' : 'not made yet'}, ${auditLines(home)} audit lines, temporary files left: ${temps.join(' ') || 'none'}`);

    // A new daemon (started by the shim) serves from the same files: the same signing key if one was made, the same data key.
    const aws = await runShim(['aws', 'proj/dev'], { env: home.env, timeoutMs: 30_000 });
    expect(aws.stderr).toBe('');
    const open = await request(socket, 'env.open', { env: 'proj/static', showSecrets: true });
    expect(open.ok && JSON.stringify(open.result)).toContain(SECRET);
    const { kids } = expectFilesWhole(home, 'after the restart');
    expect(kids.length).toBe(1);
    if (killedWith.length > 0) expect(kids).toEqual(killedWith);
    const next = await daemonPid(home);
    process.kill(next!, 'SIGTERM');
    for (let i = 0; i < 500 && alive(next!); i++) await sleep(10);
  });
});
