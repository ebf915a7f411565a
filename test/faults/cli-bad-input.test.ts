// Bad input to the built `escd` and `escd-shim` (issue 7), against a real daemon in a throwaway home:
// missing and extra arguments, unknown environments, names that try to leave the environments
// directory, and huge values. Each is refused (or handled) with one short line on stderr, no stack
// trace, no output on stdout, and nothing read or written outside the environments directory.
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli, runShim, type RunResult } from '../support/cli.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

const OUTSIDE_MARKER = 'OUTSIDE-THE-ENVIRONMENTS-DIR-7c1e';
const SECRET = 'static-secret-bad-input-93ab';

let home: TmpHome;
let env: Record<string, string>;

/** Every file under the home (path → size and mtime), logs aside: what a command must not change. */
function snapshot(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (!/(daemon\.log|audit\.log(\.\d+)?|\.lock)$/.test(entry.name) && !entry.isSocket()) {
        const st = statSync(path);
        out.set(relative(home.dir, path), `${st.size}:${st.mtimeMs}`);
      }
    }
  };
  walk(home.dir);
  return out;
}

/** One short line on stderr, nothing on stdout, no stack trace, nothing from outside, no secret. */
function expectRefusal(r: RunResult, what: string, exitCode: number | number[] = 1): void {
  const codes = Array.isArray(exitCode) ? exitCode : [exitCode];
  expect(codes, `${what}: exit ${r.code}, stderr ${r.stderr.slice(0, 300)}`).toContain(r.code);
  expect(r.stdout, what).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  // The shim adds its usage text after the first line.
  expect(lines[0], what).toMatch(/^(escd|escd-shim): /);
  expect(lines[0]!.length, `${what}: ${lines[0]!.slice(0, 200)}`).toBeLessThan(400);
  expect(r.stderr, what).not.toMatch(/\n\s+at |Error: .*\n.*node:internal/);
  expect(r.stderr + r.stdout, what).not.toContain(OUTSIDE_MARKER);
  expect(r.stderr + r.stdout, what).not.toContain(SECRET);
}

const TRAVERSALS = [
  '../outside',
  '../../outside',
  '/etc/passwd',
  'proj/../../outside',
  '..',
  'proj/..',
  './dev',
  'proj/./dev',
  'a/b/c/d',
  'proj/dev/',
  '%2e%2e/outside',
  'proj\\..\\outside',
  'proj/.hidden',
  'proj/dev\nx',
  'proj/dév',
  '~/outside',
  '-rf',
];

/** Names that would reach the bait files if they were used as paths. */
const CLIMBERS = ['../outside', 'proj/../../outside', '/etc/passwd'];

beforeAll(async () => {
  assertBuilt();
  home = await makeTmpHome('escd-badin-');
  env = { ...home.env };
  const escdHome = home.env.ESCD_HOME!;
  await mkdir(join(escdHome, 'environments', 'proj'), { recursive: true });
  await writeFile(
    join(escdHome, 'environments', 'proj', 'dev.yaml'),
    `values:\n  environmentVariables:\n    AWS_ACCESS_KEY_ID: AKIABADINPUT\n    AWS_SECRET_ACCESS_KEY:\n      fn::secret: ${SECRET}\n`,
  );
  // Bait for a traversal: environments one and two levels above the environments directory.
  const bait = `values:\n  environmentVariables:\n    AWS_ACCESS_KEY_ID: ${OUTSIDE_MARKER}\n    AWS_SECRET_ACCESS_KEY: ${OUTSIDE_MARKER}\n`;
  writeFileSync(join(escdHome, 'outside.yaml'), bait);
  writeFileSync(join(home.dir, 'outside.yaml'), bait);
  const started = await runCli(['start'], { env });
  expect(started.code, started.stderr).toBe(0);
});

afterAll(async () => {
  if (env) await runCli(['stop'], { env });
  await home?.cleanup();
});

