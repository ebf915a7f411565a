// Progress lines on a real terminal (a pty): `escd open` and `escd run` while they evaluate, `escd
// start | stop | restart` while they wait, `escd service install` while systemd enables the unit. The
// line goes to stderr, is gone before anything else is printed (or the child of `escd run` starts),
// and never reaches a redirected stdout.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli } from '../support/cli.js';
import { ptySkipReason, runCliInTerminal } from '../support/pty.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

const skip = ptySkipReason();
let home: TmpHome;
let env: Record<string, string>;

beforeAll(async () => {
  assertBuilt();
  home = await makeTmpHome('escd-progress-');
  env = { ...home.env };
  const dir = join(home.env.ESCD_HOME!, 'environments', 'default');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'dev.yaml'), 'values:\n  region: eu-central-1\n  environmentVariables:\n    REGION: ${region}\n');
});

afterAll(async () => {
  await runCli(['stop'], { env });
  await home.cleanup();
});

/** One frame of the spinner (`\r⠋ label\e[K`) or the clearing of its line (`\r\e[K`). */
const SPINNER = /\r[^\r\n]*\u001b\[K/g;
const withoutSpinner = (text: string): string => text.replace(SPINNER, '');
/** Everything the terminal showed after the spinner's line was cleared for the last time. */
const afterSpinner = (text: string): string => text.slice(text.lastIndexOf('\r\u001b[K') + 4);

describe.skipIf(skip)('progress on a terminal', () => {
  it('escd open: a line while evaluating, gone at the end; stdout (a file) holds only the data', async () => {
    const r = await runCliInTerminal(['open', 'dev', '--format', 'json'], { env });
    expect(r.code).toBe(0);
    expect(r.terminal).toMatch(/^\r. opening dev…\u001b\[K/);
    expect(r.terminal.endsWith('\r\u001b[K')).toBe(true);
    expect(withoutSpinner(r.terminal)).toBe('');
    expect(r.stdout).toBe((await runCli(['open', 'dev', '--format', 'json'], { env })).stdout);
    expect(JSON.parse(r.stdout)).toMatchObject({ region: 'eu-central-1' });
  });

  it('escd run: the line is gone before the child writes to the terminal', async () => {
    // No `${` in the arguments: escd run would fill it in from the environment's values.
    const child = ['--', process.execPath, '-e', 'process.stdout.write("child sees " + process.env.REGION + "\\n")'];
    const r = await runCliInTerminal(['run', 'dev', ...child], { env, stdoutOnTerminal: true });
    expect(r.code).toBe(0);
    expect(r.terminal).toMatch(/^\r. opening dev…\u001b\[K/);
    expect(afterSpinner(r.terminal)).toBe('child sees eu-central-1\n');
    expect(withoutSpinner(r.terminal)).toBe('child sees eu-central-1\n');
  });

  it('escd start, stop and restart: a line while they wait, then their one-line report', async () => {
    await runCli(['stop'], { env }); // the daemon that `escd open` above started
    const started = await runCliInTerminal(['start'], { env, stdoutOnTerminal: true });
    expect(started.code).toBe(0);
    expect(started.terminal).toMatch(/^\r. starting the daemon…\u001b\[K/);
    expect(afterSpinner(started.terminal)).toMatch(/^escd daemon started \(pid \d+, socket \S+\)\n$/);

    const restarted = await runCliInTerminal(['restart'], { env, stdoutOnTerminal: true });
    expect(restarted.code).toBe(0);
    expect(restarted.terminal).toMatch(/^\r. stopping the daemon…\u001b\[K[\s\S]*\r. starting the daemon…\u001b\[K/);
    expect(withoutSpinner(restarted.terminal)).toMatch(/^escd daemon started \(pid \d+, socket \S+\)\n$/);

    const stopped = await runCliInTerminal(['stop', '--json'], { env, stdoutOnTerminal: true });
    expect(stopped.code).toBe(0);
    expect(stopped.terminal).toMatch(/^\r. stopping the daemon…\u001b\[K/);
    expect(JSON.parse(afterSpinner(stopped.terminal))).toMatchObject({ stopped: true });
  });

  it('escd service install: a line while the service manager enables the unit', async () => {
    if (process.platform !== 'linux') return void console.warn('skipping: systemd only');
    // A stand-in systemctl first on PATH that always succeeds; never the real one.
    const bin = join(home.dir, 'bin');
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, 'systemctl'), '#!/bin/sh\nexit 0\n');
    await chmod(join(bin, 'systemctl'), 0o755);
    const serviceEnv = { ...env, PATH: `${bin}:${process.env.PATH ?? ''}`, XDG_CONFIG_HOME: join(home.dir, 'xdg') };
    try {
      const r = await runCliInTerminal(['service', 'install'], { env: serviceEnv, stdoutOnTerminal: true });
      expect(r.code).toBe(0);
      expect(r.terminal).toMatch(/^\r. enabling the service…\u001b\[K/);
      expect(afterSpinner(r.terminal)).toMatch(/^wrote /);
    } finally {
      expect((await runCli(['service', 'uninstall'], { env: serviceEnv })).code).toBe(0);
    }
  });

  it('nothing but the data with TERM=dumb', async () => {
    const r = await runCliInTerminal(['open', 'dev', 'region', '--format', 'string'], { env: { ...env, TERM: 'dumb' }, stdoutOnTerminal: true });
    expect(r.code).toBe(0);
    expect(r.terminal).toBe('eu-central-1\n');
  });
});
