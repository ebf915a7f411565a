// The commands that evaluate or call providers besides open and run — the checks of `env set|init|edit`,
// `env get`'s values, `doctor`, `setup`, `oidc token`, `env rotate` — ask the daemon and start it, as the
// shim does, when none answers; with ESCD_NO_DAEMON=1 they run in their own process and start nothing.
// Values shown in clear, tokens and rotations are audit lines written by the daemon. (Rotations against
// moto's IAM and real databases are test/e2e/rotate-*.test.ts.)
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolvePaths } from '../../src/config/paths.js';
import { request } from '../../src/protocol/client.js';
import { socketPath } from '../../src/protocol/socket-path.js';
import { assertBuilt, runCli } from '../support/cli.js';
import { makeTmpHome, stopDaemon, type TmpHome } from '../support/tmp-home.js';

let home: TmpHome;

const daemonPid = async (): Promise<number | undefined> => {
  const answer = await request(socketPath(home.env), 'ping', {}, 2_000).catch(() => undefined);
  return answer?.ok ? (answer.result as { pid: number }).pid : undefined;
};

/**
 * The audit log, read once the daemon has stopped: a daemon answers before its audit line is on disk
 * (unless audit.required), and it writes every line out before it exits.
 */
async function auditOnceStopped(): Promise<Record<string, unknown>[]> {
  await stopDaemon(socketPath(home.env));
  return (await readFile(resolvePaths(home.env).auditLog, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Runs escd with or without a daemon; says whether the command started one. */
async function escd(args: readonly string[], noDaemon = false): Promise<{ code: number | null; stdout: string; stderr: string; started: boolean }> {
  const r = await runCli(args, { env: { ...home.env, ...(noDaemon ? { ESCD_NO_DAEMON: '1' } : {}) } });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr, started: (await daemonPid()) !== undefined };
}

beforeAll(async () => {
  assertBuilt();
  home = await makeTmpHome('escd-engine-');
  const init = await runCli(['env', 'init', 'p/dev'], { env: { ...home.env, ESCD_NO_DAEMON: '1' } });
  expect(init.code, init.stderr).toBe(0);
});

afterAll(async () => {
  await home.cleanup();
});

beforeEach(async () => {
  await stopDaemon(socketPath(home.env));
});

describe('one engine for every evaluation', () => {
  it('env set checks the definition in the daemon (started for it), or in process with ESCD_NO_DAEMON=1', async () => {
    const local = await escd(['env', 'set', 'p/dev', 'region', 'eu-west-1'], true);
    expect(local.code, local.stderr).toBe(0);
    expect(local.started).toBe(false);
    const served = await escd(['env', 'set', 'p/dev', 'environmentVariables.AWS_REGION', '${region}']);
    expect(served.code, served.stderr).toBe(0);
    expect(served.started).toBe(true);
    // The daemon's check refuses what the evaluator refuses, with the line it points at.
    const bad = await escd(['env', 'set', 'p/dev', 'broken', '${nowhere}']);
    expect(bad.stderr).toMatch(/^p\/dev:\d+:\d+: unknown property "nowhere"$/m);
    expect((await escd(['env', 'get', 'p/dev', '--definition'])).stdout).not.toContain('broken');
  });

  it('env get shows the values the daemon checked, the same as in process', async () => {
    const served = await escd(['env', 'get', 'p/dev', '--value', 'json']);
    expect(served.code, served.stderr).toBe(0);
    expect(served.started).toBe(true);
    expect(JSON.parse(served.stdout)).toMatchObject({ region: 'eu-west-1', environmentVariables: { AWS_REGION: 'eu-west-1' } });
    await stopDaemon(socketPath(home.env));
    const local = await escd(['env', 'get', 'p/dev', '--value', 'json'], true);
    expect(local.started).toBe(false);
    expect(local.stdout).toBe(served.stdout);
  });

  it('env get --show-secrets is an audit line of the daemon (revealed); without it the secret stays hidden', async () => {
    const set = await escd(['env', 'set', 'p/dev', 'token', 'hidden-value-93c1', '--secret']);
    expect(set.code, set.stderr).toBe(0);
    const masked = await escd(['env', 'get', 'p/dev', '--value', 'json']);
    expect(masked.stdout).not.toContain('hidden-value-93c1');
    const shown = await escd(['env', 'get', 'p/dev', '--value', 'json', '--show-secrets']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ token: 'hidden-value-93c1' });
    const audit = await auditOnceStopped();
    const revealed = audit.filter((e) => e.action === 'env.check');
    expect(revealed).toEqual([expect.objectContaining({ environment: 'local/p/dev', outcome: 'ok', revealed: true })]);
    expect(JSON.stringify(audit)).not.toContain('hidden-value-93c1');
  });

  it('doctor reports the daemon it found, then has its environments checked by a daemon', async () => {
    const r = await escd(['doctor', '--offline', '--json']);
    const report = JSON.parse(r.stdout) as { checks: Array<{ id?: string; title: string; status: string; detail?: string }> };
    expect(r.started).toBe(true);
    const daemon = report.checks.find((c) => /daemon/i.test(c.title));
    expect(daemon?.status).not.toBe('pass'); // none ran when doctor looked
    const environments = report.checks.find((c) => /environment/i.test(c.title));
    expect(environments?.status).toBe('pass');
  });

  it('oidc token is signed by the daemon (an audit line), or in process with ESCD_NO_DAEMON=1', async () => {
    const served = await escd(['oidc', 'token', 'p/dev', '--json']);
    expect(served.code, served.stderr).toBe(0);
    expect(served.started).toBe(true);
    const { token } = JSON.parse(served.stdout) as { token: string };
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(claims).toMatchObject({ current_env: 'p/dev' });
    expect(served.stderr).toContain('has no fn::open::aws-login');
    const audit = await auditOnceStopped();
    expect(audit.filter((e) => e.action === 'oidc.token')).toEqual([expect.objectContaining({ environment: 'p/dev', outcome: 'ok' })]);
    expect(JSON.stringify(audit)).not.toContain(token);
    const local = await escd(['oidc', 'token', 'p/dev', '--json'], true);
    expect(local.code, local.stderr).toBe(0);
    expect(local.started).toBe(false);
  });

  it('env rotate runs in the daemon (an audit line), asked once', async () => {
    const r = await escd(['env', 'rotate', 'p/dev']);
    expect(r.stderr).toContain('p/dev has no fn::rotate to rotate');
    expect(r.started).toBe(true);
    const audit = await auditOnceStopped();
    expect(audit.filter((e) => e.action === 'env.rotate')).toEqual([expect.objectContaining({ environment: 'p/dev', outcome: 'ok' })]);
  });

  it('setup aws reads the environment region from the daemon', async () => {
    const r = await escd(['setup', 'aws', 'p/dev', '--print']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.started).toBe(true);
    expect(r.stdout).toContain('region = eu-west-1');
    await stopDaemon(socketPath(home.env));
    const local = await escd(['setup', 'aws', 'p/dev', '--print'], true);
    expect(local.started).toBe(false);
    expect(local.stdout).toBe(r.stdout);
  });
});
