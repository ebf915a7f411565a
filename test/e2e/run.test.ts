// `escd run` end to end: the built CLI runs a real child (a small node script) and we check what
// the child saw, what reached our stdout/stderr, the temporary files, signals and exit codes.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertBuilt, CLI, runCli, type RunResult } from '../support/cli.js';
import { awsCliMissing, e2eSkipReason, motoMissing, startMoto, type Moto } from '../support/moto.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

const SECRET = 'tok-3f9a1c77e2b4';
const FILE_SECRET = 'file-secret-8d2e';

/** The child: records what it sees into REPORT (outside our filtered streams), then acts per argv[2]. */
const CHILD = String.raw`
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
const [mode, arg] = process.argv.slice(2);
const file = (name) => ({ path: process.env[name], text: readFileSync(process.env[name], 'utf8'), mode: statSync(process.env[name]).mode & 0o777 });
writeFileSync(process.env.REPORT, JSON.stringify({
  PLAIN: process.env.PLAIN, SECRET_VAR: process.env.SECRET_VAR, NUM: process.env.NUM, INHERITED: process.env.INHERITED,
  CONFIG_FILE: file('CONFIG_FILE'), KEY_FILE: file('KEY_FILE'),
  dirMode: statSync(dirname(process.env.CONFIG_FILE)).mode & 0o777,
}));
const later = (ms) => new Promise((r) => setTimeout(r, ms));
switch (mode) {
  case 'print-whole':
    process.stdout.write('token=' + process.env.SECRET_VAR + ' plain=' + process.env.PLAIN + '\n');
    process.stderr.write('err ' + process.env.SECRET_VAR + '\n');
    break;
  case 'print-split': {
    const s = process.env.SECRET_VAR, half = s.length >> 1;
    process.stdout.write('start ' + s.slice(0, half));
    await later(150);
    process.stdout.write(s.slice(half) + ' end\n');
    process.stderr.write('[' + s.slice(0, 3));
    await later(150);
    process.stderr.write(s.slice(3) + ']\n');
    break;
  }
  case 'print-file':
    process.stdout.write(readFileSync(process.env.KEY_FILE, 'utf8') + '\n');
    break;
  case 'exit':
    process.exit(Number(arg));
  case 'wait':
    process.stdout.write('ready\n');
    setInterval(() => {}, 1000);
    break;
  case 'trap':
    process.on('SIGTERM', () => { process.stdout.write('got SIGTERM\n'); process.exit(42); });
    process.stdout.write('ready\n');
    setInterval(() => {}, 1000);
    break;
  case 'count-int': {
    let n = 0;
    process.on('SIGINT', () => {
      if (++n === 1) setTimeout(() => { process.stdout.write('SIGINTs: ' + n + '\n'); process.exit(0); }, 700);
    });
    process.stdout.write('ready\n');
    setInterval(() => {}, 1000);
    break;
  }
  case 'self-kill':
    process.kill(process.pid, 'SIGKILL');
    break;
}
`;

/** The terminal test drives a pseudo-terminal with python3's pty module. */
const ptySkip = e2eSkipReason(
  spawnSync('python3', ['-c', 'import pty'], { timeout: 20_000 }).status === 0 ? undefined : 'python3 with the pty module is not available',
);

let home: TmpHome;
let tmp: string;
let child: string;
let report: string;
let env: Record<string, string>;

beforeAll(async () => {
  assertBuilt();
  home = await makeTmpHome();
  // escd run's private directory for files under ESCD_HOME (config/paths.ts runFilesDir).
  tmp = join(home.env.ESCD_HOME!, 'run', 'files');
  await mkdir(tmp, { recursive: true, mode: 0o700 });
  child = join(home.dir, 'child.mjs');
  report = join(home.dir, 'report.json');
  await writeFile(child, CHILD);
  env = { ...home.env, INHERITED: 'from-parent', REPORT: report };
  const dir = join(home.env.ESCD_HOME!, 'environments', 'proj');
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'run.yaml'),
    [
      'values:',
      '  token:',
      `    fn::secret: ${SECRET}`,
      '  environmentVariables:',
      '    PLAIN: hello world',
      '    SECRET_VAR: ${token}',
      '    NUM: 42',
      '    INHERITED: overridden',
      '  files:',
      '    CONFIG_FILE: "region = us-west-2\\n"',
      '    KEY_FILE:',
      `      fn::secret: "-----BEGIN-----\\n${FILE_SECRET}\\n-----END-----"`,
      '',
    ].join('\n'),
  );
});
afterAll(() => home.cleanup());
beforeEach(async () => {
  await writeFile(report, '{}');
});

