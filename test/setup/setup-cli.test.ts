// `escd setup` through the built CLI on real files, and the written credential_process line read
// back by the real parsers: botocore (shlex) and the AWS SDK for JavaScript (/bin/sh), with paths
// that need quoting.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, readdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { upsertCredentialProcess } from '../../src/setup/aws-config.js';
import { commandLine } from '../../src/setup/shell-quote.js';
import { assertBuilt, ROOT, runCli } from '../support/cli.js';
import { e2eSkipReason } from '../support/moto.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

let home: TmpHome;
let env: Record<string, string>;

beforeAll(async () => {
  assertBuilt();
  home = await makeTmpHome('escd-setup-');
  env = { ...home.env, PATH: process.env.PATH ?? '' };
  // setup refuses an environment that does not exist; proj/dev sets its own region.
  await mkdir(join(home.env.ESCD_HOME!, 'environments', 'proj'), { recursive: true });
  await writeFile(join(home.env.ESCD_HOME!, 'environments', 'proj', 'dev.yaml'), 'values:\n  region: eu-central-1\n  environmentVariables:\n    AWS_REGION: ${region}\n');
  for (const name of ['x', 'json']) await writeFile(join(home.env.ESCD_HOME!, 'environments', 'proj', `${name}.yaml`), 'values: {}\n');
});

afterAll(() => home.cleanup());

const backups = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((f) => f.includes('.escd-backup-'));

