// An environment file made unreadable, corrupted or deleted while the daemon holds its credentials
// (issue 7). The real `escd daemon` (dist/), moto behind the fault proxy as STS; the proxy makes the
// sessions short (66 s), so "until its credentials expire" is seconds of real time: the daemon stops
// serving a session with under 60 s left.
//
// Unreadable needs a daemon that permissions apply to: as root (where chmod 000 changes nothing for
// the reader) the daemon runs as uid 65534 through setpriv, in a home that user owns, from a bundle of
// the CLI in a readable temp dir (that user may not be able to read the clone: a 0700 parent directory).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../../src/protocol/client.js';
import type { Response } from '../../src/protocol/wire.js';
import { assertBuilt, CLI, runCli } from '../support/cli.js';
import { readableCli, type ReadableCli } from '../support/readable-cli.js';
import { e2eSkipReason, motoMissing, startMoto, type Moto } from '../support/moto.js';
import { startStsFaultProxy, type StsFaultProxy } from '../support/sts-fault-proxy.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';
import { awsLoginEnvironment } from '../support/environments.js';

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
const setpriv = spawnSync('sh', ['-c', 'command -v setpriv'], { encoding: 'utf8' }).stdout.trim();
const asOther = isRoot && setpriv ? undefined : isRoot ? 'running as root without setpriv: chmod 000 would not stop the daemon reading, and no other user to run it as' : undefined;
const skip = e2eSkipReason(motoMissing()) ?? asOther;
if (asOther) console.warn(`skipping the unreadable-file test: ${asOther}`);

const SESSION_SECONDS = 66;
const FAULTS = ['unreadable', 'corrupted', 'deleted'] as const;
type Fault = (typeof FAULTS)[number];

const environment = (fault: Fault): string => awsLoginEnvironment({ roleArn: 'arn:aws:iam::123456789012:role/dev', sessionName: fault });

interface Creds {
  AccessKeyId: string;
  Expiration: string;
}

