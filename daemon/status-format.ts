// `escd status` for people: a short header about the daemon and one table row per cached environment.
import type { StatusEnvironment, StatusResult } from './handlers.js';

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(Math.abs(ms) / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? ` ${s % 60}s` : ''}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60 ? ` ${m % 60}m` : ''}`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

function relative(iso: string | undefined, now: number): string {
  if (!iso) return '-';
  const delta = Date.parse(iso) - now;
  return delta >= 0 ? `in ${formatDuration(delta)}` : `${formatDuration(delta)} ago`;
}

function expiry(env: StatusEnvironment, now: number): string {
  if (!env.cached) return 'nothing cached';
  if (!env.expiresAt) return 'never';
  return Date.parse(env.expiresAt) <= now ? `expired ${relative(env.expiresAt, now)}` : relative(env.expiresAt, now);
}

function nextRefresh(env: StatusEnvironment, now: number): string {
  if (env.refreshing) return 'refreshing now';
  if (!env.nextRefreshAt) return '-';
  return Date.parse(env.nextRefreshAt) <= now ? 'due' : relative(env.nextRefreshAt, now);
}

function lastRefresh(env: StatusEnvironment, now: number): string {
  const last = env.lastRefresh;
  if (!last) return '-';
  const when = relative(last.at, now);
  if (last.ok) return `ok ${when}${env.stale ? ' (file changed)' : ''}`;
  const failures = env.consecutiveFailures > 1 ? ` (${env.consecutiveFailures}×)` : '';
  return `FAILED ${when}${failures}: ${last.error?.message ?? last.error?.code ?? 'unknown error'}`;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  return rows.map((r) => r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]!))).join('  ').trimEnd()).join('\n');
}

/** The credential endpoint's live grants (nothing when the endpoint has never listened). */
function endpointSection(status: StatusResult, now: number): string {
  const endpoint = status.endpoint;
  if (!endpoint) return '';
  if (endpoint.grants.length === 0) return `\nEndpoint ${endpoint.url}: no live grants.\n`;
  const rows = [['GRANT', 'ENVIRONMENT', 'EXPIRES', 'REQUESTS'], ...endpoint.grants.map((g) => [g.id, g.environment, relative(g.expiresAt, now), String(g.requests)])];
  return `\nEndpoint ${endpoint.url}:\n${table(rows)}\n`;
}

function tokenFileSection(status: StatusResult, now: number): string {
  const files = status.tokenFiles ?? [];
  if (files.length === 0) return '';
  const rows = [
    ['TOKEN FILE', 'ENVIRONMENT', 'EXPIRES', 'NEXT RENEWAL'],
    ...files.map((f) => [f.path, f.environment, f.lastError ? `FAILED: ${f.lastError}` : relative(f.expiresAt, now), relative(f.nextRenewalAt, now)]),
  ];
  return `\n${table(rows)}\n`;
}

function auditLine(audit: NonNullable<StatusResult['daemon']['audit']>, now: number): string {
  const required = audit.required ? ' (required)' : '';
  if (audit.ok) return `${audit.file}${required}${audit.dropped > 0 ? `, ${audit.dropped} line(s) lost earlier` : ''}`;
  const consequence = audit.required ? 'credentials are refused until it can be written' : 'credentials are served without audit lines';
  const since = audit.failingSince ? ` for ${formatDuration(now - Date.parse(audit.failingSince))}` : '';
  return `CANNOT WRITE ${audit.file} (${audit.error ?? 'error'})${since}: ${audit.dropped} line(s) lost, ${consequence}`;
}

export function formatStatus(status: StatusResult, now: number = Date.now()): string {
  const d = status.daemon;
  const header = table([
    ['daemon', `running, pid ${d.pid}, up ${formatDuration(d.uptimeSeconds * 1000)}, version ${d.version}`],
    ['socket', `${d.socket}${d.socketActivated ? ' (socket activation)' : ''}`],
    ['key store', d.keystore ? `${d.keystore.backend} (${d.keystore.location})${d.keystore.note ? ` — ${d.keystore.note}` : ''}` : 'not opened yet'],
    ['issuer', d.issuer ?? 'not configured'],
    ...(d.stsEndpoint ? [['sts endpoint', d.stsEndpoint]] : []),
    ...(d.audit ? [['audit log', auditLine(d.audit, now)]] : []),
  ]);
  const grants = endpointSection(status, now) + tokenFileSection(status, now);
  if (status.environments.length === 0) return `${header}\n\nNo environments cached yet.\n${grants}`;
  const rows = [
    ['ENVIRONMENT', 'CREDENTIALS EXPIRE', 'NEXT REFRESH', 'HITS', 'LAST REFRESH'],
    ...status.environments.map((e) => [e.environment, expiry(e, now), nextRefresh(e, now), String(e.hits), lastRefresh(e, now)]),
  ];
  return `${header}\n\n${table(rows)}\n${grants}`;
}
