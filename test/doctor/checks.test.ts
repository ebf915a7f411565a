// The doctor's verdicts, from facts to pass/warn/fail with a fix.
import { describe, expect, it } from 'vitest';
import {
  checkAwsConfig,
  checkClock,
  checkConfig,
  checkDaemon,
  checkEnvironments,
  checkIssuer,
  checkKeyStore,
  checkKubeconfig,
  checkNode,
  checkSecretsKey,
  checkService,
  checkSigningKey,
  checkSocketPermissions,
  summarize,
} from '../../src/doctor/checks.js';
import { awsConfigShimCommands, kubeconfigShimCommands, shellWords } from '../../src/doctor/clients.js';

describe('doctor checks', () => {
  it('node: 20 and newer pass, older fail with the fix', () => {
    expect(checkNode('v20.0.0').status).toBe('pass');
    expect(checkNode('v22.11.0').status).toBe('pass');
    const old = checkNode('v18.19.1');
    expect(old.status).toBe('fail');
    expect(old.fix).toMatch(/Node\.js 20/);
  });

  it('config: a parse error fails naming the file and line; absent warns', () => {
    const bad = checkConfig({ file: '/c/config.yaml', exists: true, error: '/c/config.yaml:3: issuer.url must be an https:// URL' });
    expect(bad).toMatchObject({ status: 'fail', detail: '/c/config.yaml:3: issuer.url must be an https:// URL', fix: 'fix the field named above in /c/config.yaml' });
    const fromEnv = checkConfig({ file: '/c/config.yaml', exists: true, error: 'ESCD_KEYSTORE must be one of auto, keychain, file (got "x")' });
    expect(fromEnv).toMatchObject({ status: 'fail', fix: 'fix or unset the environment variable named above' });
    expect(checkConfig({ file: '/c/config.yaml', exists: false }).status).toBe('warn');
    expect(checkConfig({ file: '/c/config.yaml', exists: true }).status).toBe('pass');
  });

  it('environments: missing or empty warn, a file in its place fails', () => {
    expect(checkEnvironments({ dir: '/e', state: 'missing', count: 0 }).status).toBe('warn');
    expect(checkEnvironments({ dir: '/e', state: 'ok', count: 0 }).status).toBe('warn');
    expect(checkEnvironments({ dir: '/e', state: 'not-a-directory', count: 0 }).status).toBe('fail');
    expect(checkEnvironments({ dir: '/e', state: 'ok', count: 2 })).toMatchObject({ status: 'pass', detail: '2 environments in /e, all without errors' });
    const broken = checkEnvironments({ dir: '/e', state: 'ok', count: 3, broken: [{ name: 'p/a', error: '/e/p/a.yaml:3:5: unknown property "x"' }, { name: 'p/b', error: 'x' }] });
    // Every broken environment with its errors, not only the first (issue 13 #4).
    expect(broken).toMatchObject({ status: 'warn', detail: 'p/a has errors: /e/p/a.yaml:3:5: unknown property "x" | p/b has errors: x', fix: expect.stringContaining('escd env edit p/a') });
  });

  it('key store: the file fallback is flagged, the keychain passes, an error fails', () => {
    const file = checkKeyStore({ backend: 'file', location: '/s/keystore.json', note: 'keystore: auto, and the OS keychain is not available' });
    expect(file.status).toBe('warn');
    expect(file.detail).toMatch(/file fallback.*\/s\/keystore\.json.*OS keychain is not available/);
    expect(checkKeyStore({ backend: 'keychain', location: 'Secret Service' }).status).toBe('pass');
    expect(checkKeyStore({ error: 'refusing to use /s/keys: other users can access it' }).status).toBe('fail');
  });

  it('signing key: a key whose private half is missing, or one that existed and is gone, fails with the replace fix', () => {
    const missing = checkSigningKey({ keys: 1, activeKid: 'abc', signError: 'the private signing key abc is missing from /s/keystore.json' });
    expect(missing.status).toBe('fail');
    expect(missing.fix).toMatch(/escd keys replace signing --yes.*escd oidc publish/);
    expect(checkSigningKey({ keys: 0 }).status).toBe('warn');
    const gone = checkSigningKey({ keys: 0, existed: 'one was created on 2026-01-02' });
    expect(gone).toMatchObject({ status: 'fail', detail: 'the signing key is missing (one was created on 2026-01-02)' });
    expect(checkSigningKey({ keys: 2, activeKid: 'abc' }).status).toBe('pass');
  });

  it('data key: encrypted secrets without the data key fail', () => {
    expect(checkSecretsKey({ hasDataKey: false, encryptedIn: ['/e/p/dev.yaml'] }).status).toBe('fail');
    expect(checkSecretsKey({ hasDataKey: false, encryptedIn: [] }).status).toBe('pass');
    expect(checkSecretsKey({ hasDataKey: true, encryptedIn: [] }).status).toBe('pass');
  });

  it('daemon: unreachable fails and suggests escd start', () => {
    const down = checkDaemon({ socket: '/r/escd.sock', reachable: false, error: 'ENOENT' });
    expect(down.status).toBe('fail');
    expect(down.fix).toMatch(/escd start/);
    expect(checkDaemon({ socket: '/r/escd.sock', reachable: true, pid: 42, version: '0.1.0' }, '0.1.0')).toMatchObject({ status: 'pass', detail: expect.stringContaining('pid 42') });
    const old = checkDaemon({ socket: '/r/escd.sock', reachable: true, pid: 42, version: '0.1.0' }, '0.2.0');
    expect(old).toMatchObject({ status: 'warn', fix: expect.stringContaining('escd restart') });
  });

  it('socket permissions: group/other bits on the socket or its dir fail with chmod fixes', () => {
    const dir = { path: '/r', exists: true, mode: 0o700, ownedByUser: true, kind: 'directory' as const };
    const socket = { path: '/r/escd.sock', exists: true, mode: 0o600, ownedByUser: true, kind: 'socket' as const };
    expect(checkSocketPermissions(dir, socket).status).toBe('pass');
    const open = checkSocketPermissions(dir, { ...socket, mode: 0o666 });
    expect(open.status).toBe('fail');
    expect(open.detail).toContain('/r/escd.sock is 0666');
    expect(open.fix).toContain('chmod 600 /r/escd.sock');
    const openDir = checkSocketPermissions({ ...dir, mode: 0o755 }, socket);
    expect(openDir.fix).toContain('chmod 700 /r');
    expect(checkSocketPermissions({ ...dir, ownedByUser: false }, socket).status).toBe('fail');
    expect(checkSocketPermissions({ path: '/r', exists: false }, { path: '/r/escd.sock', exists: false }).status).toBe('pass');
  });

  it('issuer: placeholder and offline warn; a JWKS without the active key fails', () => {
    expect(checkIssuer({ url: 'https://oidc.escd.invalid' }).status).toBe('warn');
    expect(checkIssuer({ url: 'https://id.example.com', discovery: { kind: 'offline', error: 'ENOTFOUND' } }).status).toBe('warn');
    const stale = checkIssuer({ url: 'https://id.example.com', activeKid: 'new', discovery: { kind: 'ok', issuer: 'https://id.example.com', jwksKids: ['old'] } });
    expect(stale.status).toBe('fail');
    expect(stale.fix).toMatch(/escd oidc publish/);
    const wrong = checkIssuer({ url: 'https://id.example.com', discovery: { kind: 'ok', issuer: 'https://other.example.com', jwksKids: [] } });
    expect(wrong.status).toBe('fail');
    expect(checkIssuer({ url: 'https://id.example.com', activeKid: 'k', discovery: { kind: 'ok', issuer: 'https://id.example.com', jwksKids: ['k'] } }).status).toBe('pass');
  });

  it('clock: small skew passes, 30 s warns, over five minutes fails', () => {
    const at = (skewMs: number) => checkClock({ endpoint: 'https://sts.amazonaws.com', skewMs });
    expect(at(900).status).toBe('pass');
    expect(at(-45_000)).toMatchObject({ status: 'warn', detail: expect.stringContaining('45 s ahead of') });
    expect(at(6 * 60_000)).toMatchObject({ status: 'fail', detail: expect.stringContaining('360 s behind') });
    expect(checkClock({ endpoint: 'x', error: 'ENOTFOUND' }).status).toBe('warn');
  });

  it('clients: a shim that is not there fails', () => {
    const ok = checkAwsConfig({ file: '/h/.aws/config', exists: true, references: [{ name: 'dev', shim: '/s/escd-shim', resolved: '/s/escd-shim' }] });
    expect(ok.status).toBe('pass');
    const broken = checkAwsConfig({ file: '/h/.aws/config', exists: true, references: [{ name: 'dev', shim: '/old/escd-shim' }] });
    expect(broken).toMatchObject({ status: 'fail', detail: 'profile dev → /old/escd-shim: the shim is not there' });
    expect(summarize([ok, broken])).toEqual({ ok: false, pass: 1, warn: 0, fail: 1 });
    const unknown = checkAwsConfig({
      file: '/h/.aws/config',
      exists: true,
      references: [{ name: 'dev', shim: '/s/escd-shim', resolved: '/s/escd-shim', environment: 'app/gone', environmentExists: false }],
    });
    expect(unknown).toMatchObject({ status: 'fail', detail: 'profile dev → environment app/gone: no such environment' });
  });

  it('clients: every bad entry is reported, each once, with both fixes', () => {
    const shim = { shim: '/s/escd-shim', resolved: '/s/escd-shim' };
    const all = checkKubeconfig({
      file: '/h/.kube/config',
      exists: true,
      references: [
        { name: 'a', shim: '/old/escd-shim', environment: 'app/gone', environmentExists: false },
        { name: 'b', ...shim, environment: 'app/dev', environmentExists: true },
        { name: 'c', shim: '/older/escd-shim' },
        { name: 'd', ...shim, environment: 'app/gone', environmentExists: false },
        { name: 'e', ...shim, environment: 'app/old', environmentExists: false },
      ],
    });
    expect(all).toMatchObject({
      status: 'fail',
      detail: 'user a → /old/escd-shim, user c → /older/escd-shim: the shim is not there; user d → environment app/gone, user e → environment app/old: no such environment',
    });
    expect(all.fix).toMatch(/^run `escd setup kube .*` again .*; create it \(`escd env init <env>`\), or fix the environment name in \/h\/\.kube\/config$/);
  });
});