describe.skipIf(skip)('environment files that go bad while cached (real daemon)', () => {
  let moto: Moto;
  let proxy: StsFaultProxy;
  let home: TmpHome;
  let daemon: ChildProcess | undefined;
  let bundled: ReadableCli | undefined;
  let socket: string;
  let stderr = '';
  const file = (fault: Fault): string => join(home.env.ESCD_HOME!, 'environments', 'proj', `${fault}.yaml`);

  /** As root, hands the home to uid 65534 (the daemon's user); otherwise nothing to do. */
  const handOver = (path: string): void => {
    if (!isRoot) return;
    const walk = (p: string): void => {
      chownSync(p, NOBODY, NOBODY);
      if (statSync(p).isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
    };
    walk(path);
  };

  // As root the daemon is uid 65534's: clients refuse another user's socket unless told whose to expect.
  const owner = isRoot ? NOBODY : undefined;
  const ask = (fault: Fault): Promise<Response> => request(socket, 'aws.credentials', { env: `proj/${fault}` }, 10_000, owner);
  /** `escd status` as the daemon's user (root's escd rightly refuses uid 65534's socket). */
  const statusCli = (args: string[]) =>
    bundled
      ? new Promise<{ stdout: string }>((resolve) => {
          const child = spawn(setpriv, ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', process.execPath, bundled!.script, ...args], {
            env: { PATH: process.env.PATH ?? '', ...home.env },
            stdio: ['ignore', 'pipe', 'ignore'],
          });
          let stdout = '';
          child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
          child.on('close', () => resolve({ stdout }));
        })
      : runCli(args, { env: home.env });

  beforeAll(async () => {
    assertBuilt();
    moto = await startMoto();
    proxy = await startStsFaultProxy(moto.endpoint);
    proxy.sessionSeconds = SESSION_SECONDS;
    home = await makeTmpHome('escd-envfault-');
    const escdHome = home.env.ESCD_HOME!;
    await mkdir(join(escdHome, 'environments', 'proj'), { recursive: true });
    await writeFile(join(escdHome, 'config.yaml'), `org: acme\nuser: alice\naws:\n  region: us-east-1\n  stsEndpoint: ${proxy.url}\n`);
    for (const fault of FAULTS) await writeFile(file(fault), environment(fault), { mode: 0o600 });
    handOver(home.dir);
    chmodSync(home.dir, 0o700);
    socket = join(escdHome, 'run', 'escd.sock');
    if (isRoot) bundled = await readableCli();
    const command = bundled ? [setpriv, '--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', process.execPath, bundled.script, 'daemon'] : [process.execPath, CLI, 'daemon'];
    daemon = spawn(command[0]!, command.slice(1), { env: { PATH: process.env.PATH ?? '', ...home.env }, stdio: ['ignore', 'ignore', 'pipe'] });
    daemon.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    for (let i = 0; i < 200; i++) {
      if ((await request(socket, 'ping', {}, 1_000, owner).catch(() => undefined))?.ok) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await request(socket, 'ping', {}, 10_000, owner)).ok, stderr).toBe(true);
  });

  afterAll(async () => {
    if (daemon && daemon.exitCode === null) {
      daemon.kill('SIGTERM');
      await new Promise((r) => daemon!.once('exit', r));
    }
    await proxy?.close();
    await moto?.stop();
    await home?.cleanup();
    await bundled?.cleanup();
  });

  it('serves the last good session until it expires, shows the error in status, and recovers when the file is fixed', async () => {
    if (isRoot) expect(statSync(socket).uid).toBe(NOBODY); // the daemon really is the other user
    const first = new Map<Fault, Creds>();
    for (const fault of FAULTS) {
      const res = await ask(fault);
      expect(res.ok, JSON.stringify(res)).toBe(true);
      first.set(fault, (res as { result: Creds }).result);
    }
    const texts = new Map(FAULTS.map((f) => [f, readFileSync(file(f), 'utf8')]));

    // The faults, while the sessions have seconds of servable life left.
    chmodSync(file('unreadable'), 0o000);
    writeFileSync(file('corrupted'), Buffer.concat([Buffer.from(texts.get('corrupted')!.slice(0, 40)), Buffer.from([0, 0xff, 0xfe, 0x0a, 0x7b, 0x5b])]));
    rmSync(file('deleted'));

    for (const fault of FAULTS) {
      const res = await ask(fault);
      expect(res.ok, `${fault}: ${JSON.stringify(res)}`).toBe(true);
      expect((res as { result: Creds }).result, fault).toEqual(first.get(fault)); // the last good session
    }
    const status = JSON.parse((await statusCli(['status', '--json'])).stdout) as {
      environments: { environment: string; stale: boolean; lastRefresh?: { ok: boolean; error?: { code: string; message: string } } }[];
    };
    const errors = new Map<Fault, string>();
    for (const fault of FAULTS) {
      const entry = status.environments.find((e) => e.environment === `proj/${fault}`)!;
      expect(entry, fault).toMatchObject({ stale: true, lastRefresh: { ok: false } });
      errors.set(fault, entry.lastRefresh!.error!.message);
      expect(entry.lastRefresh!.error!.message.split('\n'), fault).toHaveLength(1);
      expect(entry.lastRefresh!.error!.message, fault).toContain(file(fault));
    }
    expect(errors.get('unreadable')).toMatch(/EACCES/);
    // Read as a new revision of a hand-edited file, the corrupted text fails to parse at its file, line and column.
    expect(errors.get('corrupted')).toMatch(/corrupted\.yaml:\d+:\d+: error: \S/);
    expect(errors.get('deleted')).toMatch(/not found|does not exist/);
    const table = await statusCli(['status']);
    expect(table.stdout).toContain(errors.get('unreadable')!.slice(0, 60));

    // Once the sessions are within a minute of expiry they are not served any more: errors instead.
    const servableUntil = Math.max(...[...first.values()].map((c) => Date.parse(c.Expiration))) - 60_000;
    await new Promise((r) => setTimeout(r, Math.max(0, servableUntil - Date.now() + 1_000)));
    for (const fault of FAULTS) {
      const res = await ask(fault);
      expect(res.ok, `${fault} after expiry: ${JSON.stringify(res)}`).toBe(false);
      const message = (res as { error: { message: string } }).error.message;
      expect(message.split('\n')).toHaveLength(1);
      expect(message).not.toContain(first.get(fault)!.AccessKeyId);
    }

    // Fixed: each serves fresh credentials again.
    proxy.sessionSeconds = undefined;
    chmodSync(file('unreadable'), 0o600);
    writeFileSync(file('corrupted'), texts.get('corrupted')!);
    writeFileSync(file('deleted'), texts.get('deleted')!, { mode: 0o600 });
    handOver(join(home.env.ESCD_HOME!, 'environments'));
    for (const fault of FAULTS) {
      const res = await ask(fault);
      expect(res.ok, `${fault} fixed: ${JSON.stringify(res)}`).toBe(true);
      const creds = (res as { result: Creds }).result;
      expect(creds.AccessKeyId, fault).not.toBe(first.get(fault)!.AccessKeyId);
      expect(Date.parse(creds.Expiration) - Date.now(), fault).toBeGreaterThan(30 * 60_000);
    }
    const after = JSON.parse((await statusCli(['status', '--json'])).stdout) as { environments: { environment: string; stale: boolean; lastRefresh?: { ok: boolean } }[] };
    for (const fault of FAULTS) expect(after.environments.find((e) => e.environment === `proj/${fault}`), fault).toMatchObject({ stale: false, lastRefresh: { ok: true } });
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
