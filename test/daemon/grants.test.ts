import { describe, expect, it } from 'vitest';
import { GrantStore, MAX_GRANTS } from '../../daemon/grants.js';
import { ManualClock } from '../../src/clock/clock.js';

describe('endpoint grants', () => {
  it('a token is 32 random bytes, matches only its own grant, and only until its TTL', () => {
    const clock = new ManualClock();
    const store = new GrantStore(clock);
    const a = store.issue('proj/a', 60_000);
    const b = store.issue('proj/b', 120_000);
    expect(Buffer.from(a.token.replace(/^escd_/, ''), 'base64url')).toHaveLength(32);
    expect(a.token).not.toBe(b.token);
    expect(store.match(a.token)?.environment).toBe('proj/a');
    expect(store.match(b.token)?.id).toBe(b.grant.id);
    expect(store.match(a.token.slice(0, -1))).toBeUndefined();
    expect(store.match(a.token + 'x')).toBeUndefined();
    expect(store.match('')).toBeUndefined();
    clock.advance(60_000);
    expect(store.match(a.token)).toBeUndefined();
    expect(store.list().map((g) => g.environment)).toEqual(['proj/b']);
    clock.advance(60_000);
    expect(store.size).toBe(0);
  });

  it('revokes one by id or by token, an environment’s, or all; the list never holds a token or hash', () => {
    const store = new GrantStore(new ManualClock());
    const [a, b, c, d] = ['proj/a', 'proj/a', 'proj/b', 'proj/c'].map((env) => store.issue(env, 3_600_000));
    expect(store.revoke({ id: a!.grant.id })).toBe(1);
    expect(store.match(a!.token)).toBeUndefined();
    expect(store.revoke({ token: d!.token })).toBe(1);
    expect(store.revoke({ token: d!.token })).toBe(0);
    expect(store.revoke({ environment: 'proj/a' })).toBe(1);
    expect(store.match(b!.token)).toBeUndefined();
    expect(store.match(c!.token)?.environment).toBe('proj/b');
    expect(JSON.stringify(store.list())).not.toMatch(/escd_|hash/);
    expect(store.revoke({ all: true })).toBe(1);
    expect(store.size).toBe(0);
  });

  it(`holds at most ${MAX_GRANTS} live grants`, () => {
    const clock = new ManualClock();
    const store = new GrantStore(clock);
    for (let i = 0; i < MAX_GRANTS; i++) store.issue('proj/a', 60_000);
    expect(() => store.issue('proj/a', 60_000)).toThrow(/at most 1024/);
    clock.advance(60_000); // expired grants make room
    expect(() => store.issue('proj/a', 60_000)).not.toThrow();
  });
});