describe('escd setup aws', () => {
  it('creates a 0600 config, then updates in place with a backup, and is idempotent', async () => {
    const file = env.AWS_CONFIG_FILE!;
    const first = await runCli(['setup', 'aws', 'proj/dev'], { env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`created ${file}`);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    // The environment's AWS_REGION, for the AWS CLI v1 (which reads no AWS_REGION).
    expect(await readFile(file, 'utf8')).toMatch(/^\[profile proj-dev\]\ncredential_process = .* aws proj\/dev\nregion = eu-central-1\n$/);

    const mine = `# mine\n[profile other]\nregion = eu-west-1\n\n${await readFile(file, 'utf8')}`.replace('aws proj/dev', 'aws proj/old');
    await writeFile(file, mine);
    await chmod(file, 0o644);
    const second = await runCli(['setup', 'aws', 'proj/dev'], { env });
    expect(second.code, second.stderr).toBe(0);
    expect(await readFile(file, 'utf8')).toBe(mine.replace('aws proj/old', 'aws proj/dev'));
    expect((await stat(file)).mode & 0o777).toBe(0o644); // the user's mode is kept
    const [backup] = await backups(join(home.dir, '.aws'));
    expect(await readFile(join(home.dir, '.aws', backup!), 'utf8')).toBe(mine);

    const third = await runCli(['setup', 'aws', 'proj/dev'], { env });
    expect(third.stdout).toContain('already up to date');
    expect(await backups(join(home.dir, '.aws'))).toHaveLength(1);
  });

  it('--print changes nothing', async () => {
    const before = await readFile(env.AWS_CONFIG_FILE!, 'utf8');
    const r = await runCli(['setup', 'aws', 'proj/x', '--profile', 'px', '--print'], { env });
    expect(r.stdout).toMatch(/^\[profile px\]\ncredential_process = \S+ \S+ aws proj\/x\nregion = us-east-1\n$/); // config.yaml's aws.region
    expect(await readFile(env.AWS_CONFIG_FILE!, 'utf8')).toBe(before);
  });

  it('edits the target of a symlinked config and keeps the link', async () => {
    const real = join(home.dir, 'dotfiles', 'aws-config');
    await mkdir(join(home.dir, 'dotfiles'));
    await writeFile(real, '[default]\nregion = us-east-1\n');
    const link = join(home.dir, 'linked-config');
    await symlink(real, link);
    const r = await runCli(['setup', 'aws', 'proj/dev', '--profile', 'default'], { env: { ...env, AWS_CONFIG_FILE: link } });
    expect(r.code, r.stderr).toBe(0);
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe(real);
    expect(await readFile(real, 'utf8')).toMatch(/^\[default\]\nregion = us-east-1\ncredential_process = .* aws proj\/dev\n$/);
  });

  it('refuses a profile that already has other credentials, with file and line, and leaves the file alone', async () => {
    const file = join(home.dir, 'conflict-config');
    const text = '[profile proj-dev]\naws_access_key_id = AKIAEXAMPLE\n';
    await writeFile(file, text);
    const r = await runCli(['setup', 'aws', 'proj/dev'], { env: { ...env, AWS_CONFIG_FILE: file } });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`escd: profile 'proj-dev' in ${file} already gets credentials from aws_access_key_id (line 2); remove it or choose another name with --profile\n`);
    expect(await readFile(file, 'utf8')).toBe(text);
  });

  it('--json says what changed, in which file, and where the backup is; with --print the entry', async () => {
    const file = join(home.dir, 'json-config');
    const jsonEnv = { ...env, AWS_CONFIG_FILE: file };
    const run = async (args: string[]): Promise<Record<string, unknown>> => {
      const r = await runCli(['setup', 'aws', 'proj/json', ...args], { env: jsonEnv });
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as Record<string, unknown>;
    };
    const printed = await run(['--print', '--json']);
    expect(existsSync(file)).toBe(false);
    const snippet = (await runCli(['setup', 'aws', 'proj/json', '--print'], { env: jsonEnv })).stdout;
    expect(printed).toEqual({ environment: 'proj/json', profile: 'proj-json', credentialProcess: /^credential_process = (.*)$/m.exec(snippet)![1], region: 'us-east-1' });

    expect(await run(['--json'])).toEqual({ ...printed, action: 'added', file, created: true, changed: true, backup: null });
    expect(await run(['--json'])).toMatchObject({ action: 'unchanged', created: false, changed: false, backup: null });
    const before = (await readFile(file, 'utf8')).replace('aws proj/json', 'aws proj/older');
    await writeFile(file, before);
    const updated = await run(['--json']);
    expect(updated).toMatchObject({ action: 'updated', file, created: false, changed: true, backup: expect.stringContaining('.escd-backup-') });
    expect(await readFile(updated.backup as string, 'utf8')).toBe(before);
  });

  it('rejects bad environment names in one line', async () => {
    const r = await runCli(['setup', 'aws', '../etc'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^escd: invalid environment name "\.\.\/etc"/);
  });

  it('refuses an environment that does not exist and suggests the closest name (aws and kube)', async () => {
    const before = await readFile(env.AWS_CONFIG_FILE!, 'utf8');
    for (const args of [['aws', 'proj/dve'], ['kube', 'proj/dve', '--cluster', 'c']]) {
      const r = await runCli(['setup', ...args], { env });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^escd: environment proj\/dve does not exist \(no file .*dve\.yaml\); did you mean proj\/dev\?\n$/);
    }
    expect(await readFile(env.AWS_CONFIG_FILE!, 'utf8')).toBe(before);
  });

  it('refuses a file with a section given twice (the AWS CLI cannot read it) instead of saying it is up to date', async () => {
    const file = join(home.dir, 'twice-config');
    const once = (await runCli(['setup', 'aws', 'proj/dev', '--print'], { env })).stdout;
    await writeFile(file, once + once); // `… >> ~/.aws/config` run twice
    const r = await runCli(['setup', 'aws', 'proj/dev'], { env: { ...env, AWS_CONFIG_FILE: file } });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`escd: ${file}: [profile proj-dev] appears twice (lines 1 and 4), so the AWS CLI cannot read it (ConfigParseError): remove the extra lines, then run escd setup again\n`);
    const aws = spawnSync('aws', ['configure', 'list', '--profile', 'proj-dev'], { env: { ...env, AWS_CONFIG_FILE: file }, encoding: 'utf8' });
    if (!aws.error) expect(aws.stderr).toMatch(/ConfigParseError|Unable to parse config file/); // the AWS CLI agrees
  });

  it('--remove takes out the profile it added, keeps a profile with other settings, and refuses one that is not escd', async () => {
    const file = join(home.dir, 'remove-config');
    const removeEnv = { ...env, AWS_CONFIG_FILE: file };
    const mine = '# mine\n[profile keep]\nregion = eu-west-1\n';
    await writeFile(file, mine);
    expect((await runCli(['setup', 'aws', 'proj/dev'], { env: removeEnv })).code).toBe(0);
    expect((await runCli(['setup', 'aws', 'proj/dev', '--profile', 'keep'], { env: removeEnv })).code).toBe(0);
    const removed = await runCli(['setup', 'aws', 'proj/dev', '--remove'], { env: removeEnv });
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toMatch(/^removed profile 'proj-dev': updated /);
    const kept = await runCli(['setup', 'aws', 'proj/dev', '--profile', 'keep', '--remove'], { env: removeEnv });
    expect(kept.stdout).toMatch(/^removed escd's credential_process from profile 'keep' \(its other settings stay\)/);
    expect(await readFile(file, 'utf8')).toBe(mine);
    const again = await runCli(['setup', 'aws', 'proj/dev', '--remove'], { env: removeEnv });
    expect(again.stdout).toContain("profile 'proj-dev' does not run escd");
    await writeFile(file, '[profile proj-dev]\ncredential_process = /usr/bin/aws-vault exec x\n');
    const foreign = await runCli(['setup', 'aws', 'proj/dev', '--remove'], { env: removeEnv });
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toBe(`escd: profile 'proj-dev' in ${file} runs /usr/bin/aws-vault exec x, not escd's shim; left as it is\n`);
  });
});

