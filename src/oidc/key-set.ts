// The issuer's signing key set as data, and the pure rules over it: which key signs, which keys
// are published, when a retired key may go.
import type { JSONWebKeySet, JWK } from 'jose';
import type { SigningAlgorithm } from '../config/config.js';

/** The longest lifetime a token may have; a retired key stays published at least this long. */
export const MAX_TOKEN_LIFETIME_SECONDS = 3600;
/** Slack for relying parties whose clocks run behind. */
export const CLOCK_SKEW_SECONDS = 300;

export interface SigningKeyRecord {
  /** RFC 7638 thumbprint of the public key. */
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  /** ISO 8601. */
  readonly createdAt: string;
  /** ISO 8601; absent while the key is the active one. */
  readonly retiredAt?: string;
  /** Prepared ahead (`rotate --prepare`): published, but signing only after the next rotation. */
  readonly pending?: true;
  /** Public parts only. */
  readonly publicJwk: JWK;
}

export interface KeySetState {
  readonly version: 1;
  readonly keys: readonly SigningKeyRecord[];
}

export const EMPTY_KEY_SET: KeySetState = { version: 1, keys: [] };

export function activeKey(state: KeySetState): SigningKeyRecord | undefined {
  return state.keys.findLast((k) => k.retiredAt === undefined && !k.pending);
}

export function pendingKey(state: KeySetState): SigningKeyRecord | undefined {
  return state.keys.find((k) => k.pending);
}

/** When a retired key's last token has certainly expired. */
export function retentionEnd(key: SigningKeyRecord): number | undefined {
  return key.retiredAt === undefined ? undefined : Date.parse(key.retiredAt) + (MAX_TOKEN_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS) * 1000;
}

/** Keys a verifier may still meet: the active one and retired ones whose tokens may be alive. */
export function liveKeys(state: KeySetState, now: number): SigningKeyRecord[] {
  return state.keys.filter((k) => (retentionEnd(k) ?? Infinity) > now);
}

/**
 * Retires the active key and makes the prepared key active, or `fresh` when none was prepared; drops
 * keys past their retention.
 */
export function rotateKeySet(state: KeySetState, fresh: SigningKeyRecord | undefined, now: number): { state: KeySetState; active: SigningKeyRecord; dropped: string[] } {
  const prepared = pendingKey(state);
  const incoming = prepared ? withoutPending(prepared) : fresh;
  if (!incoming) throw new Error('no key to rotate to');
  const retiredAt = new Date(now).toISOString();
  const kept = liveKeys(state, now)
    .filter((k) => k.kid !== incoming.kid)
    .map((k) => (k.retiredAt === undefined ? { ...k, retiredAt } : k));
  const dropped = state.keys.filter((k) => k.kid !== incoming.kid && !kept.some((c) => c.kid === k.kid)).map((k) => k.kid);
  return { state: { version: 1, keys: [...kept, incoming] }, active: incoming, dropped };
}

/** Adds `next` as the prepared key: published from now on, signing after the next rotation. */
export function prepareKeySet(state: KeySetState, next: SigningKeyRecord): KeySetState {
  if (pendingKey(state)) throw new Error('a prepared key exists already');
  return { version: 1, keys: [...state.keys, { ...withoutPending(next), pending: true }] };
}

function withoutPending(key: SigningKeyRecord): SigningKeyRecord {
  const { pending: _pending, ...rest } = key;
  return rest;
}

/** Only the members of a public JWK, whatever the input carries (so a private key can never leak). */
export function publicJwkOf(jwk: JWK): JWK {
  const pick = jwk.kty === 'RSA' ? ['kty', 'n', 'e'] : jwk.kty === 'EC' ? ['kty', 'crv', 'x', 'y'] : undefined;
  if (!pick) throw new Error(`unsupported key type ${String(jwk.kty)}`);
  const out: Record<string, unknown> = {};
  for (const name of pick) out[name] = (jwk as Record<string, unknown>)[name];
  return out as JWK;
}

export function jwksOf(keys: readonly SigningKeyRecord[]): JSONWebKeySet {
  return { keys: keys.map((k) => ({ ...publicJwkOf(k.publicJwk), kid: k.kid, alg: k.alg, use: 'sig' })) };
}

export function parseKeySet(text: string, file: string): KeySetState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not valid JSON`);
  }
  const state = raw as Partial<KeySetState> | null;
  if (!state || state.version !== 1 || !Array.isArray(state.keys)) throw new Error(`${file} has an unknown format (expected {"version": 1, "keys": [...]})`);
  for (const [i, k] of state.keys.entries()) {
    const key = k as Partial<SigningKeyRecord>;
    if (typeof key.kid !== 'string' || (key.alg !== 'RS256' && key.alg !== 'ES256') || typeof key.createdAt !== 'string' || typeof key.publicJwk !== 'object') {
      throw new Error(`${file}: keys[${i}] is malformed`);
    }
  }
  return state as KeySetState;
}
