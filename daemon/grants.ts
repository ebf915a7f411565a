// Grants of the container-credentials endpoint: a random bearer token bound to one environment, with
// a TTL, kept only in the daemon's memory (a restart revokes every grant). Only a SHA-256 of each token
// is kept; a presented token is compared with every live grant's hash in constant time, so neither the
// answer nor its timing says how much of a guess was right.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../src/clock/clock.js';

/** 32 random bytes, base64url: 43 characters after the prefix (a header value needs no escaping). */
export const TOKEN_BYTES = 32;
const TOKEN_PREFIX = 'escd_';
/** Grants come from clients of the socket: bounded, so a loop cannot grow the daemon without end. */
export const MAX_GRANTS = 1024;

export interface Grant {
  readonly id: string;
  readonly environment: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  requests: number;
}

interface Held extends Grant {
  readonly hash: Buffer;
}

export interface IssuedGrant {
  readonly grant: Grant;
  /** The bearer token; the store keeps only its hash. */
  readonly token: string;
}

export type RevokeTarget = { readonly all: true } | { readonly id: string } | { readonly token: string } | { readonly environment: string };

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

export class GrantStore {
  private readonly grants = new Map<string, Held>();

  constructor(private readonly clock: Clock) {}

  /** Throws RangeError at MAX_GRANTS live grants. */
  issue(environment: string, ttlMs: number): IssuedGrant {
    this.prune();
    if (this.grants.size >= MAX_GRANTS) throw new RangeError(`at most ${MAX_GRANTS} endpoint grants can be live at once; revoke some (escd endpoint --revoke)`);
    const token = TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url');
    let id: string;
    do id = randomBytes(4).toString('hex');
    while (this.grants.has(id));
    const now = this.clock.now();
    const held: Held = { id, environment, createdAt: now, expiresAt: now + ttlMs, requests: 0, hash: digest(token) };
    this.grants.set(id, held);
    return { grant: held, token };
  }

  /** The live grant whose token this is; every live grant is compared (no early exit). */
  match(presented: string): Grant | undefined {
    const hash = digest(presented);
    const now = this.clock.now();
    let found: Held | undefined;
    for (const held of this.grants.values()) {
      if (timingSafeEqual(hash, held.hash) && held.expiresAt > now) found = held;
    }
    return found;
  }

  /** How many grants were revoked. */
  revoke(target: RevokeTarget): number {
    const doomed: string[] = [];
    const byToken = 'token' in target ? digest(target.token) : undefined;
    for (const held of this.grants.values()) {
      const hit =
        'all' in target ||
        ('id' in target && held.id === target.id) ||
        ('environment' in target && held.environment === target.environment) ||
        (byToken !== undefined && timingSafeEqual(byToken, held.hash));
      if (hit) doomed.push(held.id);
    }
    for (const id of doomed) this.grants.delete(id);
    return doomed.length;
  }

  /** Live grants, oldest first. */
  list(): Grant[] {
    this.prune();
    return [...this.grants.values()].map(({ hash: _hash, ...grant }) => grant);
  }

  get size(): number {
    this.prune();
    return this.grants.size;
  }

  private prune(): void {
    const now = this.clock.now();
    for (const [id, held] of this.grants) if (held.expiresAt <= now) this.grants.delete(id);
  }
}
