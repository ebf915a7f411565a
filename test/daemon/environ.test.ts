// The daemon's process environment holds no value of any environment and no setting of whoever
// started it: a daemon spawned by the shim (inside `escd run`, where the child's environment holds the
// secrets) or by the CLI keeps only the allowlist of daemon/spawn-detached.ts. Endpoint settings pass
// only through an explicit `escd start`. Read from /proc/<pid>/environ, as another process could.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { daemonEnvironment } from '../../daemon/spawn-detached.js';
import { request } from '../../src/protocol/client.js';
import { socketPath } from '../../src/protocol/socket-path.js';
import { assertBuilt, runCli, SHIM } from '../support/cli.js';
import { makeTmpHome, stopDaemon, type TmpHome } from '../support/tmp-home.js';

const DB_PASSWORD = 'hunter2-environ-7f3a';
const SECRET_KEY = 'environ-secret-key-51c9';
const SHELL_SECRET = 'shell-token-0d1e';

const DEFINITION = `values:
  db:
    password:
      fn::secret: ${DB_PASSWORD}
  environmentVariables:
    DB_PASSWORD: \${db.password}
    AWS_ACCESS_KEY_ID: AKIAENVIRONTEST
    AWS_SECRET_ACCESS_KEY:
      fn::secret: ${SECRET_KEY}
`;

const skip = process.platform !== 'linux' ? 'reads /proc/<pid>/environ (Linux only)' : undefined;
if (skip) console.warn(`skipping: ${skip}`);

async function daemonEnviron(env: Record<string, string>): Promise<Record<string, string>> {
  const answer = await request(socketPath(env), 'ping', {});
  if (!answer.ok) throw new Error('the daemon did not answer');
  const { pid } = answer.result as { pid: number };
  const raw = await readFile(`/proc/${pid}/environ`, 'utf8');
  return Object.fromEntries(
    raw
      .split('\0')
      .filter(Boolean)
      .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
  );
}

function expectClean(environ: Record<string, string>): void {
  const text = Object.entries(environ)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
  for (const value of [DB_PASSWORD, SECRET_KEY, SHELL_SECRET, 'AKIAENVIRONTEST']) expect(text).not.toContain(value);
  for (const name of ['DB_PASSWORD', 'AWS_SECRET_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'MY_TOKEN', 'AWS_ENDPOINT_URL_STS', 'AWS_ENDPOINT_URL']) {
    expect(environ).not.toHaveProperty(name);
  }
}

describe('daemonEnvironment', () => {
  it('keeps the allowlist and drops everything else; endpoint settings only when started on purpose', () => {
    const env = {
      HOME: '/h',
      PATH: '/bin',
      LANG: 'C.UTF-8',
      LC_ALL: 'C',
      XDG_RUNTIME_DIR: '/run/user/1',
      ESCD_HOME: '/e',
      https_proxy: 'http://proxy:3128',
      NODE_EXTRA_CA_CERTS: '/ca.pem',
      AWS_CA_BUNDLE: '/ca.pem',
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/1/bus',
      DB_PASSWORD: 'x',
      AWS_SECRET_ACCESS_KEY: 'y',
      AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:9',
      AWS_REGION: 'eu-west-1',
    };
    const kept = ['HOME', 'PATH', 'LANG', 'LC_ALL', 'XDG_RUNTIME_DIR', 'ESCD_HOME', 'https_proxy', 'NODE_EXTRA_CA_CERTS', 'AWS_CA_BUNDLE', 'DBUS_SESSION_BUS_ADDRESS'];
    expect(Object.keys(daemonEnvironment(env, { deliberate: false })).sort()).toEqual(kept.sort());
    expect(Object.keys(daemonEnvironment(env, { deliberate: true })).sort()).toEqual([...kept, 'AWS_ENDPOINT_URL_STS', 'AWS_REGION'].sort());
  });
});

describe.skipIf(skip)("the daemon's /proc/<pid>/environ", () => {
  let home: TmpHome;
  let env: Record<string, string>;

  beforeEach(async () => {
    assertBuilt();
    home = await makeTmpHome('escd-environ-');
    await mkdir(join(home.env.ESCD_HOME!, 'environments', 'proj'), { recursive: true });
    await writeFile(join(home.env.ESCD_HOME!, 'environments', 'proj', 'dev.yaml'), DEFINITION);
    env = { ...home.env, MY_TOKEN: SHELL_SECRET, AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:9' };
  });
  afterEach(async () => {
    await stopDaemon(socketPath(home.env));
    await home.cleanup();
  });

  it('started by a shim inside `escd run` (whose child holds the secrets): none of them', async () => {
    // In process (--no-daemon), so that the shim the child runs is the one that starts the daemon.
    const r = await runCli(['run', '--no-daemon', 'proj/dev', '--', process.execPath, SHIM, 'aws', 'proj/dev'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.replace(/\[secret\]/g, 'x'))).toMatchObject({ Version: 1, AccessKeyId: 'AKIAENVIRONTEST' });
    expectClean(await daemonEnviron(env));
  });

  it('started by the CLI: none of the shell secrets, not its endpoint either (and a warning says so)', async () => {
    const r = await runCli(['open', 'proj/dev'], { env });
    expect(r.code, r.stderr).toBe(0);
    expectClean(await daemonEnviron(env));
  });

  it('started on purpose (`escd start`): the endpoint setting, still no secret; status shows the endpoint', async () => {
    expect((await runCli(['start'], { env })).code).toBe(0);
    const environ = await daemonEnviron(env);
    expect(environ.AWS_ENDPOINT_URL_STS).toBe('http://127.0.0.1:9');
    expect(JSON.stringify(environ)).not.toContain(SHELL_SECRET);
    expect(environ).not.toHaveProperty('MY_TOKEN');
    const status = await runCli(['status'], { env });
    expect(status.stdout).toMatch(/sts endpoint\s+http:\/\/127\.0\.0\.1:9 \(AWS_ENDPOINT_URL_STS\)/);
    // A run inside it starts nothing new and leaves it as it was.
    const r = await runCli(['run', 'proj/dev', '--', process.execPath, SHIM, 'aws', 'proj/dev'], { env });
    expect(r.code, r.stderr).toBe(0);
    const after = await daemonEnviron(env);
    delete after.AWS_ENDPOINT_URL_STS; // deliberately given above
    expectClean(after);
  });
});
