import { describe, expect, it } from 'vitest';
import { formatDuration, formatStatus } from '../../daemon/status-format.js';
import type { StatusResult } from '../../daemon/handlers.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const at = (minutes: number): string => new Date(NOW + minutes * 60_000).toISOString();

const status: StatusResult = {
  daemon: {
    pid: 4242,
    version: '0.1.0',
    startedAt: at(-125),
    uptimeSeconds: 125 * 60,
    socket: '/run/user/1000/escd/escd.sock',
    socketActivated: true,
    keystore: { backend: 'file', location: '/home/u/.local/state/escd/keys/keystore.json', note: 'keystore: auto, and the OS keychain is not available (no Secret Service); using the file' },
    issuer: 'https://oidc.example.com',
    connections: 1,
    evaluations: 7,
  },
  environments: [
    { environment: 'acme/dev', cached: true, expiresAt: at(52), nextRefreshAt: at(32), refreshing: false, stale: false, lastRefresh: { at: at(-8), ok: true }, consecutiveFailures: 0, hits: 14, lastUsedAt: at(-1) },
    {
      environment: 'acme/prod',
      cached: true,
      expiresAt: at(12),
      nextRefreshAt: at(0.5),
      refreshing: false,
      stale: false,
      lastRefresh: { at: at(-0.25), ok: false, error: { code: 'upstream_failed', message: 'STS: Throttling: Rate exceeded' } },
      consecutiveFailures: 3,
      hits: 2,
      lastUsedAt: at(-3),
    },
    { environment: 'plain', cached: true, refreshing: false, stale: false, lastRefresh: { at: at(-60), ok: true }, consecutiveFailures: 0, hits: 1, lastUsedAt: at(-60) },
    {
      environment: 'broken',
      cached: false,
      refreshing: false,
      stale: false,
      lastRefresh: { at: at(-2), ok: false, error: { code: 'evaluation_failed', message: 'broken.yaml:2:6: error: unknown property' } },
      consecutiveFailures: 1,
      hits: 1,
      lastUsedAt: at(-2),
    },
  ],
};

describe('escd status table', () => {
  it('shows the daemon and one row per environment', () => {
    const text = formatStatus(status, NOW);
    expect(text).toContain('daemon     running, pid 4242, up 2h 5m, version 0.1.0');
    expect(text).toContain('socket     /run/user/1000/escd/escd.sock (socket activation)');
    expect(text).toContain('key store  file (/home/u/.local/state/escd/keys/keystore.json) — keystore: auto, and the OS keychain is not available (no Secret Service); using the file');
    expect(text).toContain('issuer     https://oidc.example.com');
    const rows = text.split('\n').slice(text.split('\n').findIndex((l) => l.startsWith('ENVIRONMENT')));
    expect(rows[0]).toMatch(/^ENVIRONMENT\s+CREDENTIALS EXPIRE\s+NEXT REFRESH\s+HITS\s+LAST REFRESH$/);
    expect(rows[1]).toMatch(/^acme\/dev\s+in 52m\s+in 32m\s+14\s+ok 8m ago$/);
    expect(rows[2]).toMatch(/^acme\/prod\s+in 12m\s+in 30s\s+2\s+FAILED 15s ago \(3×\): STS: Throttling: Rate exceeded$/);
    expect(rows[3]).toMatch(/^plain\s+never\s+-\s+1\s+ok 1h ago$/);
    expect(rows[4]).toMatch(/^broken\s+nothing cached\s+-\s+1\s+FAILED 2m ago: broken\.yaml:2:6: error: unknown property$/);
  });

  it('says when nothing is cached', () => {
    expect(formatStatus({ ...status, environments: [] }, NOW)).toContain('No environments cached yet.');
  });

  it('lists endpoint grants and kept token files (with a failed renewal) after the environments', () => {
    const text = formatStatus(
      {
        ...status,
        endpoint: { url: 'http://127.0.0.1:40123', grants: [{ id: '1f2e3d4c', environment: 'acme/dev', createdAt: at(-60), expiresAt: at(660), requests: 42 }] },
        tokenFiles: [
          { kind: 'kube', environment: 'acme/dev', path: '/run/user/1000/escd/tokens/kube-acme_dev-prod.token', expiresAt: at(10), nextRenewalAt: at(3) },
          { kind: 'oidc', environment: 'acme/prod', path: '/home/u/.escd/azure.jwt', expiresAt: at(40), nextRenewalAt: at(0.5), lastError: 'issuer key store locked' },
        ],
      },
      NOW,
    );
    expect(text).toContain('\nEndpoint http://127.0.0.1:40123:\nGRANT     ENVIRONMENT  EXPIRES  REQUESTS\n1f2e3d4c  acme/dev     in 11h   42\n');
    expect(text).toMatch(/\nTOKEN FILE\s+ENVIRONMENT\s+EXPIRES\s+NEXT RENEWAL\n\/run\/user\/1000\/escd\/tokens\/kube-acme_dev-prod\.token\s+acme\/dev\s+in 10m\s+in 3m\n\/home\/u\/\.escd\/azure\.jwt\s+acme\/prod\s+FAILED: issuer key store locked\s+in 30s\n$/);
    expect(formatStatus({ ...status, endpoint: { url: 'http://127.0.0.1:40123', grants: [] } }, NOW)).toContain('Endpoint http://127.0.0.1:40123: no live grants.');
  });

  it('formats durations for people', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(59_000)).toBe('59s');
    expect(formatDuration(90_000)).toBe('1m 30s');
    expect(formatDuration(3 * 3600_000)).toBe('3h');
    expect(formatDuration(50 * 3600_000)).toBe('2d 2h');
  });
});
