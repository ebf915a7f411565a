// The shim with the real clients: AWS CLI v1, boto3, @aws-sdk/credential-providers and kubectl, a real
// daemon (dist/) in a throwaway ESCD_HOME, moto as STS and a local HTTPS kube API server that checks
// bearer tokens. Wiring comes from `escd setup aws|kube`, as a user would do it.
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, ROOT, runCli, runShim, SHIM } from '../support/cli.js';
import { startKubeApiServer, type KubeApiServer, type SessionSecret } from '../support/kube-apiserver.js';
import { awsCliMissing, e2eSkipReason, motoMissing, startMoto, type Moto } from '../support/moto.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';
import { awsLoginEnvironment } from '../support/environments.js';
import { VerifyingSts } from '../support/verifying-sts.js';
import { commandLine } from '../../src/setup/shell-quote.js';

function missing(command: string, args: string[], what: string): string | undefined {
  const probe = spawnSync(command, args, { encoding: 'utf8', timeout: 20_000 });
  if (probe.error) return `${what} is not installed (${probe.error.message})`;
  return probe.status === 0 ? undefined : `${what} does not work: ${(probe.stderr || probe.stdout).trim().split('\n').pop()}`;
}

const skip = e2eSkipReason(
  motoMissing(),
  awsCliMissing(),
  missing('python3', ['-c', 'import boto3'], 'boto3 for python3'),
  missing('kubectl', ['version', '--client'], 'kubectl'),
  missing('openssl', ['version'], 'openssl'),
);

