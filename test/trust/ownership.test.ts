// escd's own directories and files must be the user's and closed to others' writes (config/ownership.ts);
// logs are never opened through a link.
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { loadConfig } from '../../src/config/config.js';
import { EscdError } from '../../src/core/errors.js';
import { ownershipProblems } from '../../src/config/ownership.js';
import { resolvePaths } from '../../src/config/paths.js';

describe('ownership checks', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'escd-own-'));
    env = { HOME: dir, ESCD_HOME: join(dir, 'escd') };
    mkdirSync(join(dir, 'escd', 'state'), { recursive: true });
    chmodSync(join(dir, 'escd'), 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts directories of the user that others can read but not write', async () => {
    expect(ownershipProblems(resolvePaths(env), env)).toEqual([]);
    await expect(loadConfig(resolvePaths(env), env)).resolves.toBeDefined();
  });

  it('refuses an ESCD_HOME others can write to, in one line with a chmod that fixes it', async () => {
    chmodSync(join(dir, 'escd'), 0o777);
    const problems = ownershipProblems(resolvePaths(env), env);
    expect(problems.map((p) => p.problem)).toEqual([`other users can write to ESCD_HOME ${join(dir, 'escd')} (mode 0777)`]);
    const err = await loadConfig(resolvePaths(env), env).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EscdError);
    expect((err as Error).message).toBe(`refusing to use other users can write to ESCD_HOME ${join(dir, 'escd')} (mode 0777); fix: \`chmod go-w ${join(dir, 'escd')}\`, then check its contents`);
    chmodSync(join(dir, 'escd'), 0o755);
    await expect(loadConfig(resolvePaths(env), env)).resolves.toBeDefined();
  });

  it('refuses a config.yaml others can write to, and links planted as the logs', () => {
    writeFileSync(join(dir, 'escd', 'config.yaml'), 'org: acme\n');
    chmodSync(join(dir, 'escd', 'config.yaml'), 0o666);
    symlinkSync(join(dir, '.bashrc'), join(dir, 'escd', 'state', 'audit.log'));
    symlinkSync(join(dir, '.profile'), join(dir, 'escd', 'state', 'daemon.log'));
    const problems = ownershipProblems(resolvePaths(env), env).map((p) => p.problem);
    expect(problems).toEqual([
      `other users can write to config.yaml ${join(dir, 'escd', 'config.yaml')} (mode 0666)`,
      `the audit log ${join(dir, 'escd', 'state', 'audit.log')} is a symbolic link`,
      `the daemon log ${join(dir, 'escd', 'state', 'daemon.log')} is a symbolic link`,
    ]);
  });

  it('refuses a directory under a parent others can write to (not sticky)', () => {
    const open = join(dir, 'open');
    mkdirSync(join(open, 'escd'), { recursive: true });
    chmodSync(open, 0o777);
    const e = { HOME: dir, ESCD_HOME: join(open, 'escd') };
    expect(ownershipProblems(resolvePaths(e), e)[0]?.problem).toMatch(/other users can write to .*open above it/);
    chmodSync(open, 0o1777); // sticky, as /tmp: others cannot rename what is ours
    expect(ownershipProblems(resolvePaths(e), e)).toEqual([]);
  });

  it.skipIf(process.getuid?.() !== 0)('refuses an ESCD_HOME of another user (needs root to chown)', () => {
    const other = join(dir, 'other');
    mkdirSync(other);
    chmodSync(other, 0o755);
    // chown to a uid that is neither us nor root
    chownSync(other, 4243, 4243);
    const e = { HOME: dir, ESCD_HOME: other };
    expect(ownershipProblems(resolvePaths(e), e)[0]).toEqual({ path: other, problem: `ESCD_HOME ${other} belongs to uid 4243, not you`, fix: 'point ESCD_HOME at a directory you own' });
  });

  it('the audit log is never written through a link, and is created 0600', async () => {
    const target = join(dir, 'bashrc');
    writeFileSync(target, 'original\n');
    const file = join(dir, 'escd', 'state', 'audit.log');
    symlinkSync(target, file);
    const warnings: string[] = [];
    const linked = new AuditLog(file, { warn: (m) => warnings.push(m) });
    linked.record({ environment: 'a/b', action: 'env.open', outcome: 'ok' });
    await linked.close();
    expect(readFileSync(target, 'utf8')).toBe('original\n');
    expect(warnings.join()).toContain('ELOOP');
    rmSync(file);
    const fresh = new AuditLog(file);
    fresh.record({ environment: 'a/b', action: 'env.open', outcome: 'ok' });
    await fresh.close();
    expect(lstatSync(file).isFile()).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
