import { describe, expect, it } from 'vitest';
import { activeKey, jwksOf, liveKeys, pendingKey, prepareKeySet, publicJwkOf, rotateKeySet, type KeySetState, type SigningKeyRecord } from '../../src/oidc/key-set.js';

const key = (kid: string, createdAt: string, retiredAt?: string): SigningKeyRecord => ({
  kid,
  alg: 'RS256',
  createdAt,
  ...(retiredAt ? { retiredAt } : {}),
  publicJwk: { kty: 'RSA', n: `n-${kid}`, e: 'AQAB' },
});

describe('key set rules', () => {
  const t0 = Date.UTC(2026, 0, 1);
  const hour = 3600_000;

  it('rotation retires the active key and keeps it published for a token lifetime plus skew', () => {
    let state: KeySetState = { version: 1, keys: [key('a', new Date(t0).toISOString())] };
    ({ state } = rotateKeySet(state, key('b', new Date(t0 + hour).toISOString()), t0 + hour));
    expect(activeKey(state)?.kid).toBe('b');
    expect(state.keys.find((k) => k.kid === 'a')?.retiredAt).toBe(new Date(t0 + hour).toISOString());
    // 1 h max lifetime + 5 min skew after retirement: still live just before, gone after.
    expect(liveKeys(state, t0 + 2 * hour + 299_000).map((k) => k.kid)).toEqual(['a', 'b']);
    expect(liveKeys(state, t0 + 2 * hour + 300_000).map((k) => k.kid)).toEqual(['b']);
    const later = rotateKeySet(state, key('c', ''), t0 + 3 * hour);
    expect(later.dropped).toEqual(['a']);
    expect(later.state.keys.map((k) => [k.kid, k.retiredAt !== undefined])).toEqual([
      ['b', true],
      ['c', false],
    ]);
  });

  it('a prepared key is published but does not sign until the rotation activates it', () => {
    let state: KeySetState = { version: 1, keys: [key('a', new Date(t0).toISOString())] };
    state = prepareKeySet(state, key('b', new Date(t0).toISOString()));
    expect(activeKey(state)?.kid).toBe('a');
    expect(pendingKey(state)?.kid).toBe('b');
    expect(jwksOf(liveKeys(state, t0)).keys.map((k) => k.kid)).toEqual(['a', 'b']);
    expect(() => prepareKeySet(state, key('c', ''))).toThrow('a prepared key exists already');
    const rotated = rotateKeySet(state, undefined, t0 + hour);
    expect(rotated.active.kid).toBe('b');
    expect(activeKey(rotated.state)?.kid).toBe('b');
    expect(pendingKey(rotated.state)).toBeUndefined();
    expect(rotated.state.keys.map((k) => [k.kid, k.retiredAt ?? null, k.pending ?? null])).toEqual([
      ['a', new Date(t0 + hour).toISOString(), null],
      ['b', null, null],
    ]);
    // A fresh key offered while one is prepared is not used: the prepared one wins.
    const again = rotateKeySet(prepareKeySet(rotated.state, key('c', '')), key('d', ''), t0 + hour);
    expect(again.active.kid).toBe('c');
  });

  it('the JWKS carries public members only, whatever the stored record holds', () => {
    const leaky = { ...key('a', ''), publicJwk: { kty: 'RSA', n: 'n', e: 'AQAB', d: 'secret', p: 'p', q: 'q', dp: 'dp', dq: 'dq', qi: 'qi' } };
    const [jwk] = jwksOf([leaky]).keys;
    expect(jwk).toEqual({ kty: 'RSA', n: 'n', e: 'AQAB', kid: 'a', alg: 'RS256', use: 'sig' });
    expect(publicJwkOf({ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd' })).toEqual({ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' });
  });
});