const run = (args: string[], extra: Record<string, string> = {}): Promise<RunResult> =>
  runCli(['run', 'proj/run', ...args], { env: { ...env, ...extra } });

interface Report {
  PLAIN: string;
  SECRET_VAR: string;
  NUM: string;
  INHERITED: string;
  CONFIG_FILE: { path: string; text: string; mode: number };
  KEY_FILE: { path: string; text: string; mode: number };
  dirMode: number;
}
const readReport = async (): Promise<Report> => JSON.parse(await readFile(report, 'utf8')) as Report;
const leftovers = (): Promise<string[]> => readdir(tmp);

/** Starts escd run and resolves once the child printed "ready". */
function startWaiting(mode: string): Promise<{ pid: number; done: Promise<{ code: number | null; stdout: string }> }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, 'run', 'proj/run', '--', process.execPath, child, mode], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    const done = new Promise<{ code: number | null; stdout: string }>((res) =>
      proc.on('close', (code) => {
        clearTimeout(timer);
        res({ code, stdout });
      }),
    );
    proc.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (stdout.includes('ready\n')) resolve({ pid: proc.pid!, done });
    });
    proc.on('error', reject);
    void done.then(({ code }) => reject(new Error(`escd exited (${code}) before the child was ready`)));
  });
}

describe('escd run', () => {
  it('gives the child the variables and private files, then removes the files', async () => {
    const result = await run(['--', process.execPath, child, 'none']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const seen = await readReport();
    expect(seen).toMatchObject({ PLAIN: 'hello world', SECRET_VAR: SECRET, NUM: '42', INHERITED: 'overridden' });
    expect(seen.CONFIG_FILE.text).toBe('region = us-west-2\n');
    expect(seen.KEY_FILE.text).toBe(`-----BEGIN-----\n${FILE_SECRET}\n-----END-----`);
    expect(seen.CONFIG_FILE.mode).toBe(0o600);
    expect(seen.KEY_FILE.mode).toBe(0o600);
    expect(seen.dirMode).toBe(0o700);
    expect(seen.CONFIG_FILE.path.startsWith(tmp)).toBe(true);
    expect(existsSync(seen.CONFIG_FILE.path)).toBe(false);
    expect(await leftovers()).toEqual([]);
  });

  it('replaces a secret the child prints whole with [secret], on stdout and stderr', async () => {
    const result = await run([process.execPath, child, 'print-whole']);
    expect(result.stdout).toBe('token=[secret] plain=hello world\n');
    expect(result.stderr).toBe('err [secret]\n');
  });

  it('replaces a secret split across two writes', async () => {
    const result = await run(['--', process.execPath, child, 'print-split']);
    expect(result.stdout).toBe('start [secret] end\n');
    expect(result.stderr).toBe('[[secret]]\n');
    expect(result.stdout + result.stderr).not.toContain(SECRET.slice(0, 3));
  });

  it('redacts a multi-line secret file the child prints', async () => {
    const result = await run(['--', process.execPath, child, 'print-file']);
    expect(result.stdout).toBe('[secret]\n');
  });

  it('passes output through unfiltered with -i', async () => {
    const result = await run(['-i', '--', process.execPath, child, 'print-whole']);
    expect(result.stdout).toBe(`token=${SECRET} plain=hello world\n`);
  });

  it("exits with the child's exit code", async () => {
    expect((await run(['--', process.execPath, child, 'exit', '3'])).code).toBe(3);
    expect((await run(['--', process.execPath, child, 'exit', '0'])).code).toBe(0);
    expect(await leftovers()).toEqual([]);
  });

  it('exits 128+9 and cleans up when the child is killed', async () => {
    const result = await run(['--', process.execPath, child, 'self-kill']);
    expect(result.code).toBe(137);
    const seen = await readReport();
    expect(existsSync(seen.KEY_FILE.path)).toBe(false);
    expect(await leftovers()).toEqual([]);
  });

  it('forwards SIGINT to the child and cleans up (Ctrl-C)', async () => {
    const { pid, done } = await startWaiting('wait');
    const seen = await readReport();
    expect(existsSync(seen.KEY_FILE.path)).toBe(true);
    process.kill(pid, 'SIGINT');
    const { code } = await done;
    expect(code).toBe(130);
    expect(existsSync(seen.KEY_FILE.path)).toBe(false);
    expect(await leftovers()).toEqual([]);
  });

  it("forwards SIGTERM and reports the child's own exit code", async () => {
    const { pid, done } = await startWaiting('trap');
    process.kill(pid, 'SIGTERM');
    const { code, stdout } = await done;
    expect(stdout).toBe('ready\ngot SIGTERM\n');
    expect(code).toBe(42);
    expect(await leftovers()).toEqual([]);
  });

  it.skipIf(ptySkip)('delivers Ctrl-C in a terminal to the child once (not again by forwarding)', async () => {
    // A real pseudo-terminal (python's pty): Ctrl-C makes the terminal send SIGINT to the whole
    // foreground process group, escd and the child alike.
    const driver = String.raw`
import os, pty, select, sys, time
argv = sys.argv[1:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
out = b''
def pump(until, stop=None):
    global out
    while time.time() < until:
        try:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    return
                out += chunk
        except OSError:
            return
        if stop and stop in out:
            return
pump(time.time() + 20, b'ready')
os.write(fd, b'')
pump(time.time() + 20)
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf-8', 'replace'))
sys.stdout.write('EXIT %d\n' % os.waitstatus_to_exitcode(status))
`;
    const result = await new Promise<{ stdout: string; code: number | null }>((resolve, reject) => {
      const proc = spawn('python3', ['-c', driver, process.execPath, CLI, 'run', 'proj/run', '--', process.execPath, child, 'count-int'], {
        env: { PATH: process.env.PATH ?? '', ...env },
      });
      let stdout = '';
      proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      proc.on('error', reject);
      proc.on('close', (code) => resolve({ stdout, code }));
    });
    expect(result.stdout).toContain('SIGINTs: 1');
    expect(result.stdout).toContain('EXIT 0');
    expect(await leftovers()).toEqual([]);
  });

  it('stops an endless writer when our reader goes away (`escd run … yes | head -1`)', async () => {
    const started = Date.now();
    const code = await new Promise<number | null>((resolve, reject) => {
      const proc = spawn(process.execPath, [CLI, 'run', 'proj/run', '--', 'yes'], { env: { PATH: process.env.PATH ?? '', ...env } });
      const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      proc.stdout.once('data', () => proc.stdout.destroy());
      proc.on('error', reject);
      proc.on('close', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    // yes's own status: 1 (write error) or 141 (SIGPIPE), whichever its platform gives.
    expect([1, 141]).toContain(code);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await leftovers()).toEqual([]);
  });

  it('removes the files of an earlier run that was killed outright', async () => {
    const stale = join(tmp, '999999999-abc123');
    await mkdir(stale);
    await writeFile(join(stale, 'KEY_FILE'), 'old secret');
    const result = await run(['--', process.execPath, child, 'none']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(await leftovers()).toEqual([]);
  });

  it('fails clearly for a missing command and for errors in the environment', async () => {
    const missing = await run(['--', 'escd-no-such-command']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toBe('escd: cannot run "escd-no-such-command": command not found\n');
    expect(await leftovers()).toEqual([]);
    const bad = await runCli(['run', 'proj/none', '--', 'true'], { env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^escd: environment proj\/none does not exist/);
  });
});

// The seed documents' use case: `escd run <env> -- aws …` with credentials from fn::open::aws-login,
// through the built CLI, the real issuer and a real STS emulator (moto), and the real AWS CLI.
const awsSkip = e2eSkipReason(motoMissing(), awsCliMissing());
describe.skipIf(awsSkip)('escd run with aws-login (moto, AWS CLI)', () => {
  let moto: Moto;
  let awsHome: TmpHome;
  beforeAll(async () => {
    moto = await startMoto();
    awsHome = await makeTmpHome();
    await mkdir(join(awsHome.env.ESCD_HOME!, 'environments', 'app'), { recursive: true });
    await writeFile(join(awsHome.env.ESCD_HOME!, 'config.yaml'), `org: acme\nuser: alice\naws:\n  region: us-east-1\n  stsEndpoint: ${moto.endpoint}\n`);
    await writeFile(
      join(awsHome.env.ESCD_HOME!, 'environments', 'app', 'dev.yaml'),
      [
        'values:',
        '  aws:',
        '    login:',
        '      fn::open::aws-login:',
        '        oidc:',
        '          duration: 1h',
        '          roleArn: arn:aws:iam::123456789012:role/deploy',
        '          sessionName: esc-${context.pulumi.user.login}',
        '  environmentVariables:',
        '    AWS_ACCESS_KEY_ID: ${aws.login.accessKeyId}',
        '    AWS_SECRET_ACCESS_KEY: ${aws.login.secretAccessKey}',
        '    AWS_SESSION_TOKEN: ${aws.login.sessionToken}',
        '',
      ].join('\n'),
    );
  }, 30_000);
  afterAll(async () => {
    await moto?.stop();
    await awsHome?.cleanup();
  });

  const awsEnv = (): Record<string, string> => ({
    ...awsHome.env,
    // For the AWS CLI the child runs: moto's STS, and no profile from the user's files.
    AWS_ENDPOINT_URL_STS: moto.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
  });

  it('runs the AWS CLI as the assumed role', async () => {
    const result = await runCli(['run', 'app/dev', '--', 'aws', 'sts', 'get-caller-identity', '--output', 'json'], { env: awsEnv() });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { Arn: string }).Arn).toBe('arn:aws:sts::123456789012:assumed-role/deploy/esc-alice');
    expect(await moto.count('AssumeRoleWithWebIdentity')).toBeGreaterThanOrEqual(1);
  });

  it('serves repeated runs from the daemon cache: 20 runs, one STS call, the same access key id', async () => {
    await writeFile(
      join(awsHome.env.ESCD_HOME!, 'environments', 'app', 'cached.yaml'),
      (await readFile(join(awsHome.env.ESCD_HOME!, 'environments', 'app', 'dev.yaml'), 'utf8')).replace('esc-${context.pulumi.user.login}', 'cached'),
    );
    const before = await moto.count('AssumeRoleWithWebIdentity');
    const keys = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const result = await runCli(['run', 'app/cached', '-i', '--', 'node', '-e', 'process.stdout.write(process.env.AWS_ACCESS_KEY_ID)'], { env: awsEnv() });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      keys.add(result.stdout);
    }
    expect(await moto.count('AssumeRoleWithWebIdentity')).toBe(before + 1);
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(/^ASIA/);
    // Each run is one audit line of the daemon (written just after its answer).
    const runs = async (): Promise<{ revealed?: boolean }[]> =>
      (await readFile(join(awsHome.env.ESCD_HOME!, 'state', 'audit.log'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { environment: string; action: string; revealed?: boolean })
        .filter((e) => e.environment === 'app/cached' && e.action === 'env.run');
    await expect.poll(async () => (await runs()).length).toBe(20);
    expect((await runs()).every((e) => e.revealed === true)).toBe(true);
  }, 180_000);

  it('puts ${path} values into the arguments, redacted in the output unless -i', async () => {
    const shown = await runCli(['run', 'app/dev', '--', 'echo', 'key=${aws.login.accessKeyId}'], { env: awsEnv() });
    expect(shown.stderr).toBe('');
    expect(shown.stdout).toBe('key=[secret]\n');
    const plain = await runCli(['run', 'app/dev', '-i', '--', 'echo', '${aws.login.accessKeyId}'], { env: awsEnv() });
    expect(plain.stdout).toMatch(/^ASIA\w+\n$/);
    const missing = await runCli(['run', 'app/dev', '--', 'echo', '${aws.nope}'], { env: awsEnv() });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('escd: argument 1: the environment has no value at aws.nope\n');
  });

  it("gives the child the caller's environment and the environment's variables, never escd's own", async () => {
    for (const flags of [[], ['--no-daemon']]) {
      const result = await runCli(['run', ...flags, 'app/dev', '--', 'node', '-e', "process.stdout.write(process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ?? 'unset')"], {
        env: awsEnv(),
      });
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('unset');
    }
  });

  it('keeps the session secret out of the output', async () => {
    const result = await runCli(['run', 'app/dev', '--', 'sh', '-c', 'echo "key=$AWS_SECRET_ACCESS_KEY token=$AWS_SESSION_TOKEN"'], { env: awsEnv() });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('key=[secret] token=[secret]\n');
  });
});
