// The README's first-run command in a fresh HOME: it must work in one step with no AWS account, the
// sample must serve the shim and `escd run`, and running it again must change nothing.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolvePaths } from '../../src/config/paths.js';
import { assertBuilt, ROOT, runCli, runShim, SHIM } from '../support/cli.js';
import { e2eSkipReason } from '../support/moto.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

let home: TmpHome;
/** A first-run user: no ESCD_KEYSTORE, so quickstart picks the key store itself. */
let env: Record<string, string>;
beforeAll(() => assertBuilt());
beforeEach(async () => {
  home = await makeTmpHome('escd-qs-');
  env = { ...home.env };
  delete env.ESCD_KEYSTORE;
});
afterEach(async () => {
  await runCli(['stop'], { env });
  await home.cleanup();
});

/** Daemon runtime files change by themselves (socket, logs, locks); everything else must not. */
const VOLATILE = /(^|\/)(run\/|[^/]*\.log$|[^/]*\.lock$)/;

async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const rel = relative(dir, path);
    if (VOLATILE.test(rel)) continue;
    const info = await stat(path);
    out[rel] = `${createHash('sha256').update(await readFile(path)).digest('hex')} ${info.mtimeMs} ${(info.mode & 0o777).toString(8)}`;
  }
  return out;
}

const clientsMissing = e2eSkipReason(
  ...['python3', 'kubectl'].map((tool) => (spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0 ? undefined : `${tool} is not installed`)),
);

