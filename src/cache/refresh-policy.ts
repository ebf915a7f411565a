// When to renew a cached session, and how long to wait between failed attempts. Pure functions:
// the scheduler (environment-cache.ts) applies them against the injected clock.
//
// AWS SDKs refresh process credentials with under 15 minutes left (botocore: advisory 15, mandatory 10),
// so the daemon renews early enough that what it serves keeps more than that:
//
//   refreshAt = max(expiresAt − 20 min, issuedAt + renewAfter(lifetime))
//   renewAfter = min(lifetime / 3, lifetime − 16 min)   when that is at least 2 min
//              = lifetime / 3                            otherwise (sessions under 18 min)
//
// For the STS default of 1 h that is 40 min after issue, leaving 20 min. Sessions from 18 to 25 min are
// renewed once they are 16 min from expiry (at most every 2 min), so they too are served with more than
// 15 min left. Shorter sessions cannot be, and the lifetime/3 floor stops them from refreshing in a loop:
// a 15 min session (the STS minimum) is renewed every 5 min and served with at least 10 min left.
// Served life is therefore ≥ min(20 min, lifetime − renewAfter) minus the scheduler's check interval and
// the STS round trip: above 15 min for every session of 18 min or more.

const MINUTE = 60_000;

/** Renew this long before expiry (when the session is long enough). */
export const REFRESH_LEAD_MS = 20 * MINUTE;
/** The life clients need to not refresh on their own (botocore's advisory window). */
export const CLIENT_REFRESH_WINDOW_MS = 15 * MINUTE;
/** What short sessions are served with at least: the clients' window plus a minute for the scheduler and STS. */
export const SHORT_SESSION_SERVED_LIFE_MS = CLIENT_REFRESH_WINDOW_MS + MINUTE;
/** A session is never renewed more often than this. */
export const MIN_RENEW_INTERVAL_MS = 2 * MINUTE;
/** A credential with less than this left is treated as expired: never served. */
export const EXPIRY_MARGIN_MS = MINUTE;
/** Backoff after failed refreshes: full jitter over base·2^(n−1), capped. */
export const BACKOFF_BASE_MS = 5_000;
export const BACKOFF_CAP_MS = 5 * MINUTE;

/** How long after issue a session is renewed at the earliest (see the rule above). */
function renewAfter(lifetimeMs: number): number {
  const keepingClientWindow = lifetimeMs - SHORT_SESSION_SERVED_LIFE_MS;
  return keepingClientWindow >= MIN_RENEW_INTERVAL_MS ? Math.min(lifetimeMs / 3, keepingClientWindow) : lifetimeMs / 3;
}

/** The wall time at which a session issued at `issuedAt` and expiring at `expiresAt` should be renewed. */
export function refreshAt(issuedAt: number, expiresAt: number): number {
  const lifetime = Math.max(0, expiresAt - issuedAt);
  return Math.max(expiresAt - REFRESH_LEAD_MS, issuedAt + renewAfter(lifetime));
}

/** The least life a served credential keeps under this policy when refreshes succeed at once. */
export function guaranteedServedLife(lifetimeMs: number): number {
  return Math.min(REFRESH_LEAD_MS, lifetimeMs - renewAfter(lifetimeMs));
}

/** True while a credential expiring at `expiresAt` may still be handed out at `now`. */
export function isServable(expiresAt: number | undefined, now: number): boolean {
  return expiresAt === undefined || expiresAt - now >= EXPIRY_MARGIN_MS;
}

/**
 * Delay before retry number `failures` (1 = after the first failure): "full jitter" from the AWS
 * architecture blog, uniform in [0, min(cap, base·2^(failures−1))). `random` is injected for tests.
 */
export function backoffDelay(failures: number, random: () => number): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, Math.min(30, failures - 1)));
  return Math.floor(random() * ceiling);
}