describe('escd setup kube', () => {
  it('writes a kubeconfig kubectl reads, with the CA embedded; a second run changes nothing', async () => {
    const ca = join(home.dir, 'ca.pem');
    await writeFile(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const args = ['setup', 'kube', 'proj/dev', '--cluster', 'prod', '--server', 'https://127.0.0.1:6443', '--ca', ca];
    const r = await runCli(args, { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("current context is now 'prod'");
    expect((await stat(env.KUBECONFIG!)).mode & 0o777).toBe(0o600);
    const kubectl = spawnSync('kubectl', ['config', 'view', '--raw', '-o', 'json'], { env, encoding: 'utf8' });
    if (kubectl.error) {
      e2eSkipReason(`kubectl is not installed (${kubectl.error.message})`);
    } else {
      const view = JSON.parse(kubectl.stdout) as { users: { name: string; user: { exec: { args: string[]; interactiveMode: string } } }[]; 'current-context': string };
      expect(view['current-context']).toBe('prod');
      expect(view.users[0]!.user.exec.args).toEqual(['kube', 'proj/dev', '--cluster', 'prod']);
      expect(view.users[0]!.user.exec.interactiveMode).toBe('Never');
    }
    const again = await runCli(args, { env });
    expect(again.stdout).toContain('already up to date');
  });

  it('--json names what was written and the backup; --print --json gives the entries --print shows', async () => {
    const file = join(home.dir, 'json-kubeconfig');
    const jsonEnv = { ...env, KUBECONFIG: file };
    const args = ['setup', 'kube', 'proj/json', '--cluster', 'lab', '--server', 'https://127.0.0.1:6443'];
    const printed = await runCli([...args, '--print', '--json'], { env: jsonEnv });
    expect(printed.code, printed.stderr).toBe(0);
    const names = { environment: 'proj/json', user: 'escd-proj-json@lab', cluster: 'lab', context: 'lab' };
    expect(JSON.parse(printed.stdout)).toEqual({ ...names, entries: parseYaml((await runCli([...args, '--print'], { env: jsonEnv })).stdout) });
    expect(existsSync(file)).toBe(false);

    const first = await runCli([...args, '--json'], { env: jsonEnv });
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ ...names, file, created: true, changed: true, backup: null, currentContextSet: true });
    const before = await readFile(file, 'utf8');
    const moved = JSON.parse((await runCli([...args.slice(0, -1), 'https://127.0.0.1:7443', '--json'], { env: jsonEnv })).stdout) as { backup: string };
    expect(moved).toMatchObject({ changed: true, currentContextSet: false, backup: expect.stringContaining('.escd-backup-') });
    expect(await readFile(moved.backup, 'utf8')).toBe(before);
    const withoutServer = JSON.parse((await runCli(['setup', 'kube', 'proj/json', '--cluster', 'lab', '--print', '--json'], { env: jsonEnv })).stdout) as Record<string, unknown>;
    expect(withoutServer).toMatchObject({ cluster: null, context: null });
  });

  it('the command kubectl runs is the escd-shim launcher, which runs the shim with this node', async () => {
    const view = parseYaml(await readFile(env.KUBECONFIG!, 'utf8')) as { users: { user: { exec: { command: string } } }[] };
    const command = view.users[0]!.user.exec.command;
    expect(command).toBe(join(home.env.ESCD_HOME!, 'state', 'bin', 'escd-shim'));
    const help = spawnSync(command, ['--help'], { encoding: 'utf8', env: { PATH: '/nonexistent' } }); // no node on the PATH needed
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^usage: escd-shim aws <env>/);
  });

  it('--remove takes out the user, its context and the cluster it added, and nothing else', async () => {
    const file = join(home.dir, 'remove-kubeconfig');
    const removeEnv = { ...env, KUBECONFIG: file };
    const theirs = 'apiVersion: v1\nkind: Config\nclusters:\n- name: other\n  cluster:\n    server: https://o\ncontexts:\n- name: other\n  context:\n    cluster: other\n    user: them\nusers:\n- name: them\n  user:\n    token: t\ncurrent-context: other\n';
    await writeFile(file, theirs);
    const args = ['setup', 'kube', 'proj/dev', '--cluster', 'lab', '--server', 'https://127.0.0.1:6443'];
    expect((await runCli(args, { env: removeEnv })).code).toBe(0);
    const r = await runCli(['setup', 'kube', 'proj/dev', '--cluster', 'lab', '--remove'], { env: removeEnv });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^removed user 'escd-proj-dev@lab', context 'lab', cluster 'lab': updated /);
    expect(parseYaml(await readFile(file, 'utf8'))).toEqual(parseYaml(theirs));
    const foreign = await runCli(['setup', 'kube', 'proj/dev', '--cluster', 'other', '--user', 'them', '--remove'], { env: removeEnv });
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toContain("user 'them'");
  });

  it('refuses a context for a cluster the kubeconfig does not have, and a --ca that is not PEM', async () => {
    const noCluster = await runCli(['setup', 'kube', 'proj/dev', '--cluster', 'ghost', '--context', 'g'], { env });
    expect(noCluster.code).toBe(1);
    expect(noCluster.stderr).toMatch(/has no cluster named 'ghost'; pass --server/);
    const bad = join(home.dir, 'bad.pem');
    await writeFile(bad, 'hello');
    const notPem = await runCli(['setup', 'kube', 'proj/dev', '--cluster', 'c', '--server', 'https://h', '--ca', bad], { env });
    expect(notPem.stderr).toBe(`escd: --ca ${bad} is not a PEM certificate (no BEGIN CERTIFICATE line)\n`);
  });
});

