// escd's OIDC issuer: signs short-lived tokens with keys it generates on first use. Private keys
// live in the key store (as JWK JSON); the public key set and each key's dates live in a state
// file, which is what `escd oidc publish` turns into the JWKS.
import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JSONWebKeySet, type JWK } from 'jose';
import type { Clock } from '../clock/clock.js';
import { systemClock } from '../clock/clock.js';
import type { EscdConfig, SigningAlgorithm } from '../config/config.js';
import type { Paths } from '../config/paths.js';
import { writeFileAtomic } from '../keystore/atomic-file.js';
import { withFileLock } from '../keystore/file-lock.js';
import { ensurePrivateDir } from '../keystore/private-path.js';
import type { KeyGuard } from '../keystore/key-history.js';
import type { KeyStore } from '../keystore/types.js';
import { buildClaims } from './claims.js';
import {
  activeKey,
  EMPTY_KEY_SET,
  jwksOf,
  liveKeys,
  MAX_TOKEN_LIFETIME_SECONDS,
  parseKeySet,
  pendingKey,
  prepareKeySet,
  publicJwkOf,
  retentionEnd,
  rotateKeySet,
  type KeySetState,
  type SigningKeyRecord,
} from './key-set.js';
import type { TokenIssuer, TokenRequest } from './types.js';

export interface IssuerOptions {
  /** The `iss` of every token. */
  readonly url: string;
  /** Algorithm of keys generated from now on. */
  readonly algorithm: SigningAlgorithm;
  readonly tokenLifetimeSeconds: number;
  readonly store: KeyStore;
  /** The public key set and key dates (not secret). */
  readonly stateFile: string;
  readonly clock?: Clock;
  /** Once a signing key has existed, a missing one is an error, never a new key made on the side. */
  readonly guard?: KeyGuard;
}

export interface KeyInfo {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly createdAt: string;
  readonly retiredAt?: string;
  /** When a retired key leaves the JWKS. */
  readonly dropsAt?: string;
  readonly active: boolean;
  /** Prepared: published, signing after the next rotation. */
  readonly next: boolean;
}

export class IssuerError extends Error {}

export function issuerStateFile(paths: Paths): string {
  return join(paths.stateDir, 'oidc', 'signing-keys.json');
}

const privateKeyName = (kid: string): string => `oidc-signing-key:${kid}`;

/** What a new signing key breaks until it is published. */
export const REPLACEMENT_BREAKS = '(relying parties reject tokens signed with a new key until you publish it: `escd oidc publish`)';

export class Issuer implements TokenIssuer {
  readonly issuerUrl: string;
  private readonly clock: Clock;
  private cached?: { stamp: string; state: KeySetState };
  private readonly privateKeys = new Map<string, Promise<CryptoKey>>();

  constructor(private readonly options: IssuerOptions) {
    this.issuerUrl = options.url.replace(/\/+$/, '');
    this.clock = options.clock ?? systemClock;
  }

  static fromConfig(config: EscdConfig, paths: Paths, store: KeyStore, clock?: Clock, guard?: KeyGuard): Issuer {
    return new Issuer({ ...config.issuer, store, stateFile: issuerStateFile(paths), ...(clock ? { clock } : {}), ...(guard ? { guard } : {}) });
  }

