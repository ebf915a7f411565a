// No secret ever leaks (issue 7): the end-to-end flows — escd env/open/run/status/doctor/oidc, the
// daemon, the shim behind the AWS CLI and kubectl, error paths of evaluation and of STS — run with
// known secret values, and with the secrets escd makes or receives (STS sessions, EKS and OIDC
// tokens, the issuer's private key, the data key) learned from where they legitimately appear.
// Then every byte written to stdout/stderr (except outputs whose job is to print a secret), every
// log, audit line and file under the home is scanned for each secret, in the encodings it could
// take (raw, base64, base64url, hex, URL- and JSON-escaped, and its first and last 16 characters).
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, CLI, SHIM } from '../support/cli.js';
import { startKubeApiServer, type KubeApiServer, type SessionSecret } from '../support/kube-apiserver.js';
import { awsCliMissing, e2eSkipReason, motoMissing, startMoto, type Moto } from '../support/moto.js';
import { startStsFaultProxy, type StsFaultProxy } from '../support/sts-fault-proxy.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

function missing(command: string, args: string[], what: string): string | undefined {
  const probe = spawnSync(command, args, { encoding: 'utf8', timeout: 20_000 });
  if (probe.error) return `${what} is not installed (${probe.error.message})`;
  return probe.status === 0 ? undefined : `${what} does not work: ${(probe.stderr || probe.stdout).trim().split('\n').pop()}`;
}
const skip = e2eSkipReason(motoMissing(), awsCliMissing(), missing('kubectl', ['version', '--client'], 'kubectl'), missing('openssl', ['version'], 'openssl'));

/** Plaintexts the user stores with fn::secret. */
const KNOWN = {
  dbPassword: 'leak-scan-db-password-6f0c2a91d4',
  apiToken: 'leak-scan-api-token-b83e7d105c4f',
  fileSecret: 'leak-scan-file-secret-93a1c0e7aa',
  staticKey: 'leakScanStaticSecretKey0123456789abcdEF',
  badInput: 'leak-scan-bad-input-secret{{notjson',
} as const;
const ROLE = 'arn:aws:iam::123456789012:role/deployer';

interface Output {
  readonly what: string;
  readonly text: string;
}

