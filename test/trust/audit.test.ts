// Issue 12, finding 6: an audit log that cannot be written shows in `escd status` (and --json) and in
// `escd doctor`; with `audit.required: true` in config.yaml the daemon refuses to serve credentials
// meanwhile, with one line saying why. The failure is a directory in the log's place (it fails the
// open even for root, as CI runs, where a chmod would not).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../../src/protocol/client.js';
import { assertBuilt, CLI, runCli } from '../support/cli.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

describe('an audit log that cannot be written', () => {
  let home: TmpHome;
  let daemon: ChildProcess;
  let socket: string;
  let auditLog: string;
  let stderr = '';
  const cli = (args: string[]) => runCli(args, { env: home.env });
  const configFile = (): string => join(home.env.ESCD_HOME!, 'config.yaml');

  beforeAll(async () => {
    assertBuilt();
    home = await makeTmpHome('escd-audit-');
    const dir = join(home.env.ESCD_HOME!, 'environments', 'proj');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'ok.yaml'), 'values:\n  greeting: hello\n');
    writeFileSync(configFile(), 'audit:\n  required: false\n');
    auditLog = join(home.env.ESCD_HOME!, 'state', 'audit.log');
    mkdirSync(auditLog, { recursive: true });
    socket = join(home.env.ESCD_HOME!, 'run', 'escd.sock');
    daemon = spawn(process.execPath, [CLI, 'daemon'], { env: { PATH: process.env.PATH ?? '', ...home.env }, stdio: ['ignore', 'ignore', 'pipe'] });
    daemon.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    for (let i = 0; i < 200; i++) {
      if ((await request(socket, 'ping', {}, 1_000).catch(() => undefined))?.ok) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  afterAll(async () => {
    if (daemon.exitCode === null) {
      daemon.kill('SIGTERM');
      await new Promise((r) => daemon.once('exit', r));
    }
    await home.cleanup();
  });

  /** Waits (on the daemon's log, no clock) until it has logged `text`. */
  const logged = async (text: string): Promise<void> => {
    while (!stderr.includes(text)) await new Promise((r) => daemon.stderr!.once('data', r));
  };

  it('is served anyway by default, and shown in status, status --json and doctor', async () => {
    const served = await request(socket, 'env.open', { env: 'proj/ok' });
    expect(served.ok, stderr).toBe(true);
    await logged(`cannot write the audit log ${auditLog}: EISDIR`);

    const json = JSON.parse((await cli(['status', '--json'])).stdout) as { daemon: { audit: Record<string, unknown> } };
    expect(json.daemon.audit).toMatchObject({ file: auditLog, ok: false, error: 'EISDIR', required: false, dropped: expect.any(Number), failingSince: expect.any(String) });
    const human = (await cli(['status'])).stdout;
    expect(human).toMatch(new RegExp(`audit log +CANNOT WRITE ${auditLog} \\(EISDIR\\) for \\d+s: \\d+ line\\(s\\) lost, credentials are served without audit lines`));

    const doctor = JSON.parse((await cli(['doctor', '--json', '--offline'])).stdout) as { checks: { id: string; status: string; detail: string; fix?: string }[] };
    expect(doctor.checks.find((c) => c.id === 'audit')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(`the daemon cannot write ${auditLog} (EISDIR)`),
      fix: `${auditLog} is a directory: move it out of the way`,
    });
  });

  it('with audit.required: true, refuses to serve while it cannot be written, and serves again once it can', async () => {
    writeFileSync(configFile(), 'audit:\n  required: true\n');
    daemon.kill('SIGHUP');
    await logged('configuration reloaded; dropped');

    const refused = await request(socket, 'env.open', { env: 'proj/ok' });
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'io', message: `refusing to serve credentials: the audit log ${auditLog} cannot be written (EISDIR), and config.yaml sets audit.required: true` },
    });
    const shown = await cli(['open', 'proj/ok']);
    expect(shown.code).not.toBe(0);
    expect(shown.stderr).toBe(`escd: refusing to serve credentials: the audit log ${auditLog} cannot be written (EISDIR), and config.yaml sets audit.required: true\n`);
    expect((JSON.parse((await cli(['status', '--json'])).stdout) as { daemon: { audit: { required: boolean } } }).daemon.audit.required).toBe(true);

    rmSync(auditLog, { recursive: true });
    const again = await request(socket, 'env.open', { env: 'proj/ok' });
    expect(again.ok).toBe(true);
    const json = JSON.parse((await cli(['status', '--json'])).stdout) as { daemon: { audit: Record<string, unknown> } };
    expect(json.daemon.audit).toMatchObject({ ok: true, required: true });
    expect(json.daemon.audit.error).toBeUndefined();
    expect((await cli(['status'])).stdout).toMatch(new RegExp(`audit log +${auditLog} \\(required\\), \\d+ line\\(s\\) lost earlier`));
    expect(daemon.exitCode).toBeNull();
  });
});