  async mint(request: TokenRequest): Promise<string> {
    const lifetime = request.lifetimeSeconds ?? this.options.tokenLifetimeSeconds;
    if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > MAX_TOKEN_LIFETIME_SECONDS) {
      throw new IssuerError(`token lifetime must be a whole number of seconds from 1 to ${MAX_TOKEN_LIFETIME_SECONDS} (got ${lifetime})`);
    }
    const key = await this.ensureActiveKey();
    const claims = buildClaims(request, { issuer: this.issuerUrl, now: this.clock.now(), lifetimeSeconds: lifetime, jti: randomUUID() });
    return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' }).sign(await this.privateKey(key));
  }

  /** The public keys a verifier may meet now (creates the first key if there is none yet). */
  async jwks(): Promise<JSONWebKeySet> {
    await this.ensureActiveKey();
    return jwksOf(liveKeys(await this.state(), this.clock.now()));
  }

  async keys(): Promise<KeyInfo[]> {
    const state = await this.state();
    const active = activeKey(state);
    return liveKeys(state, this.clock.now()).map((k) => {
      const end = retentionEnd(k);
      return {
        kid: k.kid,
        alg: k.alg,
        createdAt: k.createdAt,
        ...(k.retiredAt !== undefined ? { retiredAt: k.retiredAt } : {}),
        ...(end !== undefined ? { dropsAt: new Date(end).toISOString() } : {}),
        active: k === active,
        next: k.pending === true,
      };
    });
  }

  /**
   * Proves the active key can sign: its private half is in the key store and loads (for `escd doctor`).
   * Returns the active key, undefined when none exists yet (it is created on first use); throws IssuerError otherwise.
   */
  async checkActiveKey(): Promise<{ kid: string; alg: SigningAlgorithm } | undefined> {
    const key = activeKey(await this.state());
    if (!key) return undefined;
    await this.privateKey(key);
    return { kid: key.kid, alg: key.alg };
  }

  /**
   * Makes a new key active: the prepared one if `prepare()` made one (already published, so no gap),
   * otherwise a fresh key of the configured algorithm. Drops retired keys whose tokens have all expired.
   */
  async rotate(): Promise<{ kid: string; alg: SigningAlgorithm; dropped: string[]; wasPrepared: boolean }> {
    return this.locked(async () => {
      const current = await this.state();
      const wasPrepared = pendingKey(current) !== undefined;
      const fresh = wasPrepared ? undefined : await this.generateKey();
      const { state, active, dropped } = rotateKeySet(current, fresh, this.clock.now());
      await this.writeState(state);
      for (const kid of dropped) {
        await this.options.store.delete(privateKeyName(kid));
        this.privateKeys.delete(kid);
      }
      return { kid: active.kid, alg: active.alg, dropped, wasPrepared };
    });
  }

  /**
   * Creates the next key ahead of time: it is published (JWKS) from now on and starts signing at the
   * next `rotate()`, so relying parties already know it when it does.
   */
  async prepare(): Promise<{ kid: string; alg: SigningAlgorithm }> {
    await this.ensureActiveKey();
    return this.locked(async () => {
      const current = await this.state();
      const existing = pendingKey(current);
      if (existing) throw new IssuerError(`key ${existing.kid} is already prepared; \`escd oidc rotate\` makes it active`);
      const record = await this.generateKey();
      await this.writeState(prepareKeySet(current, record));
      return { kid: record.kid, alg: record.alg };
    });
  }

  private async ensureActiveKey(): Promise<SigningKeyRecord> {
    const current = activeKey(await this.state());
    if (current) return current;
    return this.locked(async () => {
      const state = await this.state();
      const again = activeKey(state);
      if (again) return again; // another process created it while we waited
      const why = state.keys.length > 0 ? `${this.options.stateFile} lists keys but none is active` : await this.options.guard?.existed();
      if (why !== undefined) {
        throw new IssuerError(
          `the OIDC signing key is missing (${why}); restore ${this.options.stateFile} and the key store from their backup, or run \`escd keys replace signing --yes\` ${REPLACEMENT_BREAKS}`,
        );
      }
      const record = await this.generateKey();
      await this.writeState({ version: 1, keys: [...state.keys, record] });
      return record;
    });
  }

  /**
   * Makes a fresh key active whatever the state of the old one (`escd keys replace signing`): the
   * old keys stay published until their tokens have expired, as after a rotation.
   */
  async replace(): Promise<{ kid: string; alg: SigningAlgorithm; previous?: string }> {
    return this.locked(async () => {
      const current = await this.state();
      const previous = activeKey(current)?.kid;
      const fresh = await this.generateKey();
      // A prepared key is passed over (it may be what went missing) and dropped with the expired ones.
      const prepared = pendingKey(current);
      const { state, active, dropped } = rotateKeySet({ ...current, keys: current.keys.filter((k) => k !== prepared) }, fresh, this.clock.now());
      await this.writeState(state);
      for (const kid of [...dropped, ...(prepared ? [prepared.kid] : [])]) {
        await this.options.store.delete(privateKeyName(kid));
        this.privateKeys.delete(kid);
      }
      return { kid: active.kid, alg: active.alg, ...(previous ? { previous } : {}) };
    });
  }

  private async generateKey(): Promise<SigningKeyRecord> {
    const alg = this.options.algorithm;
    const pair = await generateKeyPair(alg, { extractable: true });
    const publicJwk = publicJwkOf(await exportJWK(pair.publicKey));
    const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
    const privateJwk: JWK = { ...(await exportJWK(pair.privateKey)), kid, alg };
    await this.options.store.set(privateKeyName(kid), JSON.stringify(privateJwk));
    return { kid, alg, createdAt: new Date(this.clock.now()).toISOString(), publicJwk };
  }

  private privateKey(key: SigningKeyRecord): Promise<CryptoKey> {
    let loaded = this.privateKeys.get(key.kid);
    if (!loaded) {
      loaded = (async () => {
        const text = await this.options.store.get(privateKeyName(key.kid));
        if (text === undefined) {
          throw new IssuerError(
            `the private signing key ${key.kid} is missing from ${this.options.store.location}; restore the key store from its backup, or run \`escd keys replace signing --yes\` ${REPLACEMENT_BREAKS}`,
          );
        }
        let jwk: JWK;
        try {
          jwk = JSON.parse(text) as JWK;
        } catch {
          // The parser's message would quote the key.
          throw new IssuerError(`the private signing key ${key.kid} in the ${this.options.store.location} is damaged (not JSON)`);
        }
        const imported = await importJWK(jwk, key.alg);
        if (imported instanceof Uint8Array) throw new IssuerError(`the signing key ${key.kid} is not an asymmetric key`);
        await this.remember();
        return imported;
      })();
      loaded.catch(() => this.privateKeys.delete(key.kid));
      this.privateKeys.set(key.kid, loaded);
    }
    return loaded;
  }

  /** Best effort: a state directory that cannot be written must not stop signing. */
  private async remember(): Promise<void> {
    await this.options.guard?.exists().catch(() => undefined);
  }

  /** The state file, re-read only when it changed (another process may have rotated). */
  private async state(): Promise<KeySetState> {
    const file = this.options.stateFile;
    const info = await stat(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw new IssuerError(`cannot read ${file}: ${err.code ?? 'error'}`);
    });
    if (!info) return EMPTY_KEY_SET;
    const stamp = `${info.mtimeMs}:${info.size}:${info.ino}`;
    if (this.cached?.stamp === stamp) return this.cached.state;
    const state = parseKeySet(await readFile(file, 'utf8'), file);
    this.cached = { stamp, state };
    return state;
  }

  private async writeState(state: KeySetState): Promise<void> {
    await writeFileAtomic(this.options.stateFile, JSON.stringify(state, null, 2) + '\n', 0o600);
    this.cached = undefined;
    // Remembered once the state names the key: a kill between storing the key and naming it leaves
    // an unnamed key, and the next start must still be free to make the first one.
    if (state.keys.length > 0) await this.remember();
  }

  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    await ensurePrivateDir(dirname(this.options.stateFile));
    return withFileLock(`${this.options.stateFile}.lock`, fn);
  }
}