describe('escd quickstart', () => {
  it('sets up a working installation in one command and changes nothing when run again', async () => {
    const paths = resolvePaths(env);
    const first = await runCli(['quickstart'], { env });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/config +created /);
    expect(first.stdout).toMatch(/key store +file fallback: keys in .*keystore\.json/);
    expect(first.stdout).toMatch(/issuer key +created RS256 \S+/);
    expect(first.stdout).toMatch(/environment +created quickstart\/sample/);
    expect(first.stdout).toMatch(/daemon +started \(pid \d+/);
    expect(first.stdout).toMatch(/check +ok escd-shim aws quickstart\/sample answered with credentials/);
    // escd status (printed after the steps) lists the sample the check just served.
    expect(first.stdout.slice(first.stdout.indexOf('\nescd status\n'))).toMatch(/\nescd status\n[\s\S]*quickstart\/sample[\s\S]*~\/\.aws\/config/);
    expect(first.stdout).toContain(`[profile quickstart-sample]\ncredential_process = ${process.execPath} ${SHIM} aws quickstart/sample\nregion = us-east-1\n`);
    // kubectl runs the escd-shim launcher (its errors then name escd, not node), which quickstart wrote.
    const launcher = join(paths.stateDir, 'bin', 'escd-shim');
    expect(first.stdout).toContain(`command: ${launcher}\n`);
    expect(existsSync(launcher)).toBe(true);
    // escd is not on this PATH and the test runs in the clone: the next steps say `npx escd`, and work as printed.
    const steps = first.stdout.slice(first.stdout.indexOf('\nTry it\n') + '\nTry it\n'.length).split('\n').filter((l) => l.startsWith('  ')).map((l) => l.trim().replace(/\s+#.*$/, ''));
    expect(steps).toEqual([
      'npx escd open quickstart/sample',
      'npx escd run quickstart/sample -- env',
      'npx escd setup aws quickstart/sample',
      'AWS_PROFILE=quickstart-sample aws configure list',
      'npx escd doctor',
      'npx escd service install',
    ]);
    // npx takes seconds to start: one step through it proves the spelling; the rest differ only in arguments.
    for (const step of steps.slice(0, 1)) {
      // npx runs the project's own bin by installing this directory, which runs its `prepare` (a rebuild of
      // dist/ in place) unless scripts are off: other suites run from dist/ at the same time.
      const r = spawnSync('sh', ['-c', step], { cwd: ROOT, env: { ...process.env, ...env, PATH: process.env.PATH ?? '', npm_config_ignore_scripts: 'true' }, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, `${step}: ${r.stderr}`).toBe(0);
    }
    // Non-TTY and NO_COLOR: no escape sequences at all (no spinner, no colour).
    expect(first.stdout).not.toMatch(/\u001b/);

    expect((await stat(paths.configFile)).mode & 0o777).toBe(0o600);
    const sample = await readFile(join(paths.environmentsDir, 'quickstart', 'sample.yaml'), 'utf8');
    expect(sample).toMatch(/fn::open::aws-login:\n\s+static:\n[\s\S]*fn::secret:\n\s+ciphertext: \S+/);
    expect(sample).not.toContain('wJalrXUtnFEMI');

    const before = await snapshot(home.dir);
    expect(Object.keys(before)).toEqual(expect.arrayContaining(['escd/config.yaml', 'escd/environments/quickstart/sample.yaml']));
    const second = await runCli(['quickstart'], { env });
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/config +kept /);
    expect(second.stdout).toMatch(/issuer key +kept /);
    expect(second.stdout).toMatch(/environment +kept quickstart\/sample/);
    expect(second.stdout).toMatch(/daemon +already running/);
    expect(await snapshot(home.dir)).toEqual(before);
  }, 180_000);

  it('keeps what the user edited', async () => {
    const paths = resolvePaths(env);
    expect((await runCli(['quickstart'], { env })).code).toBe(0);
    const config = `# mine\norg: acme\nkeystore: file\n`;
    await writeFile(paths.configFile, config);
    const sampleFile = join(paths.environmentsDir, 'quickstart', 'sample.yaml');
    const edited = (await readFile(sampleFile, 'utf8')).replace('hello from escd', 'hello from me');
    await writeFile(sampleFile, edited);
    const again = await runCli(['quickstart', '--json'], { env });
    expect(again.code).toBe(0);
    const report = JSON.parse(again.stdout) as {
      config: { action: string };
      environment: { action: string };
      keystore: { backend: string; fallback: boolean };
      check: { ok: boolean };
      daemon: { running: boolean };
    };
    expect(report.check.ok).toBe(true);
    expect(report.daemon.running).toBe(true);
    expect(report.config.action).toBe('kept');
    expect(report.environment.action).toBe('kept');
    expect(report.keystore).toMatchObject({ backend: 'file', fallback: true });
    expect(await readFile(paths.configFile, 'utf8')).toBe(config);
    expect(await readFile(sampleFile, 'utf8')).toBe(edited);
  });

  it('serves the sample to `escd run` (secret decrypted for the child, redacted in its output) and to `escd-shim aws`', async () => {
    expect((await runCli(['quickstart'], { env })).code).toBe(0);
    const run = await runCli(['run', 'quickstart/sample', '--', 'env'], { env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('APP_NAME=quickstart\n');
    // AWS_REGION for the SDKs, AWS_DEFAULT_REGION for AWS CLI v1.
    expect(run.stdout).toContain('AWS_REGION=us-east-1\n');
    expect(run.stdout).toContain('AWS_DEFAULT_REGION=us-east-1\n');
    // aws-login outputs are secrets: redacted in what the child prints.
    expect(run.stdout).toContain('AWS_ACCESS_KEY_ID=[secret]\n');
    expect(run.stdout).toContain('AWS_SECRET_ACCESS_KEY=[secret]\n');
    expect(run.stdout).not.toMatch(/AKIAIOSFODNN7EXAMPLE|wJalrXUtnFEMI/);
    expect(run.stdout).toMatch(/^APP_CONFIG=\/.+$/m);
    // The child sees the real value: check it without printing it.
    const check = await runCli(
      ['run', 'quickstart/sample', '--', 'sh', '-c', 'test "$AWS_ACCESS_KEY_ID" = AKIAIOSFODNN7EXAMPLE && test "$AWS_SECRET_ACCESS_KEY" = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY && echo same'],
      { env },
    );
    expect(check.stdout).toBe('same\n');

    // And to the shim, as credential_process JSON.
    const shim = await runShim(['aws', 'quickstart/sample'], { env });
    expect(shim.stderr).toBe('');
    expect(shim.code).toBe(0);
    const credentials = JSON.parse(shim.stdout) as Record<string, unknown>;
    expect(credentials).toMatchObject({ Version: 1, AccessKeyId: 'AKIAIOSFODNN7EXAMPLE', SecretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' });
  });

  it('prints snippets only for environments that serve AWS credentials and evaluate without errors', async () => {
    const paths = resolvePaths(env);
    const write = async (name: string, text: string): Promise<void> => {
      await mkdir(join(paths.environmentsDir, name.split('/')[0]!), { recursive: true });
      await writeFile(join(paths.environmentsDir, `${name}.yaml`), text);
    };
    await write('p/aws', 'values:\n  environmentVariables:\n    AWS_ACCESS_KEY_ID: AKIAEXAMPLEP\n    AWS_SECRET_ACCESS_KEY: example\n');
    await write('p/plain', 'values:\n  environmentVariables:\n    APP: x\n');
    await write('t/bad', 'values:\n  environmentVariables:\n    AWS_ACCESS_KEY_ID: ${nope}\n');
    const result = await runCli(['quickstart', '--json'], { env });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { environments: string[]; awsEnvironments: string[]; snippets: { awsConfig: string; kubeconfig: string } };
    expect([...report.environments].sort()).toEqual(['p/aws', 'p/plain', 'quickstart/sample', 't/bad']);
    expect([...report.awsEnvironments].sort()).toEqual(['p/aws', 'quickstart/sample']);
    expect(report.snippets.awsConfig.match(/^\[profile [^\]]+\]$/gm)?.sort()).toEqual(['[profile p-aws]', '[profile quickstart-sample]']);
    expect(report.snippets.kubeconfig).toMatch(/^- name: escd-p-aws@/m);

    const text = await runCli(['quickstart'], { env });
    expect(text.stdout).toContain('[profile p-aws]');
    expect(text.stdout).not.toMatch(/\[profile (p-plain|t-bad)\]/);
  });

  it.skipIf(clientsMissing)('prints ~/.aws/config and kubeconfig snippets that boto3 and kubectl run as they are', async () => {
    const result = await runCli(['quickstart', '--json'], { env });
    expect(result.code).toBe(0);
    const { snippets } = JSON.parse(result.stdout) as { snippets: { awsConfig: string; kubeconfig: string } };
    await mkdir(join(home.dir, '.aws'), { recursive: true });
    await mkdir(join(home.dir, '.kube'), { recursive: true });
    await writeFile(env.AWS_CONFIG_FILE!, snippets.awsConfig);
    // A cluster on a port nothing listens on: kubectl runs the exec plugin first, then fails to connect.
    const user = /^users:\n- name: (\S+)$/m.exec(snippets.kubeconfig)![1]!;
    await writeFile(
      env.KUBECONFIG!,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "https://127.0.0.1:9", insecure-skip-tls-verify: true}\ncontexts:\n- name: c\n  context: {cluster: c, user: "${user}"}\ncurrent-context: c\n${snippets.kubeconfig}`,
    );
    const clientEnv = { PATH: process.env.PATH ?? '', ...env };

    const boto = spawnSync('python3', ['-c', "import boto3; c = boto3.Session(profile_name='quickstart-sample').get_credentials().get_frozen_credentials(); print(c.access_key)"], {
      encoding: 'utf8',
      env: clientEnv,
    });
    expect(boto.stderr).toBe('');
    expect(boto.stdout).toBe('AKIAIOSFODNN7EXAMPLE\n');

    const kubectl = spawnSync('kubectl', ['get', '--raw', '/', '--request-timeout=5s'], { encoding: 'utf8', env: clientEnv, timeout: 30_000 });
    expect(kubectl.status).not.toBe(0);
    expect(kubectl.stderr).not.toMatch(/getting credentials|exec plugin/);
    expect(kubectl.stderr).toMatch(/refused/); // it got a token, then found no server

    // And doctor agrees that both point at a working shim.
    const doctor = JSON.parse((await runCli(['doctor', '--json', '--offline'], { env })).stdout) as { checks: Array<{ id: string; status: string }> };
    expect(doctor.checks.find((c) => c.id === 'aws-config')?.status).toBe('pass');
    expect(doctor.checks.find((c) => c.id === 'kubeconfig')?.status).toBe('pass');
  });
});
