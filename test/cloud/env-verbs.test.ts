// The local `escd env …` verbs on a Pulumi Cloud name, end to end: `escd` → a real daemon (which makes
// every call, cloud.env) → the fake service (held to @pulumi/esc-sdk by contract.test.ts).
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, CLI, runCli } from '../support/cli.js';
import { resolvePaths } from '../../src/config/paths.js';
import { FAKE_USER, startFakeCloud, type FakeCloud } from '../support/fake-pulumi-cloud.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

describe('env verbs on a Pulumi Cloud environment', () => {
  let cloud: FakeCloud;
  let home: TmpHome;
  let env: Record<string, string>;
  const escd = (...args: string[]) => runCli(args, { env });

  beforeAll(async () => {
    assertBuilt();
    [cloud, home] = await Promise.all([startFakeCloud(), makeTmpHome('escd-cloud-verbs-')]);
    cloud.put('acme/app/dev', 'values:\n  greeting: hello\n  password:\n    fn::secret: hunter2\n');
    cloud.put('acme/app/prod', 'values:\n  greeting: bonjour\n');
    env = { ...home.env, PATH: process.env.PATH ?? '' };
    await mkdir(home.env.ESCD_HOME!, { recursive: true });
    await writeFile(join(home.env.ESCD_HOME!, 'config.yaml'), `orgs:\n  acme:\n    backend: ${cloud.url}\n`);
    expect((await runCli(['login', cloud.url], { env, input: `${cloud.token}\n` })).code).toBe(0);
    expect((await escd('env', 'init', 'local/dev')).code).toBe(0);
    const started = await escd('start');
    expect(started.code, started.stderr).toBe(0);
  });

  afterAll(async () => {
    if (env) await escd('stop');
    await Promise.all([cloud?.stop(), home?.cleanup()]);
  });

  it('env ls lists the local and the cloud environments; -o keeps one org, -p one project', async () => {
    const all = await escd('env', 'ls');
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout.split('\n')).toEqual(expect.arrayContaining(['local/dev', 'acme/app/dev', 'acme/app/prod']));
    const acme = await escd('env', 'ls', '-o', 'acme');
    expect(acme.stdout.trim().split('\n')).toEqual(['acme/app/dev', 'acme/app/prod']);
    expect((await escd('env', 'ls', '-p', 'local')).stdout).toBe('local/dev\n');
    expect((await escd('env', 'ls', '-o', 'acme', '-p', 'app')).stdout).toBe('acme/app/dev\nacme/app/prod\n');
    expect((await escd('env', 'ls', '-p', 'none')).stdout).toBe('');
    const json = JSON.parse((await escd('env', 'ls', '-o', 'acme', '--json')).stdout) as { name: string; org: string; backend: string }[];
    expect(json[0]).toMatchObject({ name: 'acme/app/dev', org: 'acme', backend: cloud.url });
  });

  it('env get: the opened value and the definition as the service keeps it (secrets sealed unless --show-secrets)', async () => {
    const got = await escd('env', 'get', 'acme/app/dev');
    expect(got.code, got.stderr).toBe(0);
    expect(got.stdout).toContain('# Value');
    expect(got.stdout).toContain('"greeting": "hello"');
    expect(got.stdout).toContain('"password": "[secret]"');
    expect(got.stdout).not.toContain('hunter2');
    expect((await escd('env', 'get', 'acme/app/dev', 'greeting', '--value', 'string')).stdout.trim()).toBe('hello');
    const definition = await escd('env', 'get', 'acme/app/dev', '--definition');
    expect(definition.stdout).toContain('greeting: hello');
    expect(definition.stdout).toContain('ciphertext');
    expect(definition.stdout).not.toContain('hunter2');
    expect((await escd('env', 'get', 'acme/app/dev', '--definition', '--show-secrets')).stdout).toContain('fn::secret: hunter2');
  });

  it('env set and rm store a new revision in the service, and the next open shows it (the cached one is dropped)', async () => {
    expect((await escd('open', 'acme/app/dev', 'greeting')).stdout).toContain('hello');
    const opens = cloud.opens('acme/app/dev');
    const set = await escd('env', 'set', 'acme/app/dev', 'greeting', 'hi');
    expect(set.code, set.stderr).toBe(0);
    expect(cloud.revisionCount('acme/app/dev')).toBe(2);
    expect((await escd('open', 'acme/app/dev', 'greeting')).stdout).toContain('hi');
    expect(cloud.opens('acme/app/dev')).toBe(opens + 1);
    const secret = await escd('env', 'set', 'acme/app/dev', 'token', 's3cr3t-value', '--secret');
    expect(secret.code, secret.stderr).toBe(0);
    expect(cloud.stored('acme/app/dev')).not.toContain('s3cr3t-value');
    expect((await escd('env', 'get', 'acme/app/dev', 'token', '--value', 'json')).stdout).toContain('[secret]');
    const rm = await escd('env', 'rm', 'acme/app/dev', 'token');
    expect(rm.code, rm.stderr).toBe(0);
    expect(cloud.stored('acme/app/dev')).not.toContain('token');
    expect(cloud.revisionCount('acme/app/dev')).toBe(4);
  });

  it('env edit stores the edited definition; a change made by someone else meanwhile is refused in one line', async () => {
    const file = join(home.dir, 'dev.yaml');
    await writeFile(file, 'values:\n  greeting: edited\n  password:\n    fn::secret: hunter2\n');
    const edited = await escd('env', 'edit', 'acme/app/dev', '-f', file);
    expect(edited.code, edited.stderr).toBe(0);
    expect((await escd('open', 'acme/app/dev', 'greeting')).stdout).toContain('edited');
    // An editor that, like a colleague, changes the environment in the service while the file is open.
    const editor = join(home.dir, 'racing-editor.sh');
    await writeFile(editor, `#!/bin/sh\n"${process.execPath}" "${CLI}" env set acme/app/dev greeting colleague >/dev/null\nsed -i 's/edited/mine/' "$1"\n`);
    await chmod(editor, 0o755);
    const raced = await escd('env', 'edit', 'acme/app/dev', '--editor', editor);
    expect(raced.code).not.toBe(0);
    expect(raced.stderr.trim().split('\n')).toHaveLength(1);
    expect(raced.stderr).toMatch(/acme\/app\/dev changed in Pulumi Cloud since it was read; nothing was written/);
    expect(cloud.stored('acme/app/dev')).toContain('colleague');
  });

  it('env version history lists the service revisions, newest first', async () => {
    const history = await escd('env', 'version', 'history', 'acme/app/dev', '--utc');
    expect(history.code, history.stderr).toBe(0);
    const heads = history.stdout.split('\n').filter((l) => l.startsWith('revision '));
    expect(heads[0]).toBe(`revision ${cloud.revisionCount('acme/app/dev')}`);
    expect(heads.at(-1)).toBe('revision 1');
    expect(history.stdout).toContain(`Author: ${FAKE_USER.name} <${FAKE_USER.login}>`);
    expect((await escd('env', 'version', 'history', 'acme/app/dev@2')).stdout.split('\n').filter((l) => l.startsWith('revision '))).toEqual(['revision 2', 'revision 1']);
  });

  it('env version tag names a revision; @tag and @N open that revision; moving the tag drops its cached open', async () => {
    const tagged = await escd('env', 'version', 'tag', 'acme/app/dev@stable', '@1');
    expect(tagged.code, tagged.stderr).toBe(0);
    expect((await escd('open', 'acme/app/dev@stable', 'greeting')).stdout).toContain('hello');
    expect((await escd('open', 'acme/app/dev@2', 'greeting')).stdout).toContain('hi');
    const ls = await escd('env', 'version', 'tag', 'ls', 'acme/app/dev');
    expect(ls.stdout).toMatch(/│ stable +│ +1 │/);
    expect((await escd('env', 'version', 'acme/app/dev@stable')).stdout).toMatch(/^stable\nRevision 1\n/);
    expect((await escd('env', 'version', 'history', 'acme/app/dev@stable')).stdout).toContain('revision 1 (tag: stable)');
    expect((await escd('env', 'version', 'tag', 'acme/app/dev@stable', '@2')).code).toBe(0);
    expect((await escd('open', 'acme/app/dev@stable', 'greeting')).stdout).toContain('hi');
    expect((await escd('env', 'version', 'tag', 'rm', 'acme/app/dev@stable')).code).toBe(0);
    const gone = await escd('open', 'acme/app/dev@stable');
    expect(gone.code).not.toBe(0);
  });

  it('env diff compares two versions in the service (definitions and opened values); get and rollback take a version', async () => {
    const diff = await escd('env', 'diff', 'acme/app/dev@1', '@2');
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toContain('--- acme/app/dev@1');
    expect(diff.stdout).toContain('+++ acme/app/dev@2');
    expect(diff.stdout).toMatch(/^-\s+"greeting": "hello",?$/m);
    expect(diff.stdout).toMatch(/^\+\s+"greeting": "hi",?$/m);
    expect(diff.stdout).not.toContain('hunter2');
    expect((await escd('env', 'get', 'acme/app/dev@1', 'greeting', '--value', 'string')).stdout.trim()).toBe('hello');
    const decrypted = await escd('env', 'get', 'acme/app/dev@1', '--definition', '--show-secrets');
    expect(decrypted.code).not.toBe(0);
    expect(decrypted.stderr).toMatch(/decrypts only the latest definition/);
    const before = cloud.revisionCount('acme/app/dev');
    const rollback = await escd('env', 'version', 'rollback', 'acme/app/dev@1');
    expect(rollback).toMatchObject({ code: 0, stdout: 'Environment updated.\n' });
    expect(cloud.revisionCount('acme/app/dev')).toBe(before + 1);
    expect((await escd('open', 'acme/app/dev', 'greeting')).stdout).toContain('hello');
    const ro = await escd('env', 'rm', 'acme/app/dev', '--yes');
    expect(ro.code).not.toBe(0);
    expect(ro.stderr).toContain('escd does not delete Pulumi Cloud environments');
  });

  it('env init creates the environment in the service (refused when it exists); rotate is refused in one line', async () => {
    const file = join(home.dir, 'new.yaml');
    await writeFile(file, 'values:\n  fresh: true\n');
    const init = await escd('env', 'init', 'acme/app/new', '-f', file);
    expect(init).toMatchObject({ code: 0, stdout: 'Environment created: acme/app/new\n' });
    expect(cloud.stored('acme/app/new')).toContain('fresh: true');
    const again = await escd('env', 'init', 'acme/app/new');
    expect(again.code).not.toBe(0);
    expect(again.stderr).toBe('escd: environment acme/app/new already exists in Pulumi Cloud\n');
    const rotate = await escd('env', 'rotate', 'acme/app/new');
    expect(rotate.code).not.toBe(0);
    expect(rotate.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('env provider writes the aws-login block into the service (secrets sealed there); --create is for local names', async () => {
    const before = cloud.revisionCount('acme/app/prod');
    const added = await escd('env', 'provider', 'aws-login', 'static', 'acme/app/prod', 'AKIAPROVIDER', 'provider-secret-key');
    expect([added.code, added.stdout, added.stderr]).toEqual([0, 'Provider updated.\n', '']);
    expect(cloud.revisionCount('acme/app/prod')).toBe(before + 1);
    expect(cloud.stored('acme/app/prod')).toContain('fn::open::aws-login');
    expect(cloud.stored('acme/app/prod')).not.toContain('provider-secret-key');
    const refused = await escd('env', 'provider', 'aws-login', 'static', 'acme/app/nope', 'AKIA', 'k', '--create');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('escd: --create makes local environments only: create acme/app/nope in Pulumi Cloud with `escd env init acme/app/nope` first\n');
  });

  it('env clone copies the environment within the org in the service', async () => {
    const r = await escd('env', 'clone', 'acme/app/dev', 'other/copy', '--preserve-history');
    expect(r).toMatchObject({ code: 0, stdout: 'Environment acme/app/dev cloned into acme/other/copy.\n' });
    expect(cloud.revisionCount('acme/other/copy')).toBe(cloud.revisionCount('acme/app/dev'));
    expect((await escd('open', 'acme/other/copy', 'greeting')).stdout).toContain('hello');
  });

  it('with --no-daemon (ESCD_NO_DAEMON=1) the same request path runs in the CLI process', async () => {
    const r = await runCli(['env', 'version', 'history', 'acme/app/dev@1'], { env: { ...env, ESCD_NO_DAEMON: '1' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^revision 1\n/);
  });

  it('env tag sets, lists, renames and removes environment tags in the service', async () => {
    expect((await escd('env', 'tag', 'acme/app/dev', 'owner', 'platform')).stdout).toMatch(/^Name: owner\nValue: platform\n/);
    expect((await escd('env', 'tag', 'ls', 'acme/app/dev')).stdout).toContain('Name: owner');
    expect((await escd('env', 'tag', 'mv', 'acme/app/dev', 'owner', 'team')).stdout).toMatch(/^Name: team\nValue: platform\n/);
    expect((await escd('env', 'tag', 'get', 'acme/app/dev', 'team')).stdout).toMatch(/^Name: team\n/);
    expect((await escd('env', 'tag', 'rm', 'acme/app/dev', 'team')).stdout).toBe('Successfully deleted environment tag: team\n');
    expect((await escd('env', 'tag', 'ls', 'acme/app/dev')).stdout).toBe('');
  });

  it('every call went through the daemon and is in its audit log with the request id the service returned', async () => {
    const audit = (await readFile(resolvePaths(env).auditLog, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { action: string; operation?: string; requestId?: string; outcome: string });
    const calls = audit.filter((e) => e.action === 'cloud.call');
    for (const op of ['list', 'read-definition', 'decrypt', 'update', 'list-revisions', 'create-revision-tag', 'update-revision-tag', 'delete-revision-tag', 'create-tag', 'update-tag', 'delete-tag']) {
      expect(calls.some((c) => c.operation === op), op).toBe(true);
    }
    for (const c of calls) expect(c.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
