// Finding 3 of issue 12 against the real daemon: an environment whose references copy the previous
// level ten times (r1..r9) ends in a diagnostic; the daemon stays up and keeps serving the others.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../../src/protocol/client.js';
import { assertBuilt, CLI } from '../support/cli.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';
import { expandingEnvironment } from '../support/hostile.js';

describe('a hostile environment in the daemon', () => {
  let home: TmpHome;
  let daemon: ChildProcess;
  let socket: string;
  let stderr = '';

  beforeAll(async () => {
    assertBuilt();
    home = await makeTmpHome('escd-hostile-');
    const dir = join(home.env.ESCD_HOME!, 'environments', 'proj');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'ok.yaml'), 'values:\n  greeting: hello\n');
    writeFileSync(join(dir, 'bomb.yaml'), expandingEnvironment('array'));
    writeFileSync(join(dir, 'bombstr.yaml'), expandingEnvironment('string'));
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

  it('gives a diagnostic for each form, while the daemon keeps answering for the others', async () => {
    const ok = await request(socket, 'env.open', { env: 'proj/ok' });
    expect(ok.ok, stderr).toBe(true);
    const [bomb, bombstr, during] = await Promise.all([
      request(socket, 'env.open', { env: 'proj/bomb' }, 30_000),
      request(socket, 'env.open', { env: 'proj/bombstr' }, 30_000),
      request(socket, 'env.open', { env: 'proj/ok' }),
    ]);
    expect(bomb).toMatchObject({ ok: false, error: { code: 'evaluation_failed' } });
    expect(JSON.stringify(bomb)).toContain('more than 100000 values (evaluation limit)');
    expect(bombstr).toMatchObject({ ok: false, error: { code: 'evaluation_failed' } });
    expect(JSON.stringify(bombstr)).toContain('more than 16 MiB (evaluation limit)');
    expect(during.ok).toBe(true);
    expect((await request(socket, 'ping', {})).ok).toBe(true);
    expect(daemon.exitCode).toBeNull();
  }, 60_000);
});
