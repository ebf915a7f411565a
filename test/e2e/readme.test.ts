// The README followed as written (issue 13): its quick start, "Wire up the AWS CLI and SDKs" and "Wire up
// kubectl" sections, commands taken from README.md itself and run in a throwaway HOME with the AWS CLI v1
// (moto stands in for AWS: AWS_ENDPOINT_URL_STS, the only thing added) and kubectl. `escd` is put on the
// PATH as `npm install -g .` would; `npm install` itself is not run (the clone is already built).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { assertBuilt, CLI, ROOT, runCli, SHIM } from '../support/cli.js';
import { awsCliMissing, e2eSkipReason, motoMissing, startMoto, type Moto } from '../support/moto.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

const kubectlMissing = spawnSync('sh', ['-c', 'command -v kubectl']).status === 0 ? undefined : 'kubectl is not installed';
const skip = e2eSkipReason(motoMissing(), awsCliMissing(), kubectlMissing);

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The fenced blocks of one `## heading` section of the README, of the given language. */
function blocks(heading: string, lang: string): string[] {
  const start = README.indexOf(`\n## ${heading}\n`);
  expect(start, `README has a "## ${heading}" section`).toBeGreaterThanOrEqual(0);
  const end = README.indexOf('\n## ', start + 1);
  const section = README.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

/** The commands of a sh block: comment lines and trailing comments dropped. */
const commands = (block: string): string[] =>
  block.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => l !== '' && !l.startsWith('#'));

describe.skipIf(skip)('the README, followed as written', () => {
  let moto: Moto;
  let home: TmpHome;
  let env: Record<string, string>;
  // npm_config_ignore_scripts: `npx escd` installs this directory to run its bin, which would run `prepare`
  // (a rebuild of dist/ in place) while other suites run from dist/.
  const sh = (line: string) => spawnSync('sh', ['-c', line], { cwd: ROOT, env: { ...env, npm_config_ignore_scripts: 'true' }, encoding: 'utf8', timeout: 120_000 });

  beforeAll(async () => {
    assertBuilt();
    moto = await startMoto();
    home = await makeTmpHome('escd-readme-');
    // `npm install -g .`: escd and escd-shim on the PATH.
    const bin = join(home.dir, 'bin');
    mkdirSync(bin);
    for (const [name, script] of [['escd', CLI], ['escd-shim', SHIM]] as const) {
      writeFileSync(join(bin, name), `#!/bin/sh\nexec "${process.execPath}" "${script}" "$@"\n`);
      chmodSync(join(bin, name), 0o755);
    }
    // No AWS_REGION or AWS_DEFAULT_REGION: the region must come from what escd writes.
    env = { ...home.env, PATH: `${bin}:${process.env.PATH ?? ''}`, AWS_ENDPOINT_URL_STS: moto.endpoint, AWS_EC2_METADATA_DISABLED: 'true', npm_config_update_notifier: 'false' };
  });

  afterAll(async () => {
    if (env) await runCli(['stop'], { env });
    await moto?.stop();
    await home?.cleanup();
  });

  it('quick start: `npx escd quickstart` sets everything up', { timeout: 240_000 }, () => {
    const [install] = blocks('Set up on a fresh machine', 'sh');
    const [line] = commands(install!);
    expect(line).toBe('npm install && npx escd quickstart');
    const r = sh(line!.replace(/^npm install && /, '')); // the clone is built already
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/check +ok escd-shim aws quickstart\/sample answered with credentials/);
  });

  it('AWS: every command of the section works, the AWS CLI v1 included, and --print shows what the README shows', { timeout: 240_000 }, () => {
    const [block] = blocks('Wire up the AWS CLI and SDKs', 'sh');
    const lines = commands(block!);
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) {
      const r = sh(line);
      expect(r.status, `${line}\n${r.stderr}`).toBe(0);
      if (line.includes('aws sts get-caller-identity')) expect(JSON.parse(r.stdout)).toMatchObject({ Arn: expect.stringMatching(/^arn:aws:(iam|sts)::/) });
      if (line.endsWith('--print')) {
        const [ini] = blocks('Wire up the AWS CLI and SDKs', 'ini');
        expect(r.stdout).toBe(ini!.replace('/usr/bin/node /path/to/escd/dist/shim/main.js', `${process.execPath} ${SHIM}`));
      }
    }
    // --remove ran last: the file holds no escd profile any more.
    expect(readFileSync(env.AWS_CONFIG_FILE!, 'utf8')).not.toContain('quickstart-sample');
  });

  it('kubectl: --print shows what the README shows, and kubectl runs the escd-shim it names', { timeout: 240_000 }, () => {
    const [block] = blocks('Wire up kubectl', 'sh');
    const sample = commands(block!).filter((l) => l.includes('quickstart/sample'));
    const print = sample.find((l) => l.endsWith('--print'))!;
    const printed = sh(print);
    expect(printed.status, printed.stderr).toBe(0);
    const [yaml] = blocks('Wire up kubectl', 'yaml');
    const launcher = join(env.ESCD_HOME!, 'state', 'bin', 'escd-shim');
    expect(parseYaml(printed.stdout)).toEqual(parseYaml(yaml!.replace('/home/you/.local/state/escd/bin/escd-shim', launcher)));

    const setup = sh(print.replace(/ --print$/, ''));
    expect(setup.status, setup.stderr).toBe(0);
    // The exec plugin runs first; with nothing listening on the server, kubectl then fails to connect.
    const kubectl = spawnSync('kubectl', ['--user', 'escd-quickstart-sample@prod', '--server', 'https://127.0.0.1:9', '--insecure-skip-tls-verify', 'get', '--raw', '/', '--request-timeout=5s'], { env, encoding: 'utf8', timeout: 60_000 });
    expect(kubectl.stderr).not.toMatch(/getting credentials|exec plugin/);
    expect(kubectl.stderr).toMatch(/refused/);
    for (const line of sample.filter((l) => l !== print)) {
      const r = sh(line);
      expect(r.status, `${line}\n${r.stderr}`).toBe(0);
    }
    expect(readFileSync(env.KUBECONFIG!, 'utf8')).not.toContain('escd-quickstart-sample');
  });
});