describe('credential_process quoting, read back by the SDKs', () => {
  const python = spawnSync('python3', ['-c', 'import boto3'], { encoding: 'utf8' });
  const skip = e2eSkipReason(python.error || python.status !== 0 ? 'boto3 for python3 is not installed' : undefined);

  it.skipIf(skip)('botocore and the JavaScript SDK run a program whose path has spaces and quotes', async () => {
    // A stand-in credential program in an awkward directory; it echoes its argv into the key.
    const dir = join(home.dir, "Jane's files", 'my tools');
    await mkdir(dir, { recursive: true });
    const program = join(dir, 'fake shim.mjs');
    await writeFile(
      program,
      `process.stdout.write(JSON.stringify({ Version: 1, AccessKeyId: 'AKIA' + Buffer.from(JSON.stringify(process.argv.slice(2))).toString('hex'), SecretAccessKey: 's' }));\n`,
    );
    const file = join(home.dir, 'quoting-config');
    await writeFile(file, upsertCredentialProcess('', 'q', commandLine([process.execPath, program, 'aws', 'proj/dev'])).text);
    const expected = 'AKIA' + Buffer.from(JSON.stringify(['aws', 'proj/dev'])).toString('hex');
    const clientEnv = { ...env, AWS_CONFIG_FILE: file };

    const py = spawnSync('python3', ['-c', "import boto3; print(boto3.Session(profile_name='q').get_credentials().access_key)"], { env: clientEnv, encoding: 'utf8' });
    expect(py.stderr).toBe('');
    expect(py.stdout.trim()).toBe(expected);

    const js = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', "import { fromProcess } from '@aws-sdk/credential-providers'; process.stdout.write((await fromProcess({ profile: 'q' })()).accessKeyId);"],
      { env: clientEnv, cwd: ROOT, encoding: 'utf8' },
    );
    expect(js.stderr).toBe('');
    expect(js.stdout).toBe(expected);
  });
});
