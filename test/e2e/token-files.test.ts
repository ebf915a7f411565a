// kubectl with a `tokenFile` user the daemon keeps fresh: no exec plugin runs; the EKS token in the
// file is replayed by the tests' API server to the verifying STS, across a renewal (triggered by
// `escd flush`, which rewrites the environment's files before it answers); the file is gone when the
// daemon stops and back when it starts.
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { assertBuilt, runCli, runProcess } from '../support/cli.js';
import { awsLoginEnvironment } from '../support/environments.js';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-apiserver.js';
import { e2eSkipReason } from '../support/moto.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';
import { VerifyingSts } from '../support/verifying-sts.js';

function missing(command: string, args: string[], what: string): string | undefined {
  const probe = spawnSync(command, args, { encoding: 'utf8', timeout: 20_000 });
  if (probe.error) return `${what} is not installed (${probe.error.message})`;
  return probe.status === 0 ? undefined : `${what} does not work`;
}

const skip = e2eSkipReason(missing('kubectl', ['version', '--client'], 'kubectl'), missing('openssl', ['version'], 'openssl'));

const kubectl = (args: string[], env: Record<string, string>) => runProcess('kubectl', args, { env, ...(env.HOME ? { cwd: env.HOME } : {}), timeoutMs: 60_000 });

const ROLE = 'arn:aws:iam::123456789012:role/deployer';

describe.skipIf(skip)('kubectl with a token file the daemon keeps fresh', () => {
  let home: TmpHome;
  let env: Record<string, string>;
  let sts: VerifyingSts;
  let kube: KubeApiServer;
  let tokenFile: string;

  beforeAll(async () => {
    assertBuilt();
    home = await makeTmpHome('escd-tf-');
    const escdHome = home.env.ESCD_HOME!;
    await mkdir(join(escdHome, 'environments', 'proj'), { recursive: true });
    await writeFile(join(escdHome, 'config.yaml'), 'org: acme\nuser: tester\nissuer:\n  url: https://issuer.example.test/escd\naws:\n  region: us-east-1\n');
    await writeFile(join(escdHome, 'environments', 'proj', 'eks.yaml'), awsLoginEnvironment({ roleArn: ROLE, sessionName: 'escd-eks' }));
    const site = join(home.dir, 'site');
    const published = await runCli(['oidc', 'publish', '--out', site], { env: home.env });
    expect(published.code, published.stderr).toBe(0);
    sts = new VerifyingSts({ publishedDir: site, clientIds: ['aws:acme'], roles: [{ roleArn: ROLE, aud: 'aws:acme' }] });
    const stsUrl = await sts.start();
    // The daemon takes its STS endpoint from config.yaml, whoever starts it (a shell's only counts at `escd start`).
    await writeFile(join(escdHome, 'config.yaml'), `org: acme\nuser: tester\nissuer:\n  url: https://issuer.example.test/escd\naws:\n  region: us-east-1\n  stsEndpoint: ${stsUrl}\n`);
    env = { ...home.env, PATH: process.env.PATH ?? '', AWS_ENDPOINT_URL_STS: stsUrl };
    kube = await startKubeApiServer({ eks: { stsEndpoint: sts.endpoint, clusterId: 'prod' } });
  });

  afterAll(async () => {
    if (env) await runCli(['stop'], { env });
    await kube?.stop();
    await sts?.stop();
    await home?.cleanup();
  });

  it('setup kube --token-file writes a tokenFile user (no exec) and the daemon has written the token', async () => {
    const setup = await runCli(['setup', 'kube', 'proj/eks', '--cluster', 'prod', '--server', kube.url, '--ca', kube.caFile, '--token-file'], { env });
    expect(setup.code, setup.stderr).toBe(0);
    const config = parse(await readFile(env.KUBECONFIG!, 'utf8')) as { users: { name: string; user: Record<string, unknown> }[] };
    const user = config.users.find((u) => u.name === 'escd-proj-eks@prod')!.user;
    expect(Object.keys(user)).toEqual(['tokenFile']);
    tokenFile = user.tokenFile as string;
    expect(tokenFile.startsWith(join(env.ESCD_HOME!, 'run'))).toBe(true); // beside the socket, in the private runtime directory
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
    expect(await readFile(tokenFile, 'utf8')).toMatch(/^k8s-aws-v1\.[\w-]+$/);
  });

  it('kubectl reads it, the API server verifies it at STS; after a renewal the new token works too', async () => {
    const first = await kubectl(['--context', 'prod', 'get', '--raw', '/version'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ gitVersion: 'v1.32.0-escd-test' });
    expect(kube.attempts.at(-1)).toMatchObject({ kind: 'eks', identity: 'arn:aws:sts::123456789012:assumed-role/deployer/escd-eks' });
    const before = await readFile(tokenFile, 'utf8');

    const flushed = await runCli(['flush', 'proj/eks', '--json'], { env });
    expect(flushed.code, flushed.stderr).toBe(0);
    const after = await readFile(tokenFile, 'utf8');
    expect(after).not.toBe(before);
    expect(sts.calls.filter((c) => c.action === 'AssumeRoleWithWebIdentity' && c.outcome === 'ok')).toHaveLength(2); // a new session signed it

    const second = await kubectl(['--context', 'prod', 'get', '--raw', '/version'], env);
    expect(second.code, second.stderr).toBe(0);
    expect(kube.attempts.at(-1)).toMatchObject({ kind: 'eks', identity: 'arn:aws:sts::123456789012:assumed-role/deployer/escd-eks' });
    expect(sts.calls.at(-1)).toMatchObject({ action: 'GetCallerIdentity', outcome: 'ok' });

    const status = await runCli(['status', '--json'], { env });
    expect(JSON.parse(status.stdout).tokenFiles).toMatchObject([{ kind: 'kube', environment: 'proj/eks', path: tokenFile }]);
  });

  it('the file is removed when the daemon stops and written again when it starts', async () => {
    expect((await runCli(['stop'], { env })).code).toBe(0);
    await expect(stat(tokenFile)).rejects.toMatchObject({ code: 'ENOENT' });
    const failed = await kubectl(['--context', 'prod', 'get', '--raw', '/version'], env);
    expect(failed.code).not.toBe(0);
    expect((await runCli(['start'], { env })).code).toBe(0);
    // The new daemon writes its kept files as it starts; `escd flush` waits for them.
    await runCli(['flush', 'proj/eks'], { env });
    const again = await kubectl(['--context', 'prod', 'get', '--raw', '/version'], env);
    expect(again.code, again.stderr).toBe(0);
  });
});
