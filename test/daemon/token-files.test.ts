// The token-file keeper on a manual clock: written at once (0600), rewritten when half the token's
// life is gone, removed when renewal keeps failing past expiry and when the daemon stops, and written
// again by a new daemon from the registry.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TokenFileKeeper, type KeptFile, type MintedToken } from '../../daemon/token-files.js';
import { ManualClock } from '../../src/clock/clock.js';

const LIFE_MS = 10 * 60_000;

describe('token files kept fresh', () => {
  let dir: string;
  let clock: ManualClock;
  let minted: number;
  let failing: boolean;
  const logs: string[] = [];

  const mint = async (file: KeptFile): Promise<MintedToken> => {
    if (failing) throw new Error('STS is down');
    minted++;
    return { token: `${file.env}-token-${minted}`, expiresAt: clock.now() + LIFE_MS };
  };
  const keeper = (): TokenFileKeeper => new TokenFileKeeper({ clock, registry: join(dir, 'state', 'token-files.json'), mint, log: (m) => logs.push(m) });
  /** Lets the renewal a timer started finish (its mint and write are promises). */
  const settle = async (k: TokenFileKeeper): Promise<void> => {
    for (let i = 0; i < 3; i++) await k.settled();
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'escd-tf-'));
    clock = new ManualClock(Date.UTC(2026, 0, 1));
    minted = 0;
    failing = false;
    logs.length = 0;
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes at once, 0600, and again when half the life is gone, never before', async () => {
    const k = keeper();
    const path = join(dir, 'run', 'tokens', 'a.token');
    const status = await k.keep({ kind: 'oidc', env: 'proj/a', audience: 'api://x', path });
    expect(await readFile(path, 'utf8')).toBe('proj/a-token-1');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(status.nextRenewalAt).toBe(new Date(clock.now() + LIFE_MS / 2).toISOString());
    clock.advance(LIFE_MS / 2 - 1);
    await settle(k);
    expect(await readFile(path, 'utf8')).toBe('proj/a-token-1');
    clock.advance(1);
    await settle(k);
    expect(await readFile(path, 'utf8')).toBe('proj/a-token-2');
    clock.advance(LIFE_MS / 2);
    await settle(k);
    expect(await readFile(path, 'utf8')).toBe('proj/a-token-3');
    await k.close();
  });

  it('renew(env) rewrites that environment’s files now', async () => {
    const k = keeper();
    const a = join(dir, 'a.token');
    const b = join(dir, 'b.token');
    await k.keep({ kind: 'oidc', env: 'proj/a', audience: 'x', path: a });
    await k.keep({ kind: 'oidc', env: 'proj/b', audience: 'x', path: b });
    expect(await k.renew('proj/a')).toBe(1);
    expect(await readFile(a, 'utf8')).toBe('proj/a-token-3');
    expect(await readFile(b, 'utf8')).toBe('proj/b-token-2');
    await k.close();
  });

  it('a renewal that keeps failing removes the file before its token expires; recovery writes it again', async () => {
    const k = keeper();
    const path = join(dir, 'a.token');
    await k.keep({ kind: 'oidc', env: 'proj/a', audience: 'x', path });
    failing = true;
    clock.advance(LIFE_MS / 2); // first try fails: 5 min left, retried in 30 s
    await settle(k);
    expect(await readFile(path, 'utf8')).toBe('proj/a-token-1');
    expect(k.list()[0]!.lastError).toBe('STS is down');
    const expiry = Date.UTC(2026, 0, 1) + LIFE_MS;
    for (let i = 0; i < 40; i++) {
      clock.advance(30_000);
      await settle(k);
      // Never there with an expired token in it.
      if (await stat(path).catch(() => undefined)) expect(clock.now()).toBeLessThan(expiry);
    }
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
    failing = false;
    clock.advance(5 * 60_000);
    await settle(k);
    expect(await readFile(path, 'utf8')).toBe('proj/a-token-2');
    await k.close();
  });

  it('a failed first write is an error and nothing is kept', async () => {
    failing = true;
    const k = keeper();
    await expect(k.keep({ kind: 'oidc', env: 'proj/a', audience: 'x', path: join(dir, 'a.token') })).rejects.toThrow('STS is down');
    expect(k.list()).toEqual([]);
    await expect(k.keep({ kind: 'oidc', env: 'proj/a', audience: 'x', path: 'relative.token' })).rejects.toThrow(/absolute/);
  });

  it('stopping removes the files; a new keeper writes them again from the registry', async () => {
    const first = keeper();
    const path = join(dir, 'a.token');
    await first.keep({ kind: 'kube', env: 'proj/a', cluster: 'prod', path });
    await first.close();
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
    const second = keeper();
    await second.start();
    expect(await readFile(path, 'utf8')).toBe('proj/a-token-2');
    expect(second.list()).toMatchObject([{ kind: 'kube', environment: 'proj/a', path }]);
    await second.close();
  });
});
