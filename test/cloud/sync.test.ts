// `escd env push` / `escd env pull` against the fake service: a round trip keeps every value and
// secret, no secret is ever in clear at rest on either side, and a push that would make a cloud
// environment import a local one is refused.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli } from '../support/cli.js';
import { startFakeCloud, type FakeCloud } from '../support/fake-pulumi-cloud.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

const PASSWORD = 'pw-7f3a9c2e51d4';
const API_KEY = 'key-0b8e4d6a2f91';

describe('escd env push / pull', () => {
  let cloud: FakeCloud;
  let home: TmpHome;
  let env: Record<string, string>;
  const cli = async (...args: string[]) => runCli(args, { env });

  beforeAll(async () => {
    assertBuilt();
    cloud = await startFakeCloud();
    home = await makeTmpHome();
    // The daemon makes the calls to the service: the token is the one `escd login` stores (below).
    env = { ...home.env };
    await mkdir(home.env.ESCD_HOME!, { recursive: true });
    await writeFile(join(home.env.ESCD_HOME!, 'config.yaml'), `orgs:\n  acme:\n    backend: ${cloud.url}\n`);
    for (const args of [
      ['env', 'init', 'app/dev'],
      ['env', 'set', 'app/dev', 'region', 'eu-west-1'],
      ['env', 'set', 'app/dev', 'db.port', '5432'],
      ['env', 'set', 'app/dev', 'db.password', PASSWORD, '--secret'],
      ['env', 'set', 'app/dev', 'api.key', API_KEY, '--secret'],
    ]) {
      const r = await cli(...args);
      expect(r.code, r.stderr).toBe(0);
    }
  });
  afterAll(async () => {
    if (env) await cli('stop');
    await cloud?.stop();
    await home?.cleanup();
  });

  it('names that are not cloud environments, and a missing login, are one line', async () => {
    expect(await cli('env', 'pull', 'app/dev')).toMatchObject({ code: 2, stderr: "escd: app/dev is not a Pulumi Cloud environment: the cloud orgs are acme\n" });
    const r = await cli('env', 'pull', 'acme/app/dev');
    expect(r).toMatchObject({ code: 1, stderr: `escd: not logged in to ${cloud.url}: run 'escd login ${cloud.url}'\n` });
  });

  it('round trip: push then pull keeps every value and secret; neither side stores a secret in clear', async () => {
    const login = await runCli(['login', cloud.url], { env, input: `${cloud.token}\n` });
    expect(login.code, login.stderr).toBe(0);
    const pushed = await cli('env', 'push', 'app/dev', 'acme/app/dev');
    expect(pushed).toMatchObject({ code: 0, stdout: 'Pushed app/dev to acme/app/dev\n' });
    expect(cloud.stored('acme/app/dev')).toContain('fn::secret');
    expect(cloud.stored('acme/app/dev')).not.toContain(PASSWORD);

    const pulled = await cli('env', 'pull', 'acme/app/dev', 'app/copy');
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stdout).toMatch(/^Pulled acme\/app\/dev into app\/copy \(.*copy\.yaml\)\n$/);
    const file = pulled.stdout.match(/\((.*)\)/)![1]!;
    const text = await readFile(file, 'utf8');
    expect(text).toContain('ciphertext');
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(API_KEY);

    const original = await cli('open', 'app/dev', '--show-secrets', '--format', 'json');
    const copy = await cli('open', 'app/copy', '--show-secrets', '--format', 'json');
    expect(copy.code, copy.stderr).toBe(0);
    expect(JSON.parse(copy.stdout)).toEqual(JSON.parse(original.stdout));
    expect(JSON.parse(copy.stdout)).toMatchObject({ region: 'eu-west-1', db: { port: 5432, password: PASSWORD }, api: { key: API_KEY } });
  });

  it('refuses to push an environment that imports one the cloud org does not have', async () => {
    expect((await cli('env', 'init', 'app/base')).code).toBe(0);
    await writeFile(join(home.env.ESCD_HOME!, 'importer.yaml'), 'imports:\n  - app/base\nvalues:\n  x: 1\n');
    expect((await cli('env', 'init', 'app/importer', '-f', join(home.env.ESCD_HOME!, 'importer.yaml'))).code).toBe(0);
    const r = await cli('env', 'push', 'app/importer', 'acme/app/importer');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('escd: cannot push app/importer: it imports app/base, which acme in Pulumi Cloud does not have (a cloud environment cannot import a local one; push those first)\n');
    expect(cloud.stored('acme/app/importer')).toBeUndefined();
  });

  it('audits the calls with the request ids the service returned', async () => {
    const lines = (await readFile(join(home.env.ESCD_HOME!, 'state', 'audit.log'), 'utf8').catch(() => '')).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const calls = lines.filter((l) => l.action === 'cloud.call');
    expect(calls.map((c) => c.operation)).toEqual(expect.arrayContaining(['update', 'decrypt']));
    for (const c of calls.filter((c) => c.outcome === 'ok')) expect(c.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
