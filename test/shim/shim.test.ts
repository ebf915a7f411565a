// The built shim (dist/shim/main.js) as a real process against a test double of the escd daemon: a
// Unix socket that answers the wire protocol with whatever each test sets.
import { createServer, type Server } from 'node:net';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runShim } from '../support/cli.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';
import type { Request } from '../../src/protocol/wire.js';

type Answer = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } } | { raw: string };

let home: TmpHome;
let server: Server;
let socket: string;
let answer: (request: Request) => Answer;
const received: Request[] = [];

const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();
const awsCreds = () => ({ Version: 1, AccessKeyId: 'ASIAEXAMPLE', SecretAccessKey: 'secret/key+1', SessionToken: 'tok', Expiration: inAnHour() });
const execCred = (apiVersion: string) => ({
  apiVersion,
  kind: 'ExecCredential',
  spec: {},
  status: { token: 'k8s-aws-v1.abc', expirationTimestamp: inAnHour().replace(/\.\d{3}Z$/, 'Z') },
});

beforeAll(async () => {
  assertBuilt();
  home = await makeTmpHome('escd-shim-');
  socket = join(home.dir, 'fake.sock');
  server = createServer((conn) => {
    let buffer = '';
    conn.setEncoding('utf8');
    conn.on('data', (chunk: string) => {
      buffer += chunk;
      const nl = buffer.indexOf('\n');
      if (nl < 0) return;
      const request = JSON.parse(buffer.slice(0, nl)) as Request;
      received.push(request);
      const a = answer(request);
      conn.end('raw' in a ? a.raw : JSON.stringify({ v: 1, id: request.id, ...a }) + '\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await home.cleanup();
});

afterEach(() => {
  received.length = 0;
});

const shim = (args: string[], env: Record<string, string> = {}) => runShim(args, { env: { ...home.env, ESCD_SOCKET: socket, ...env }, timeoutMs: 20_000 });

describe('escd-shim aws', () => {
  it('prints the daemon credential_process JSON as one line and asks for the named environment', async () => {
    const creds = awsCreds();
    answer = () => ({ ok: true, result: creds });
    const r = await shim(['aws', 'proj/dev']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith('\n')).toBe(true);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toEqual(creds);
    expect(received.map((q) => [q.method, q.params])).toEqual([['aws.credentials', { env: 'proj/dev' }]]);
  });

  it.each([
    ['no secret key', { Version: 1, AccessKeyId: 'A' }, /lacks AccessKeyId or SecretAccessKey/],
    ['wrong version', { ...awsCreds(), Version: 2 }, /not credential_process JSON/],
    ['expired', { ...awsCreds(), Expiration: new Date(Date.now() - 1000).toISOString() }, /expired at/],
    ['unreadable expiry', { ...awsCreds(), Expiration: 'soon' }, /unreadable Expiration/],
    ['not an object', 'text', /not credential_process JSON/],
  ])('refuses a bad answer (%s) and prints nothing on stdout', async (_name, result, message) => {
    answer = () => ({ ok: true, result });
    const r = await shim(['aws', 'dev']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toContain('secret/key+1');
  });

  it("reports the daemon's error in one line", async () => {
    answer = () => ({ ok: false, error: { code: 'not_found', message: "environment 'default/nope' not found" } });
    const r = await shim(['aws', 'nope']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("escd-shim: nope: environment 'default/nope' not found\n");
  });

  it('waits out a daemon that is shutting down and asks again', async () => {
    const creds = awsCreds();
    let calls = 0;
    answer = () => (++calls < 3 ? { ok: false, error: { code: 'shutting_down', message: 'the daemon is shutting down' } } : { ok: true, result: creds });
    const r = await shim(['aws', 'dev']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(creds);
    expect(received).toHaveLength(3);
  });

  it('treats a garbled answer as an unreachable daemon, with what to do', async () => {
    answer = () => ({ raw: '{not json\n' });
    const r = await shim(['aws', 'dev']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`escd-shim: cannot reach escd daemon at ${socket}: EPROTO — run \`escd start\` or \`escd status\`\n`);
  });
});

describe('escd-shim kube', () => {
  it('defaults to v1beta1 and forwards cluster, region, oidc and audience', async () => {
    answer = (q) => ({ ok: true, result: execCred((q.params as { apiVersion: string }).apiVersion) });
    const r = await shim(['kube', 'dev', '--cluster', 'prod', '--region=eu-west-1']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).apiVersion).toBe('client.authentication.k8s.io/v1beta1');
    const o = await shim(['kube', 'dev', '--cluster=prod', '--oidc', '--audience', 'kubernetes']);
    expect(o.code).toBe(0);
    expect(received.map((q) => q.params)).toEqual([
      { env: 'dev', cluster: 'prod', region: 'eu-west-1', apiVersion: 'client.authentication.k8s.io/v1beta1' },
      { env: 'dev', cluster: 'prod', oidc: true, audience: 'kubernetes', apiVersion: 'client.authentication.k8s.io/v1beta1' },
    ]);
  });

  it('follows the apiVersion kubectl asks for in KUBERNETES_EXEC_INFO', async () => {
    answer = (q) => ({ ok: true, result: execCred((q.params as { apiVersion: string }).apiVersion) });
    const execInfo = JSON.stringify({ kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1', spec: { interactive: false } });
    const r = await shim(['kube', 'dev', '--cluster', 'c'], { KUBERNETES_EXEC_INFO: execInfo });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'k8s-aws-v1.abc' } });
    const bad = await shim(['kube', 'dev', '--cluster', 'c'], { KUBERNETES_EXEC_INFO: '{"apiVersion":"client.authentication.k8s.io/v1alpha1"}' });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/unsupported ExecCredential apiVersion "client.authentication.k8s.io\/v1alpha1"/);
  });

  it('refuses an ExecCredential of another version or with an expired token', async () => {
    answer = () => ({ ok: true, result: execCred('client.authentication.k8s.io/v1') });
    const wrong = await shim(['kube', 'dev', '--cluster', 'c']);
    expect([wrong.code, wrong.stdout]).toEqual([1, '']);
    expect(wrong.stderr).toMatch(/not an ExecCredential of client.authentication.k8s.io\/v1beta1/);
    const expired = execCred('client.authentication.k8s.io/v1beta1');
    expired.status.expirationTimestamp = '2020-01-01T00:00:00Z';
    answer = () => ({ ok: true, result: expired });
    const stale = await shim(['kube', 'dev', '--cluster', 'c']);
    expect([stale.code, stale.stdout]).toEqual([1, '']);
    expect(stale.stderr).toMatch(/expired at 2020-01-01T00:00:00Z/);
  });
});

describe('escd-shim usage', () => {
  it.each([
    [[], /missing command/],
    [['gcp', 'dev'], /unknown command 'gcp'/],
    [['aws'], /aws: missing <env>/],
    [['aws', 'dev', 'extra'], /unexpected argument 'extra'/],
    [['kube', 'dev'], /--cluster <name> is required/],
    [['kube', 'dev', '--cluster'], /--cluster needs a value/],
    [['kube', 'dev', '--cluster', 'c', '--audience', 'a'], /--audience only applies with --oidc/],
    [['kube', 'dev', '--cluster', 'c', '--bogus'], /unexpected argument '--bogus'/],
  ])('%j → exit 2, one line then the usage, nothing on stdout, no request', async (args, message) => {
    const r = await shim(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const [first, second] = r.stderr.split('\n');
    expect(first).toMatch(message);
    expect(second).toMatch(/^usage: escd-shim aws <env>/);
    expect(received).toHaveLength(0);
  });

  it('--help prints the usage on stdout and exits 0', async () => {
    const r = await shim(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: escd-shim aws <env>\n\s+escd-shim kube <env> --cluster <name>/);
  });
});

describe('escd-shim without a daemon', () => {
  it('fails at once when the socket path cannot exist', async () => {
    const blocker = join(home.dir, 'not-a-dir');
    writeFileSync(blocker, '');
    const dead = join(blocker, 'escd.sock');
    const r = await shim(['aws', 'dev'], { ESCD_SOCKET: dead });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`escd-shim: refusing the escd socket directory ${blocker}: it is not a directory; set XDG_RUNTIME_DIR to a directory only you can enter, or ESCD_SOCKET to a socket path inside one\n`);
  });

  it('refuses at once a socket directory other users can enter, without connecting or starting a daemon', async () => {
    const open = join(home.dir, 'shared');
    mkdirSync(open, { mode: 0o755 });
    chmodSync(open, 0o755);
    const r = await shim(['aws', 'dev'], { ESCD_SOCKET: join(open, 'escd.sock') });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^escd-shim: refusing the escd socket directory .*other users can enter it \(mode 0755\); run `chmod 700 /);
    expect(existsSync(join(open, 'escd-start.lock'))).toBe(false);
  });

  it('tries to start a daemon and, when it exits at once, says its reason in one line', async () => {
    // A broken config.yaml: the daemon the shim starts exits at once, and says why in its log.
    mkdirSync(home.env.ESCD_HOME!, { recursive: true });
    writeFileSync(join(home.env.ESCD_HOME!, 'config.yaml'), 'org: [\n');
    const open = join(home.dir, 'private');
    mkdirSync(open, { mode: 0o700 });
    const dead = join(open, 'escd.sock');
    const r = await shim(['aws', 'dev'], { ESCD_SOCKET: dead });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^escd-shim: the escd daemon did not start: \S+config\.yaml:\d+:\d+: .+\n$/);
    // The start lock is cleaned up.
    expect(existsSync(join(open, 'escd-start.lock'))).toBe(false);
    rmSync(join(home.env.ESCD_HOME!, 'config.yaml'));
  });
});