describe.skipIf(skip)('no secret in any output, log, audit line or file', () => {
  let moto: Moto;
  let proxy: StsFaultProxy;
  let kube: KubeApiServer | undefined;
  let home: TmpHome;
  let env: Record<string, string>;
  /** Everything that must be free of secrets. */
  const scanned: Output[] = [];
  /** Secrets by label, known up front or learned along the way. */
  const secrets = new Map<string, string>(Object.entries(KNOWN));
  const sessions = new Map<string, SessionSecret>();

  /** Runs a command; its stderr is always scanned, its stdout unless printing a secret is its job. */
  function exec(command: string, args: string[], options: { legitStdout?: boolean; input?: string; env?: Record<string, string> } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { env: { ...env, ...options.env }, cwd: home.dir, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        const what = [command === process.execPath ? '' : command, ...args.map((a) => (a === CLI ? 'escd' : a === SHIM ? 'escd-shim' : a))].filter(Boolean).join(' ');
        scanned.push({ what: `${what} (stderr)`, text: stderr });
        if (!options.legitStdout) scanned.push({ what: `${what} (stdout)`, text: stdout });
        resolve({ code, stdout, stderr });
      });
      child.stdin.end(options.input ?? '');
    });
  }
  const escd = (args: string[], options?: Parameters<typeof exec>[2]) => exec(process.execPath, [CLI, ...args], options);
  const shim = (args: string[], options?: Parameters<typeof exec>[2]) => exec(process.execPath, [SHIM, ...args], { ...options, legitStdout: true });
  const ok = async (p: ReturnType<typeof exec>): Promise<string> => {
    const r = await p;
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };

  function learnAws(stdout: string, label: string): void {
    const c = JSON.parse(stdout) as { AccessKeyId: string; SecretAccessKey: string; SessionToken?: string };
    secrets.set(`${label} SecretAccessKey`, c.SecretAccessKey);
    if (c.SessionToken) secrets.set(`${label} SessionToken`, c.SessionToken);
    sessions.set(c.AccessKeyId, { secretAccessKey: c.SecretAccessKey, ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}) });
  }
  function learnToken(token: string, label: string): void {
    secrets.set(label, token);
    secrets.set(`${label} (signature)`, token.split('.').pop()!);
  }

  beforeAll(async () => {
    assertBuilt();
    moto = await startMoto();
    proxy = await startStsFaultProxy(moto.endpoint);
    home = await makeTmpHome('escd-leak-');
    const tmp = join(home.dir, 'tmp');
    await mkdir(tmp);
    env = { ...home.env, PATH: process.env.PATH ?? '', TMPDIR: tmp, AWS_DEFAULT_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true' };
    const escdHome = home.env.ESCD_HOME!;
    await mkdir(join(escdHome, 'environments', 'proj'), { recursive: true });
    await writeFile(join(escdHome, 'config.yaml'), `org: acme\nuser: alice\naws:\n  region: us-east-1\n  stsEndpoint: ${proxy.url}\n`);
    await writeFile(
      join(escdHome, 'environments', 'proj', 'dev.yaml'),
      // The secrets are set below through the CLI; until then the references resolve to placeholders (env set,
      // like esc, saves no definition with errors, so a reference to a missing property would block it).
      `values:
  db: unset
  api: unset
  fileSecret: unset
  aws:
    login:
      fn::open::aws-login:
        oidc:
          roleArn: ${ROLE}
          sessionName: leak-scan
          duration: 1h
  environmentVariables:
    AWS_ACCESS_KEY_ID: \${aws.login.accessKeyId}
    AWS_SECRET_ACCESS_KEY: \${aws.login.secretAccessKey}
    AWS_SESSION_TOKEN: \${aws.login.sessionToken}
    AWS_REGION: us-east-1
    DB_PASSWORD: \${db}
    API_TOKEN: \${api}
  files:
    SECRET_FILE: \${fileSecret}
`,
    );
    await writeFile(join(escdHome, 'environments', 'proj', 'static.yaml'), 'values:\n  environmentVariables:\n    AWS_ACCESS_KEY_ID: AKIALEAKSCAN\n');
    await writeFile(join(escdHome, 'environments', 'proj', 'errors.yaml'), 'values:\n  x: 1\n');
  });

  afterAll(async () => {
    if (env) await escd(['stop']);
    await kube?.stop();
    await proxy?.close();
    await moto?.stop();
    await home?.cleanup();
  });

  it('runs the flows: secrets set, served, used by the AWS CLI and kubectl, shown only where asked', async () => {
    // Secrets in, the ways a user puts them in: arguments and standard input.
    await ok(escd(['env', 'set', 'proj/dev', 'db', KNOWN.dbPassword, '--secret']));
    await ok(escd(['env', 'set', 'proj/dev', 'api', '--secret', '--file', '-'], { input: KNOWN.apiToken }));
    await ok(escd(['env', 'set', 'proj/dev', 'fileSecret', KNOWN.fileSecret, '--secret']));
    await ok(escd(['env', 'set', 'proj/static', 'environmentVariables.AWS_SECRET_ACCESS_KEY', KNOWN.staticKey, '--secret']));
    await ok(escd(['env', 'set', 'proj/errors', 'pw', KNOWN.badInput, '--secret']));
    await ok(escd(['env', 'get', 'proj/dev']));
    const published = join(home.dir, 'published');
    await ok(escd(['oidc', 'publish', '--out', published]));
    await ok(escd(['start']));

    // The shim, as credential_process and the exec plugin call it (its stdout is the credential).
    learnAws(await ok(shim(['aws', 'proj/dev'])), 'STS session');
    learnAws(await ok(shim(['aws', 'proj/static'])), 'static');
    expect(secrets.get('static SecretAccessKey')).toBe(KNOWN.staticKey);

    // The AWS CLI through `escd setup aws`.
    await ok(escd(['setup', 'aws', 'proj/dev']));
    const identity = await ok(exec('aws', ['sts', 'get-caller-identity', '--profile', 'proj-dev', '--endpoint-url', moto.endpoint, '--output', 'json']));
    expect(JSON.parse(identity).Arn).toBe('arn:aws:sts::123456789012:assumed-role/deployer/leak-scan');

    // kubectl with an EKS token and with an OIDC token.
    // The presigned URLs point at the STS escd uses (the proxy, passing through to moto).
    kube = await startKubeApiServer({ eks: { stsEndpoint: proxy.url, clusterId: 'prod', credentials: (id) => sessions.get(id) }, oidc: { publishedDir: published, audience: 'kubernetes' } });
    await ok(escd(['setup', 'kube', 'proj/dev', '--cluster', 'prod', '--server', kube.url, '--ca', kube.caFile]));
    await ok(escd(['setup', 'kube', 'proj/dev', '--cluster', 'lab', '--server', kube.url, '--ca', kube.caFile, '--oidc', '--audience', 'kubernetes']));
    for (const context of ['prod', 'lab']) {
      const raw = await ok(exec('kubectl', ['--context', context, 'get', '--raw', '/version']));
      expect(JSON.parse(raw).gitVersion).toBe('v1.32.0-escd-test');
    }
    const eks = JSON.parse(await ok(shim(['kube', 'proj/dev', '--cluster', 'prod']))) as { status: { token: string } };
    learnToken(eks.status.token, 'EKS token');
    const oidc = JSON.parse(await ok(shim(['kube', 'proj/dev', '--cluster', 'lab', '--oidc', '--audience', 'kubernetes']))) as { status: { token: string } };
    learnToken(oidc.status.token, 'OIDC kube token');
    learnToken((await ok(escd(['oidc', 'token', 'proj/dev'], { legitStdout: true }))).trim(), 'escd oidc token');

    // escd run: the child gets the secrets; what it prints is filtered. -i passes them (its job).
    const printed = await ok(escd(['run', 'proj/dev', '--', 'sh', '-c', 'echo "$DB_PASSWORD $API_TOKEN $AWS_SECRET_ACCESS_KEY $AWS_SESSION_TOKEN"; cat "$SECRET_FILE"; echo; echo "$DB_PASSWORD" >&2']));
    expect(printed).toBe('[secret] [secret] [secret] [secret]\n[secret]\n');
    const unfiltered = await ok(escd(['run', 'proj/dev', '-i', '--', 'sh', '-c', 'echo "$DB_PASSWORD"'], { legitStdout: true }));
    expect(unfiltered.trim()).toBe(KNOWN.dbPassword);
    await ok(escd(['run', 'proj/dev', '--', 'aws', 'sts', 'get-caller-identity', '--endpoint-url', moto.endpoint, '--output', 'json']));

    // Reading environments: open shows the values (an explicit, audited open); stderr and the logs still never do.
    for (const format of ['json', 'yaml', 'detailed', 'dotenv', 'shell']) await ok(escd(['open', 'proj/dev', '--format', format], { legitStdout: true }));
    const shown = await ok(escd(['open', 'proj/dev', 'db', '--format', 'string', '--show-secrets'], { legitStdout: true }));
    expect(shown.trim()).toBe(KNOWN.dbPassword);
    await ok(escd(['status']));
    await ok(escd(['status', '--json']));
    await escd(['doctor', '--offline']);
    await escd(['doctor', '--offline', '--json']);
  });

  it('runs the error paths: bad inputs holding secrets, STS failing, with the daemon and without', async () => {
    // Every kind of bad use of a secret, each its own error.
    await writeFile(
      join(home.env.ESCD_HOME!, 'environments', 'proj', 'errors.yaml'),
      readFileSync(join(home.env.ESCD_HOME!, 'environments', 'proj', 'errors.yaml'), 'utf8') +
        `  parsed:
    fn::fromJSON: \${pw}
  decoded:
    fn::fromBase64: \${pw}
  path: \${pw.nope}
  index: \${pw[3]}
  joined:
    fn::join: ['\${pw}', [a]]
  login:
    fn::open::aws-login:
      oidc:
        roleArn: \${pw}
        sessionName: \${pw}
        duration: \${pw}
        policyArns: ['\${pw}']
  environmentVariables:
    AWS_ACCESS_KEY_ID: \${parsed}
    AWS_SECRET_ACCESS_KEY: \${pw}
`,
    );
    const opened = await escd(['open', 'proj/errors']);
    expect(opened.code).toBe(1);
    expect(opened.stderr.split('\n').filter(Boolean).length, opened.stderr).toBeGreaterThanOrEqual(5);
    expect((await escd(['open', 'proj/errors', '--show-secrets'])).code).toBe(1);
    expect((await escd(['run', 'proj/errors', '--', 'true'])).code).toBe(1);
    expect((await shim(['aws', 'proj/errors'])).code).toBe(1);
    expect((await shim(['kube', 'proj/errors', '--cluster', 'prod'])).code).toBe(1);

    // STS failing every way the fault proxy can, for the daemon (renewal after a flush) and the CLI.
    for (const mode of ['invalid-token', 'throttle', '500', 'malformed', 'refuse'] as const) {
      proxy.mode = mode;
      await ok(escd(['flush']));
      expect((await shim(['aws', 'proj/dev'])).code, mode).toBe(1);
      expect((await escd(['open', 'proj/dev'])).code, mode).toBe(1);
      await ok(escd(['status']));
      // The failure is what `escd status` shows for the environment, in one line.
      const status = JSON.parse(await ok(escd(['status', '--json']))) as { environments: { environment: string; cached: boolean; lastRefresh?: { ok: boolean; error?: { message: string } } }[] };
      const entry = status.environments.find((e) => e.environment === 'proj/dev');
      expect(entry, mode).toMatchObject({ cached: false, lastRefresh: { ok: false } });
      expect(entry!.lastRefresh!.error!.message, mode).toMatch(/STS/);
      expect(entry!.lastRefresh!.error!.message.split('\n'), mode).toHaveLength(1);
    }
    proxy.mode = 'pass';
    learnAws(await ok(shim(['aws', 'proj/dev'])), 'STS session after the outage');
    await ok(escd(['status', '--json']));
    await ok(escd(['stop']));
  });

  it('finds none of the secrets anywhere', async () => {
    // The secrets escd keeps: the issuer's private key members and the data key, from the key store.
    const keystore = join(home.env.ESCD_HOME!, 'state', 'keys', 'keystore.json');
    expect(statSync(keystore).mode & 0o777).toBe(0o600);
    const entries = (JSON.parse(readFileSync(keystore, 'utf8')) as { entries: Record<string, string> }).entries;
    const signing = Object.entries(entries).filter(([name]) => name.startsWith('oidc-signing-key:'));
    expect(signing.length).toBeGreaterThan(0);
    for (const [name, value] of signing) {
      const jwk = JSON.parse(value) as Record<string, string>;
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) if (jwk[member]) secrets.set(`${name} ${member}`, jwk[member]!);
    }
    const dataKey = JSON.parse(entries['secrets-data-key']!) as { key: string };
    secrets.set('data key', dataKey.key);
    secrets.set('data key (hex)', Buffer.from(dataKey.key, 'base64').toString('hex'));

    // Every file under the home but the key store itself: logs, audit, config, environments (ciphertext only), kube and AWS files, published JWKS, temp dir.
    const files: Output[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, e.name);
        if (e.isDirectory()) walk(path);
        else if (e.isFile() && path !== keystore) files.push({ what: relative(home.dir, path), text: readFileSync(path).toString('latin1') });
      }
    };
    walk(home.dir);
    const names = files.map((f) => f.what);
    for (const expected of ['escd/state/daemon.log', 'escd/state/audit.log', 'escd/environments/proj/dev.yaml', 'published/jwks.json', '.aws/config', '.kube/config']) expect(names).toContain(expected);
    expect(readdirSync(join(home.dir, 'tmp'))).toEqual([]); // escd run removed its files

    const found: string[] = [];
    for (const [label, value] of secrets) {
      for (const form of encodings(value)) {
        for (const output of [...scanned, ...files]) if (output.text.includes(form.text)) found.push(`${label} (${form.name}) in ${output.what}`);
      }
    }
    console.log(`leak scan: ${secrets.size} secrets × their encodings, over ${scanned.length} outputs and ${files.length} files (${Math.round([...scanned, ...files].reduce((n, o) => n + o.text.length, 0) / 1024)} KiB)`);
    expect(found).toEqual([]);
  });
});

/** The forms a secret could take in a log or file. */
function encodings(value: string): { name: string; text: string }[] {
  const bytes = Buffer.from(value, 'utf8');
  const forms = [
    { name: 'raw', text: value },
    { name: 'base64', text: bytes.toString('base64').replace(/=+$/, '') },
    { name: 'base64url', text: bytes.toString('base64url') },
    { name: 'hex', text: bytes.toString('hex') },
    { name: 'url-encoded', text: encodeURIComponent(value) },
    { name: 'json-escaped', text: JSON.stringify(value).slice(1, -1) },
  ];
  if (value.length >= 32) forms.push({ name: 'first 16', text: value.slice(0, 16) }, { name: 'last 16', text: value.slice(-16) });
  // Keep distinct forms that are long enough to mean something.
  const seen = new Set<string>();
  return forms.filter((f) => f.text.length >= 12 && !seen.has(f.text) && seen.add(f.text));
}
