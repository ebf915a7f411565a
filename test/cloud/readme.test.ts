// The README's "Teams: Pulumi Cloud" commands, run as written (bash, a throwaway HOME, `escd` on PATH)
// against the fake service. The one substitution: the service URL, since there is no network here.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, CLI, ROOT, runCli, runProcess } from '../support/cli.js';
import { FAKE_AWS_LOGIN, startFakeCloud, type FakeCloud } from '../support/fake-pulumi-cloud.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';
import { awsLoginEnvironment } from '../support/environments.js';

const DEV = awsLoginEnvironment({ roleArn: 'arn:aws:iam::123456789012:role/app', sessionName: 'escd', region: 'eu-west-1' });

/** The first ```sh block under `heading` in README.md. */
async function readmeBlock(heading: string): Promise<string> {
  const text = await readFile(join(ROOT, 'README.md'), 'utf8');
  const section = text.split(`\n## ${heading}\n`)[1];
  const block = section?.match(/```sh\n([\s\S]*?)```/)?.[1];
  if (!block) throw new Error(`README.md has no sh block under "## ${heading}"`);
  return block;
}

describe('README: Teams: Pulumi Cloud, verbatim', () => {
  let cloud: FakeCloud;
  let home: TmpHome;
  let env: Record<string, string>;

  beforeAll(async () => {
    assertBuilt();
    cloud = await startFakeCloud();
    cloud.put('acme/app/dev', DEV);
    home = await makeTmpHome('escd-readme-');
    const bin = join(home.dir, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'escd'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
    await chmod(join(bin, 'escd'), 0o755);
    // As a user has it: HOME and the AWS/kube files, no ESCD_HOME (the README writes ~/.config/escd).
    const { ESCD_HOME: _, ...userEnv } = home.env;
    env = { ...userEnv, PATH: `${bin}:${process.env.PATH ?? ''}`, PULUMI_ACCESS_TOKEN: cloud.token };
  });
  afterAll(async () => {
    if (env) await runCli(['stop'], { env });
    await cloud?.stop();
    await home?.cleanup();
  });

  it('works as written', async () => {
    const script = (await readmeBlock('Teams: Pulumi Cloud')).replaceAll('https://api.pulumi.com', cloud.url);
    const result = await runProcess('bash', ['-euo', 'pipefail', '-c', script], { env, cwd: home.dir, timeoutMs: 120_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`Logged in to ${cloud.url} for acme`);
    expect(result.stdout).toContain(FAKE_AWS_LOGIN.accessKeyId);
    expect(result.stdout).toContain('Pulled acme/app/dev into app/dev');
    expect(result.stdout).toContain('fn::open::aws-login');
    expect(result.stdout).toContain('revision 2 (tag: stable)');
    expect(cloud.stored('acme/app/dev')).toContain('owner: platform-team');
    expect(cloud.opens('acme/app/dev')).toBe(1);
    expect(await readFile(env.AWS_CONFIG_FILE!, 'utf8')).toContain('acme/app/dev');
  });
});
