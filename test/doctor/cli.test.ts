// `escd doctor --json` against real installations in temp homes: a real daemon, a real key store
// file, and (for the network checks) an issuer and an "STS" served from 127.0.0.1.
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolvePaths } from '../../src/config/paths.js';
import { FileKeyStore } from '../../src/keystore/file-store.js';
import { assertBuilt, runCli, SHIM } from '../support/cli.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

interface Report {
  ok: boolean;
  checks: Array<{ id: string; status: 'pass' | 'warn' | 'fail'; detail: string; fix?: string }>;
}

let home: TmpHome;
beforeAll(() => assertBuilt());
beforeEach(async () => {
  home = await makeTmpHome('escd-doc-');
});
afterEach(async () => {
  await runCli(['stop'], { env: home.env });
  await home.cleanup();
});

async function doctor(extra: string[] = [], env: Record<string, string> = {}): Promise<{ code: number | null; report: Report }> {
  const result = await runCli(['doctor', '--json', ...extra], { env: { ...home.env, ...env } });
  expect(result.stderr).toBe('');
  return { code: result.code, report: JSON.parse(result.stdout) as Report };
}
const check = (report: Report, id: string) => report.checks.find((c) => c.id === id)!;

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe('escd doctor --json', () => {
  it('reports a world-writable socket and a missing signing key as failures with their fixes', async () => {
    const paths = resolvePaths(home.env);
    expect((await runCli(['oidc', 'publish', '--out', join(home.dir, 'site')], { env: home.env })).code).toBe(0);
    expect((await runCli(['start'], { env: home.env })).code).toBe(0);

    const healthy = await doctor(['--offline']);
    expect(check(healthy.report, 'daemon').status).toBe('pass');
    expect(check(healthy.report, 'socket-perms').status).toBe('pass');
    expect(check(healthy.report, 'signing-key').status).toBe('pass');
    expect(check(healthy.report, 'keystore')).toMatchObject({ status: 'warn', detail: expect.stringContaining('file fallback') });

    await chmod(paths.socket, 0o666);
    const { kid } = (JSON.parse(await readFile(join(paths.stateDir, 'oidc', 'signing-keys.json'), 'utf8')) as { keys: { kid: string }[] }).keys[0]!;
    await new FileKeyStore(paths.fileKeyStore).delete(`oidc-signing-key:${kid}`);

    const broken = await doctor(['--offline']);
    expect(broken.code).toBe(1);
    expect(broken.report.ok).toBe(false);
    expect(check(broken.report, 'socket-perms')).toMatchObject({ status: 'fail', fix: expect.stringContaining(`chmod 600 ${paths.socket}`) });
    expect(check(broken.report, 'signing-key')).toMatchObject({ status: 'fail', detail: expect.stringContaining(kid), fix: expect.stringContaining('escd keys replace signing --yes') });
  });

  it('fails when the daemon is down and when a profile points at a shim that is gone', async () => {
    await mkdir(join(home.dir, '.aws'), { recursive: true });
    await writeFile(
      join(home.dir, '.aws', 'config'),
      `[profile good]\ncredential_process = "${process.execPath}" "${SHIM}" aws app/dev\n[profile stale]\ncredential_process = /nonexistent/escd-shim aws app/dev\n`,
    );
    const { code, report } = await doctor(['--offline']);
    expect(code).toBe(1);
    expect(check(report, 'daemon')).toMatchObject({ status: 'fail', fix: expect.stringContaining('escd start') });
    // Both bad profiles: the stale one for its shim, the good one for its environment (none exists yet).
    expect(check(report, 'aws-config')).toMatchObject({
      status: 'fail',
      detail: 'profile stale → /nonexistent/escd-shim: the shim is not there; profile good → environment app/dev: no such environment',
    });
    expect(check(report, 'config').status).toBe('warn');

    // With the shim fixed, the profile still asks for an environment that does not exist.
    await writeFile(join(home.dir, '.aws', 'config'), `[profile good]\ncredential_process = "${process.execPath}" "${SHIM}" aws app/dev\n`);
    const again = await doctor(['--offline']);
    expect(check(again.report, 'aws-config')).toMatchObject({ status: 'fail', detail: 'profile good → environment app/dev: no such environment' });
  });

  it('fetches the issuer discovery document and STS Date header when online', async () => {
    const paths = resolvePaths(home.env);
    let issuerUrl = '';
    const issuer = await listen((req, res) => {
      if (req.url === '/.well-known/openid-configuration') {
        res.setHeader('content-type', 'application/json').end(JSON.stringify({ issuer: issuerUrl, jwks_uri: `${issuerUrl}/jwks.json` }));
      } else if (req.url === '/jwks.json') {
        res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [{ kid: 'some-old-key' }] }));
      } else res.writeHead(404).end();
    });
    // Ten minutes ahead of us, stamped when asked.
    const sts = await listen((_req, res) => res.setHeader('date', new Date(Date.now() + 10 * 60_000).toUTCString()).end());
    issuerUrl = issuer.url;
    try {
      await mkdir(paths.configDir, { recursive: true });
      await writeFile(paths.configFile, `issuer:\n  url: ${issuer.url}\naws:\n  stsEndpoint: ${sts.url}\n`);
      expect((await runCli(['oidc', 'publish', '--out', join(home.dir, 'site')], { env: home.env })).code).toBe(0);
      const { report } = await doctor();
      expect(check(report, 'issuer')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/published JWKS lacks the active signing key/) });
      expect(check(report, 'clock')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/this clock is (599|600|601) s behind/) });
    } finally {
      await close(issuer.server);
      await close(sts.server);
    }
  });

  it('treats an unreachable issuer and STS as offline warnings', async () => {
    const paths = resolvePaths(home.env);
    const gone = await listen(() => undefined);
    await close(gone.server);
    await mkdir(paths.configDir, { recursive: true });
    await writeFile(paths.configFile, `issuer:\n  url: ${gone.url}\naws:\n  stsEndpoint: ${gone.url}\n`);
    const { report } = await doctor();
    expect(check(report, 'issuer')).toMatchObject({ status: 'warn', detail: expect.stringContaining('ECONNREFUSED') });
    expect(check(report, 'clock')).toMatchObject({ status: 'warn', detail: expect.stringContaining('ECONNREFUSED') });
  });

  it('recognises what `escd setup aws` and `escd setup kube` write, and notices when the environment goes', async () => {
    const paths = resolvePaths(home.env);
    const envFile = join(paths.environmentsDir, 'proj', 'dev.yaml');
    await mkdir(join(paths.environmentsDir, 'proj'), { recursive: true });
    await writeFile(envFile, 'values:\n  greeting: hi\n');
    expect((await runCli(['setup', 'aws', 'proj/dev'], { env: home.env })).code).toBe(0);
    expect((await runCli(['setup', 'kube', 'proj/dev', '--cluster', 'c1'], { env: home.env })).code).toBe(0);

    const ok = await doctor(['--offline']);
    expect(check(ok.report, 'aws-config')).toMatchObject({ status: 'pass', detail: '1 profile uses the shim (proj-dev)' });
    expect(check(ok.report, 'kubeconfig')).toMatchObject({ status: 'pass', detail: expect.stringMatching(/^1 user uses the shim \(escd-proj-dev@c1\)/) });

    // An environment with an error is named with its file and line.
    await writeFile(join(paths.environmentsDir, 'proj', 'bad.yaml'), 'values:\n  a: ${nope}\n');
    const bad = await doctor(['--offline']);
    expect(check(bad.report, 'environments')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^proj\/bad has errors: .*bad\.yaml:2:\d+: .*nope/) });

    await rm(envFile);
    const gone = await doctor(['--offline']);
    expect(check(gone.report, 'aws-config')).toMatchObject({ status: 'fail', detail: 'profile proj-dev → environment proj/dev: no such environment' });
    expect(check(gone.report, 'kubeconfig').status).toBe('fail');
  });
});
