// `escd login` / `escd logout` against the fake service: the token is checked, then kept only in the
// key store (never in config.yaml or any other file in clear), and removed again.
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli } from '../support/cli.js';
import { startFakeCloud, type FakeCloud } from '../support/fake-pulumi-cloud.js';
import { makeTmpHome, stopDaemon, type TmpHome } from '../support/tmp-home.js';
import { socketPath } from '../../src/protocol/socket-path.js';

/** Every file under `dir` whose text contains `needle`, with its mode. */
async function filesHolding(dir: string, needle: string): Promise<{ file: string; mode: number }[]> {
  const found: { file: string; mode: number }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const file = join(entry.parentPath, entry.name);
    if (entry.isFile() && (await readFile(file, 'utf8').catch(() => '')).includes(needle)) found.push({ file, mode: (await stat(file)).mode & 0o777 });
  }
  return found;
}

describe('escd login / logout', () => {
  let cloud: FakeCloud;
  let home: TmpHome;

  beforeAll(async () => {
    assertBuilt();
    cloud = await startFakeCloud();
    home = await makeTmpHome();
    await mkdir(home.env.ESCD_HOME!, { recursive: true });
    await writeFile(join(home.env.ESCD_HOME!, 'config.yaml'), `orgs:\n  acme:\n    backend: ${cloud.url}\n`);
  });
  afterAll(async () => {
    if (home) await runCli(['stop'], { env: home.env });
    await cloud?.stop();
    await home?.cleanup();
  });

  it('refuses a token the service refuses, and stores nothing', async () => {
    const r = await runCli(['login', cloud.url], { env: home.env, input: 'pul-not-the-token\n' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^escd: not logged in: Pulumi Cloud refused the access token .*HTTP 401/);
    expect(r.stderr).not.toContain('pul-not-the-token');
    expect(await filesHolding(home.dir, 'pul-not-the-token')).toEqual([]);
  });

  it('stores a good token (from stdin, or PULUMI_ACCESS_TOKEN) in the key store only, and logout removes it', async () => {
    const r = await runCli(['login', cloud.url, '--json'], { env: home.env, input: `${cloud.token}\n` });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ url: cloud.url, orgs: ['acme'] });
    // The daemon checked it, and its audit log has the call with the service's request id (on disk once it stops).
    await stopDaemon(socketPath(home.env));
    const audit = await readFile(join(home.env.ESCD_HOME!, 'state', 'audit.log'), 'utf8');
    expect(audit).toMatch(/"action":"cloud.call".*"operation":"list".*"status":200.*"requestId":"[0-9a-f-]{36}"/);
    // With ESCD_KEYSTORE=file the key store is one 0600 file; the token is in it and nowhere else.
    const holding = await filesHolding(home.dir, cloud.token);
    expect(holding).toHaveLength(1);
    expect(holding[0]).toMatchObject({ file: expect.stringMatching(/keys?[^/]*\.json$/), mode: 0o600 });

    const fromEnv = await runCli(['login', cloud.url], { env: { ...home.env, PULUMI_ACCESS_TOKEN: cloud.token } });
    expect(fromEnv.stdout).toBe(`Logged in to ${cloud.url} for acme\n`);

    expect((await runCli(['logout', cloud.url], { env: home.env })).stdout).toBe(`Logged out of ${cloud.url}\n`);
    expect(await filesHolding(home.dir, cloud.token)).toEqual([]);
    expect((await runCli(['logout', cloud.url], { env: home.env })).stdout).toBe(`Not logged in to ${cloud.url}\n`);
  });

  it('bad input is one line with exit 2', async () => {
    const r = await runCli(['login', 'not a url'], { env: home.env, input: 'x\n' });
    expect(r).toMatchObject({ code: 2, stderr: 'escd: not a URL: "not a url" (e.g. https://api.pulumi.com)\n' });
    const empty = await runCli(['login', cloud.url], { env: home.env, input: '\n' });
    expect(empty).toMatchObject({ code: 2, stderr: 'escd: the access token is empty\n' });
  });
});