interface Proc {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a client with only the test home's environment (no AWS_* or KUBECONFIG of the machine). */
function run(command: string, args: string[], env: Record<string, string>, options: { timeoutMs?: number; cwd?: string } = {}): Promise<Proc> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(command, args, { env, cwd: options.cwd ?? env.HOME, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

const ROLE = 'arn:aws:iam::123456789012:role/deployer';

const environmentYaml = (sessionName: string, duration: string): string => awsLoginEnvironment({ roleArn: ROLE, sessionName, duration, region: 'us-east-1' });

describe.skipIf(skip)('real clients through the shim', () => {
  let moto: Moto;
  let home: TmpHome;
  let env: Record<string, string>;
  let envDir: string;
  let publishedDir: string;
  let kube: KubeApiServer | undefined;
  /** Secrets of the sessions the shim handed out, so the kube API server can check EKS signatures. */
  const secrets = new Map<string, SessionSecret>();

  const assumeCalls = async (sessionName: string): Promise<number> =>
    (await moto.calls()).filter((c) => c.action === 'AssumeRoleWithWebIdentity' && c.params.get('RoleSessionName') === sessionName).length;

  const hits = async (name: string): Promise<number> => {
    const r = await runCli(['status', '--json'], { env });
    const status = JSON.parse(r.stdout) as { environments: { environment: string; hits: number }[] };
    return status.environments.find((e) => e.environment === name)?.hits ?? 0;
  };

  const shimAws = async (name: string): Promise<{ AccessKeyId: string; SecretAccessKey: string; SessionToken: string; Expiration: string }> => {
    const r = await runShim(['aws', name], { env });
    expect(r.stderr).toBe('');
    const creds = JSON.parse(r.stdout) as { AccessKeyId: string; SecretAccessKey: string; SessionToken: string; Expiration: string };
    secrets.set(creds.AccessKeyId, { secretAccessKey: creds.SecretAccessKey, sessionToken: creds.SessionToken });
    return creds;
  };

  beforeAll(async () => {
    assertBuilt();
    moto = await startMoto();
    home = await makeTmpHome('escd-e2e-');
    env = { ...home.env, PATH: process.env.PATH ?? '', AWS_DEFAULT_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true', PYTHONUNBUFFERED: '1' };
    const escdHome = home.env.ESCD_HOME!;
    envDir = join(escdHome, 'environments', 'proj');
    await mkdir(envDir, { recursive: true });
    await writeFile(join(escdHome, 'config.yaml'), `org: local\nuser: tester\naws:\n  region: us-east-1\n  stsEndpoint: ${moto.endpoint}\n`);
    await writeFile(join(envDir, 'dev.yaml'), environmentYaml('escd-dev', '1h'));
    await writeFile(join(envDir, 'short.yaml'), environmentYaml('escd-short-1', '15m'));
    await writeFile(join(envDir, 'steady.yaml'), environmentYaml('escd-steady-1', '1h'));
    await writeFile(join(envDir, 'burst.yaml'), environmentYaml('escd-burst', '1h'));
    publishedDir = join(home.dir, 'issuer');
    const published = await runCli(['oidc', 'publish', '--out', publishedDir], { env });
    expect(published.code, published.stderr).toBe(0);
    const started = await runCli(['start'], { env });
    expect(started.code, started.stderr).toBe(0);
  });

  afterAll(async () => {
    await kube?.stop();
    if (env) await runCli(['stop'], { env });
    await moto?.stop();
    await home?.cleanup();
  });

  it('AWS CLI: the profile `escd setup aws` writes returns the assumed role, the second call from the cache', async () => {
    const setup = await runCli(['setup', 'aws', 'proj/dev'], { env });
    expect(setup.code, setup.stderr).toBe(0);
    const config = await readFile(env.AWS_CONFIG_FILE!, 'utf8');
    expect(config).toBe(`[profile proj-dev]\ncredential_process = ${commandLine([process.execPath, SHIM, 'aws', 'proj/dev'])}\nregion = us-east-1\n`);

    const args = ['sts', 'get-caller-identity', '--profile', 'proj-dev', '--endpoint-url', moto.endpoint, '--output', 'json'];
    const first = await run('aws', args, env);
    expect(first.stderr).toBe('');
    expect(JSON.parse(first.stdout).Arn).toBe('arn:aws:sts::123456789012:assumed-role/deployer/escd-dev');
    const second = await run('aws', args, env);
    expect(JSON.parse(second.stdout).Arn).toBe('arn:aws:sts::123456789012:assumed-role/deployer/escd-dev');
    expect(await assumeCalls('escd-dev')).toBe(1);
    expect(await hits('proj/dev')).toBeGreaterThanOrEqual(2);
  });

  it('@aws-sdk/credential-providers fromProcess reads the same profile', async () => {
    const expected = await shimAws('proj/dev');
    const script = `
      import { fromProcess } from '@aws-sdk/credential-providers';
      const c = await fromProcess({ profile: 'proj-dev' })();
      process.stdout.write(JSON.stringify({ accessKeyId: c.accessKeyId, sessionToken: c.sessionToken, expiration: c.expiration?.toISOString() }));`;
    const r = await run(process.execPath, ['--input-type=module', '-e', script], env, { cwd: ROOT });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ accessKeyId: expected.AccessKeyId, sessionToken: expected.SessionToken, expiration: expected.Expiration });
    expect(await assumeCalls('escd-dev')).toBe(1);
  });

  /**
   * One long-lived boto3 process: a call, then (after the test edits the environment so the daemon's
   * next answer is a new STS session) a second call. Resolves with the caller and key of each.
   */
  async function boto3AcrossAnEdit(profile: string, edit: () => Promise<void>): Promise<{ arn: string; key: string }[]> {
    const script = `
import boto3, json, sys
sts = boto3.Session(profile_name=sys.argv[2]).client('sts', endpoint_url=sys.argv[1], region_name='us-east-1')
def ident():
    arn = sts.get_caller_identity()['Arn']
    return {'arn': arn, 'key': sts._request_signer._credentials.get_frozen_credentials().access_key}
print(json.dumps(ident()), flush=True)
sys.stdin.readline()
print(json.dumps(ident()), flush=True)
`;
    const child = spawn('python3', ['-c', script, moto.endpoint, profile], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const line = async (n: number): Promise<{ arn: string; key: string }> => {
      const deadline = Date.now() + 30_000;
      while (stdout.split('\n').filter(Boolean).length < n && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
      const got = stdout.split('\n').filter(Boolean);
      if (got.length < n) throw new Error(`boto3 gave no line ${n}: ${stderr.trim().split('\n').pop()}`);
      return JSON.parse(got[n - 1]!) as { arn: string; key: string };
    };
    try {
      const first = await line(1);
      await edit();
      child.stdin.write('go\n');
      return [first, await line(2)];
    } finally {
      child.stdin.end();
      child.kill();
    }
  }

  it('boto3 in one long-lived process re-runs the shim near expiry and gets fresh credentials', async () => {
    for (const name of ['proj/short', 'proj/steady']) {
      const setup = await runCli(['setup', 'aws', name], { env });
      expect(setup.code, setup.stderr).toBe(0);
    }
    // A 15-minute STS session is served with under 15 minutes left: botocore's advisory window, so it
    // runs credential_process again before the next use. The environment is edited in between (a new
    // session name), so the daemon's next answer is a new STS session: the process must pick it up.
    const [before, after] = await boto3AcrossAnEdit('proj-short', () => writeFile(join(envDir, 'short.yaml'), environmentYaml('escd-short-2', '15m')));
    expect(before!.arn).toBe('arn:aws:sts::123456789012:assumed-role/deployer/escd-short-1');
    expect(after!.arn).toBe('arn:aws:sts::123456789012:assumed-role/deployer/escd-short-2');
    expect(after!.key).not.toBe(before!.key);
    expect(await assumeCalls('escd-short-1')).toBe(1);
    expect(await assumeCalls('escd-short-2')).toBe(1);

    // Control: a 1-hour session is served with ~60 minutes left, so botocore keeps it and does not ask
    // again: the same edit goes unnoticed by this process, so the re-run above was the near expiry.
    const [steady1, steady2] = await boto3AcrossAnEdit('proj-steady', () => writeFile(join(envDir, 'steady.yaml'), environmentYaml('escd-steady-2', '1h')));
    expect(steady1!.arn).toBe('arn:aws:sts::123456789012:assumed-role/deployer/escd-steady-1');
    expect(steady2).toEqual(steady1);
    // …although the daemon had a new session by then.
    expect((await shimAws('proj/steady')).AccessKeyId).not.toBe(steady1!.key);
  });

  it('200 simultaneous shim calls for one cold environment make exactly one STS call', async () => {
    const results = await Promise.all(Array.from({ length: 200 }, () => runShim(['aws', 'proj/burst'], { env, timeoutMs: 60_000 })));
    const failures = results.filter((r) => r.code !== 0);
    expect(failures.map((r) => r.stderr).slice(0, 3)).toEqual([]);
    const keys = new Set(results.map((r) => (JSON.parse(r.stdout) as { AccessKeyId: string }).AccessKeyId));
    expect(keys.size).toBe(1);
    expect(await assumeCalls('escd-burst')).toBe(1);
  });

  describe('kubectl with the exec plugin', () => {
    beforeAll(async () => {
      kube = await startKubeApiServer({
        eks: { stsEndpoint: moto.endpoint, clusterId: 'prod', credentials: (id) => secrets.get(id) },
        oidc: { publishedDir, audience: 'kubernetes' },
      });
      await shimAws('proj/dev'); // the session the EKS tokens are signed with
      const setups = [
        ['setup', 'kube', 'proj/dev', '--cluster', 'prod', '--server', kube.url, '--ca', kube.caFile],
        ['setup', 'kube', 'proj/dev', '--cluster', 'lab', '--server', kube.url, '--ca', kube.caFile, '--oidc', '--audience', 'kubernetes'],
        // Refused: an EKS token bound to another cluster, an OIDC token for another audience.
        ['setup', 'kube', 'proj/dev', '--cluster', 'other', '--server', kube.url, '--ca', kube.caFile],
        ['setup', 'kube', 'proj/dev', '--cluster', 'lab', '--context', 'wrong-aud', '--user', 'wrong-aud', '--oidc', '--audience', 'someone-else'],
      ];
      for (const args of setups) {
        const r = await runCli(args, { env });
        expect(r.code, r.stderr).toBe(0);
      }
    });

    it.each([
      ['prod', 'eks'],
      ['lab', 'oidc'],
    ])('context %s (%s token): kubectl get --raw /version and kubectl version succeed', async (context, kind) => {
      const raw = await run('kubectl', ['--context', context, 'get', '--raw', '/version'], env);
      expect(raw.stderr).toBe('');
      expect(JSON.parse(raw.stdout).gitVersion).toBe('v1.32.0-escd-test');
      const version = await run('kubectl', ['--context', context, 'version', '-o', 'json'], env);
      expect(version.code, version.stderr).toBe(0);
      expect(JSON.parse(version.stdout).serverVersion.gitVersion).toBe('v1.32.0-escd-test');
      const accepted = kube!.attempts.filter((a) => a.kind === kind && a.identity);
      expect(accepted.length).toBeGreaterThanOrEqual(2);
      if (kind === 'eks') expect(accepted[0]!.identity).toBe('arn:aws:sts::123456789012:assumed-role/deployer/escd-dev');
      else expect(accepted[0]!.identity).toBe('pulumi:environments:pulumi.organization.login:local');
    });

    it('kubectl asking for ExecCredential v1 (KUBERNETES_EXEC_INFO) gets v1', async () => {
      const user = [
        'config', 'set-credentials', 'v1-user', '--exec-api-version=client.authentication.k8s.io/v1', `--exec-command=${process.execPath}`,
        `--exec-arg=${SHIM}`, '--exec-arg=kube', '--exec-arg=proj/dev', '--exec-arg=--cluster', '--exec-arg=lab', '--exec-arg=--oidc',
        '--exec-arg=--audience', '--exec-arg=kubernetes', '--exec-interactive-mode=Never',
      ];
      for (const args of [user, ['config', 'set-context', 'v1', '--cluster=lab', '--user=v1-user']]) {
        const r = await run('kubectl', args, env);
        expect(r.code, r.stderr).toBe(0);
      }
      const raw = await run('kubectl', ['--context', 'v1', 'get', '--raw', '/version'], env);
      expect(raw.stderr).toBe('');
      expect(JSON.parse(raw.stdout).gitVersion).toBe('v1.32.0-escd-test');
      // The shim answered what kubectl asked for (kubectl rejects a mismatched apiVersion).
      const direct = await runShim(['kube', 'proj/dev', '--cluster', 'lab', '--oidc', '--audience', 'kubernetes'], {
        env: { ...env, KUBERNETES_EXEC_INFO: JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', spec: { interactive: false } }) },
      });
      expect(JSON.parse(direct.stdout).apiVersion).toBe('client.authentication.k8s.io/v1');
    });

    it.each([
      ['other', /signature does not match/],
      ['wrong-aud', /JWT rejected/],
    ])('context %s: a refused token gives kubectl an Unauthorized error quickly, not a hang', async (context, reason) => {
      const r = await run('kubectl', ['--context', context, 'get', '--raw', '/version'], env, { timeoutMs: 30_000 });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/Unauthorized/);
      expect(r.ms).toBeLessThan(15_000);
      expect(kube!.attempts.some((a) => a.refused && reason.test(a.refused))).toBe(true);
    });
  });

  it('with no daemon running, simultaneous shims start one and all get credentials', async () => {
    const stopped = await runCli(['stop'], { env });
    expect(stopped.code, stopped.stderr).toBe(0);
    await writeFile(join(envDir, 'auto.yaml'), environmentYaml('escd-auto', '1h'));
    const results = await Promise.all(Array.from({ length: 50 }, () => runShim(['aws', 'proj/auto'], { env, timeoutMs: 60_000 })));
    expect(results.filter((r) => r.code !== 0).map((r) => r.stderr).slice(0, 3)).toEqual([]);
    expect(new Set(results.map((r) => (JSON.parse(r.stdout) as { AccessKeyId: string }).AccessKeyId)).size).toBe(1);
    expect(await assumeCalls('escd-auto')).toBe(1);
    const status = await runCli(['status', '--json'], { env });
    expect(status.code, status.stderr).toBe(0);
    const daemon = JSON.parse(status.stdout) as { running: boolean; daemon: { pid: number } };
    expect(daemon.running).toBe(true);
    // The daemon a shim started logs where `escd start` would have it log.
    expect(await readFile(join(env.ESCD_HOME!, 'state', 'daemon.log'), 'utf8')).toContain(`pid ${daemon.daemon.pid}, version`);
  });
});

// The whole EKS path with nothing taken on trust: the daemon's OIDC token is verified by the STS
// (signature via the published JWKS, aud, trust), the daemon presigns GetCallerIdentity with the session
// it got, kubectl sends the token, and the API server replays the presigned URL to that STS, which
// checks the SigV4 query signature with the session's secret and the cluster header.
describe.skipIf(skip)('kubectl with an EKS token that the API server replays to a verifying STS', () => {
  let home: TmpHome;
  let env: Record<string, string>;
  let sts: VerifyingSts;
  let kube: KubeApiServer;

  beforeAll(async () => {
    assertBuilt();
    home = await makeTmpHome('escd-eks-');
    const escdHome = home.env.ESCD_HOME!;
    await mkdir(join(escdHome, 'environments', 'proj'), { recursive: true });
    await writeFile(join(escdHome, 'config.yaml'), 'org: acme\nuser: tester\nissuer:\n  url: https://issuer.example.test/escd\naws:\n  region: us-east-1\n');
    await writeFile(join(escdHome, 'environments', 'proj', 'eks.yaml'), environmentYaml('escd-eks', '1h'));
    const site = join(home.dir, 'site');
    const published = await runCli(['oidc', 'publish', '--out', site], { env: home.env });
    expect(published.code, published.stderr).toBe(0);
    sts = new VerifyingSts({ publishedDir: site, clientIds: ['aws:acme'], roles: [{ roleArn: ROLE, aud: 'aws:acme' }] });
    env = { ...home.env, PATH: process.env.PATH ?? '', AWS_ENDPOINT_URL_STS: await sts.start() };
    kube = await startKubeApiServer({ eks: { stsEndpoint: sts.endpoint, clusterId: 'prod' } });
    // Started on purpose with the test's STS endpoint before setup, which asks the daemon to check the
    // environment (and would otherwise start one that, rightly, ignores this shell's endpoint).
    const started = await runCli(['start'], { env });
    expect(started.code, started.stderr).toBe(0);
    for (const cluster of ['prod', 'other']) {
      const setup = await runCli(['setup', 'kube', 'proj/eks', '--cluster', cluster, '--server', kube.url, '--ca', kube.caFile], { env });
      expect(setup.code, setup.stderr).toBe(0);
    }
  });

  afterAll(async () => {
    if (env) await runCli(['stop'], { env });
    await kube?.stop();
    await sts?.stop();
    await home?.cleanup();
  });

  it('kubectl get --raw /version succeeds as the assumed role; the STS checked the presigned signature', async () => {
    const r = await run('kubectl', ['--context', 'prod', 'get', '--raw', '/version'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ gitVersion: 'v1.32.0-escd-test' });
    expect(kube.attempts.at(-1)).toMatchObject({ kind: 'eks', identity: 'arn:aws:sts::123456789012:assumed-role/deployer/escd-eks' });
    const assumed = sts.calls.find((c) => c.action === 'AssumeRoleWithWebIdentity');
    expect(assumed).toMatchObject({ outcome: 'ok', claims: { aud: 'aws:acme', iss: 'https://issuer.example.test/escd' } });
    expect(sts.calls.at(-1)).toMatchObject({ action: 'GetCallerIdentity', outcome: 'ok' });
  });

  it('a token signed for another cluster fails the signature check at STS, and kubectl gets Unauthorized', async () => {
    const r = await run('kubectl', ['--context', 'other', 'get', '--raw', '/version'], env, { timeoutMs: 30_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Unauthorized|provide credentials/);
    expect(sts.calls.at(-1)).toMatchObject({ action: 'GetCallerIdentity', outcome: 'SignatureDoesNotMatch' });
    expect(kube.attempts.at(-1)).toMatchObject({ kind: 'eks', refused: 'STS answered 403' });
  });
});