describe('doctor: the user service', () => {
  const files = [{ path: '/h/.config/systemd/user/escd.service', state: 'ok' as const }];
  it('passes when not installed or when everything it starts exists', () => {
    expect(checkService({}).status).toBe('pass');
    expect(checkService({ installed: { manager: 'systemd', files, programs: [{ path: '/usr/bin/node', exists: true }] } }).status).toBe('pass');
  });
  it('fails when the node it starts is gone, with the reinstall fix', () => {
    const gone = checkService({ installed: { manager: 'systemd', files, programs: [{ path: '/home/a/.nvm/versions/node/v20.1.0/bin/node', exists: false }] } });
    expect(gone).toMatchObject({ status: 'fail', fix: expect.stringContaining('escd service install') });
    expect(gone.detail).toContain('/home/a/.nvm/versions/node/v20.1.0/bin/node');
  });
  it('fails when a unit file it wrote is missing', () => {
    expect(checkService({ installed: { manager: 'systemd', files: [{ ...files[0]!, state: 'missing' }], programs: [] } }).status).toBe('fail');
  });
});

describe('finding the shim in client configs', () => {
  it('splits credential_process like a shell', () => {
    expect(shellWords(`"/opt/my node/bin/node" '/a b/shim/main.js' aws my\\ proj/dev`)).toEqual(['/opt/my node/bin/node', '/a b/shim/main.js', 'aws', 'my proj/dev']);
  });

  it('finds profiles whose credential_process runs the shim', () => {
    const text = `[default]
region = us-east-1
credential_process = /usr/local/bin/escd-shim aws default/dev

[profile prod]
credential_process = "/usr/bin/node" "/opt/escd/dist/shim/main.js" aws app/prod
[profile other]
credential_process = /usr/local/bin/aws-vault exec other --json
[sso-session corp]
credential_process = escd-shim aws not/a-profile
`;
    expect(awsConfigShimCommands(text)).toEqual([
      { name: 'default', programs: ['/usr/local/bin/escd-shim'], environment: 'default/dev' },
      { name: 'prod', programs: ['/usr/bin/node', '/opt/escd/dist/shim/main.js'], environment: 'app/prod' },
    ]);
  });

  it('reports a section or key given twice, which the AWS CLI refuses (ConfigParseError), as a broken file', () => {
    const snippet = '[profile dev]\ncredential_process = escd-shim aws p/dev\n';
    expect(() => awsConfigShimCommands(snippet + snippet)).toThrow('[profile dev] appears twice (lines 1 and 3): the AWS CLI cannot read it (ConfigParseError)');
    expect(() => awsConfigShimCommands('[default]\nregion = a\nRegion = b\n')).toThrow("'region' appears twice in [default] (lines 2 and 3)");
    expect(checkAwsConfig({ file: '/h/.aws/config', exists: true, error: 'x appears twice', references: [] })).toMatchObject({ status: 'fail' });
  });

  it('finds kubeconfig users whose exec plugin runs the shim', () => {
    const text = `apiVersion: v1
kind: Config
users:
- name: escd-dev
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: /usr/bin/node
      args: [/opt/escd/dist/shim/main.js, kube, app/dev, --cluster, dev]
- name: aws-native
  user:
    exec: {command: aws, args: [eks, get-token]}
- name: plain
  user: {token: abc}
`;
    expect(kubeconfigShimCommands(text)).toEqual([{ name: 'escd-dev', programs: ['/usr/bin/node', '/opt/escd/dist/shim/main.js'], environment: 'app/dev' }]);
    expect(() => kubeconfigShimCommands('users: [\n')).toThrow(/not valid YAML/);
  });
});

describe('doctor report', () => {
  it('prints one line a check, the fix under anything not passing, and a summary', async () => {
    const { formatReport } = await import('../../src/cli/commands/doctor.js');
    const { terminalFor } = await import('../../src/cli/terminal.js');
    const plain = terminalFor({ isTTY: false } as NodeJS.WriteStream, {});
    const text = formatReport(
      [checkNode('v20.11.0'), checkDaemon({ socket: '/r/escd.sock', reachable: false, error: 'ENOENT' }), checkClock({ endpoint: 'x', offline: true })],
      plain,
    );
    expect(text.split('\n')).toEqual([
      '✓ pass  Node.js  Node.js v20.11.0',
      '✗ fail  daemon   not reachable: ENOENT',
      '                 fix: run `escd start` (or `escd service install` to have it always running)',
      '! warn  clock    not checked (offline)',
      '',
      '1 passed, 1 warning, 1 failed',
      '',
    ]);
  });
});