describe('escd-shim with bad input (real daemon)', () => {
  it.each(TRAVERSALS)('refuses the name %j without touching anything outside', async (name) => {
    const before = snapshot();
    expectRefusal(await runShim(['aws', name], { env }), `aws ${name}`, name.startsWith('-') ? 2 : 1);
    expect(snapshot()).toEqual(before);
  });

  it('kube refuses names that climb out too', async () => {
    for (const name of CLIMBERS) expectRefusal(await runShim(['kube', name, '--cluster', 'c'], { env }), `kube ${name}`);
  });

  it('says an unknown environment is not found, in one line', async () => {
    const r = await runShim(['aws', 'proj/nope'], { env });
    expectRefusal(r, 'unknown');
    // Worded as the CLI words it (issue 13).
    expect(r.stderr).toMatch(/^escd-shim: proj\/nope: environment proj\/nope does not exist \(no file \S+nope\.yaml\)/);
  });

  it('suggests the closest environment for a typo, as the CLI does', async () => {
    const shim = await runShim(['aws', 'proj/dve'], { env });
    expect(shim.code).toBe(1);
    expect(shim.stderr).toMatch(/; did you mean proj\/dev\?\n$/);
    const cli = await runCli(['open', 'proj/dve'], { env });
    expect(cli.stderr).toMatch(/^escd: environment proj\/dve does not exist \(no file \S+\); did you mean proj\/dev\?\n$/);
  });

  it('refuses huge arguments before asking the daemon, in one short line', async () => {
    const huge = 'a'.repeat(100_000);
    for (const args of [['aws', huge], ['kube', huge, '--cluster', 'c'], ['kube', 'proj/dev', '--cluster', huge], ['kube', 'proj/dev', '--cluster', 'c', `--region=${huge}`]]) {
      const r = await runShim(args, { env });
      expectRefusal(r, args.slice(0, 3).map((a) => a.slice(0, 20)).join(' '), 2);
      expect(r.stderr).toMatch(/is 100\d{3} characters long; at most 512 are accepted/);
    }
  });

  it('an answer too large for the socket is refused by name, not a lost connection', async () => {
    const huge = 'proj/huge';
    const value = join(home.dir, 'big-value');
    // 700 KiB: its ciphertext keeps the definition under the 1 MiB definition limit; used twice
    // (secret key and session token) it makes an answer of 1.4 MiB.
    writeFileSync(value, 'x'.repeat(700 * 1024));
    for (const args of [
      ['env', 'init', huge],
      ['env', 'set', huge, 'environmentVariables.AWS_ACCESS_KEY_ID', 'AKIAHUGE'],
      ['env', 'set', huge, 'big', '--secret', '--file', value],
      ['env', 'set', huge, 'environmentVariables.AWS_SECRET_ACCESS_KEY', '${big}'],
      ['env', 'set', huge, 'environmentVariables.AWS_SESSION_TOKEN', '${big}'],
    ]) {
      const r = await runCli(args, { env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
    }
    const r = await runShim(['aws', huge], { env });
    expectRefusal(r, 'huge answer');
    expect(r.stderr).toMatch(new RegExp(`^escd-shim: ${huge}: the answer is 1\\.4 MiB, more than the 1\\.0 MiB the daemon sends in one answer$`, 'm'));
    // The daemon is unaffected, and the value itself is intact: the CLI says how to see it, and in
    // process (no one-answer limit there) prints all of it.
    expect((await runShim(['aws', 'proj/dev'], { env })).code).toBe(0);
    const refused = await runCli(['open', huge, 'environmentVariables.AWS_SECRET_ACCESS_KEY', '--format', 'string', '--show-secrets'], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^escd: the answer is \d\.\d MiB, more than the 1\.0 MiB the daemon sends in one answer \(use --no-daemon to evaluate it in this process\)\n$/);
    const shown = await runCli(['open', '--no-daemon', huge, 'environmentVariables.AWS_SECRET_ACCESS_KEY', '--format', 'string', '--show-secrets'], { env });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout.trimEnd()).toBe('x'.repeat(700 * 1024));
  });
});

describe('escd with bad input (real daemon)', () => {
  const commands = (name: string): string[][] => [
    ['open', name],
    ['run', name, '--', 'true'],
    ['env', 'get', name],
    ['env', 'set', name, 'a', '1'],
    ['env', 'init', name],
    ['env', 'rm', name, '--yes'],
    ['env', 'edit', name],
    ['flush', name],
    ['setup', 'aws', name, '--print'],
    ['setup', 'kube', name, '--cluster', 'c', '--print'],
    ['oidc', 'token', name],
  ];

  // The name rules are one function (src/store/names.ts, unit-tested with many more names): every
  // name against one command, and the worst ones against every command that takes a name.
  it.each(TRAVERSALS)('open refuses the name %j without touching anything outside', async (name) => {
    const before = snapshot();
    expectRefusal(await runCli(['open', name], { env }), `open ${name}`, [1, 2]);
    expect(snapshot()).toEqual(before);
  });

  it('every command that takes a name refuses names that climb out, and writes nothing', async () => {
    const before = snapshot();
    for (const name of CLIMBERS) {
      for (const args of commands(name)) expectRefusal(await runCli(args, { env: { ...env, EDITOR: 'true' } }), args.join(' '));
    }
    expect(snapshot()).toEqual(before);
  });

  it('says an unknown environment does not exist, in one line, for each command', async () => {
    for (const args of [['open', 'proj/nope'], ['run', 'proj/nope', '--', 'true'], ['env', 'get', 'proj/nope'], ['env', 'set', 'proj/nope', 'a', '1'], ['env', 'rm', 'proj/nope', '--yes']]) {
      const r = await runCli(args, { env });
      expectRefusal(r, args.join(' '));
      // The env verbs that write say it as the reference CLI does (`not found`).
      expect(r.stderr, args.join(' ')).toMatch(args[0] === 'env' && args[1] !== 'get' ? /: (getting environment definition: )?not found$/m : /proj\/nope does not exist/);
    }
  });

  it.each([
    [['open']],
    [['open', 'proj/dev', 'a', 'b']],
    [['run', 'proj/dev']],
    [['status', 'extra']],
    [['start', 'extra']],
    [['env', 'set', 'proj/dev']],
    [['env', 'set', 'proj/dev', 'a']],
    [['setup', 'kube', 'proj/dev']],
    [['no-such-command']],
    [['open', 'proj/dev', '--format', 'nope']],
    [['open', 'proj/dev', '--no-such-flag']],
  ])('refuses %j with a short message (a usage error: exit 2)', async (args) => {
    const before = snapshot();
    expectRefusal(await runCli(args, { env }), args.join(' '), 2);
    expect(snapshot()).toEqual(before);
  });

  it('refuses huge names in one short line', async () => {
    const huge = 'a'.repeat(100_000);
    for (const args of [['open', huge], ['env', 'init', `proj/${huge}`], ['run', huge, '--', 'true'], ['flush', huge], ['setup', 'aws', huge, '--print']]) {
      expectRefusal(await runCli(args, { env }), `${args[0]} <huge>`);
    }
  });

  it('the daemon is still serving after all of it', async () => {
    const r = await runShim(['aws', 'proj/dev'], { env });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ AccessKeyId: 'AKIABADINPUT', SecretAccessKey: SECRET });
  });
});
