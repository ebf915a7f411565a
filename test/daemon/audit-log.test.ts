import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'escd-audit-'));
  dirs.push(d);
  return d;
}

describe('AuditLog', () => {
  it('writes one JSON line per event, 0600, creating its directory', async () => {
    const dir = tmp();
    const file = join(dir, 'state', 'audit.log');
    const log = new AuditLog(file, { now: () => Date.UTC(2026, 0, 2, 3, 4, 5) });
    log.record({ environment: 'dev', action: 'aws.credentials', outcome: 'ok', source: 'cache', expiresAt: '2026-01-02T04:00:00.000Z' });
    log.record({ environment: 'dev', action: 'refresh', outcome: 'error', code: 'upstream_failed' });
    await log.close();
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      { time: '2026-01-02T03:04:05.000Z', environment: 'dev', action: 'aws.credentials', outcome: 'ok', source: 'cache', expiresAt: '2026-01-02T04:00:00.000Z' },
      { time: '2026-01-02T03:04:05.000Z', environment: 'dev', action: 'refresh', outcome: 'error', code: 'upstream_failed' },
    ]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'state')).mode & 0o777).toBe(0o700);
  });

  it('gives each record of one event object (a session served from the cache again and again) its own time', async () => {
    const file = join(tmp(), 'audit.log');
    let now = Date.UTC(2026, 0, 2, 3, 4, 5);
    const log = new AuditLog(file, { now: () => now });
    const hit = { environment: 'dev', action: 'aws.credentials', outcome: 'ok', source: 'cache' } as const;
    log.record(hit);
    now += 1;
    log.record(hit);
    log.record({ ...hit, environment: 'prod' });
    log.record(hit);
    await log.close();
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.time, l.environment])).toEqual([
      ['2026-01-02T03:04:05.000Z', 'dev'],
      ['2026-01-02T03:04:05.001Z', 'dev'],
      ['2026-01-02T03:04:05.001Z', 'prod'],
      ['2026-01-02T03:04:05.001Z', 'dev'],
    ]);
    expect(Object.keys(lines[0]!)).toEqual(['time', 'environment', 'action', 'outcome', 'source']);
  });

  it('never blocks the caller: record() returns before anything is written', async () => {
    const file = join(tmp(), 'audit.log');
    const log = new AuditLog(file);
    log.record({ environment: 'dev', action: 'refresh', outcome: 'ok' });
    expect(() => statSync(file)).toThrow(); // nothing on disk yet, synchronously
    await log.close();
    expect(readFileSync(file, 'utf8')).toContain('"refresh"');
  });

  it('tightens an existing file to 0600 and appends to it', async () => {
    const file = join(tmp(), 'audit.log');
    writeFileSync(file, '{"old":true}\n');
    chmodSync(file, 0o644);
    const log = new AuditLog(file);
    log.record({ environment: 'e', action: 'env.open', outcome: 'ok' });
    await log.close();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').split('\n')[0]).toBe('{"old":true}');
  });

  it('starts on a new line after a line cut short by a crash', async () => {
    const file = join(tmp(), 'audit.log');
    writeFileSync(file, '{"time":"2026-01-01T00:00:00.000Z","environment":"a"}\n{"time":"2026-01-01T00:0');
    const log = new AuditLog(file);
    log.record({ environment: 'b', action: 'refresh', outcome: 'ok' });
    await log.close();
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines[1]).toBe('{"time":"2026-01-01T00:0');
    expect(JSON.parse(lines[2]!)).toMatchObject({ environment: 'b' });
  });

  it('rotates by size and keeps a bounded number of files', async () => {
    const dir = tmp();
    const file = join(dir, 'audit.log');
    const log = new AuditLog(file, { maxBytes: 2_000, files: 3 });
    for (let i = 0; i < 400; i++) {
      log.record({ environment: `env-${i}`, action: 'aws.credentials', outcome: 'ok' });
      if (i % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    await log.close();
    expect(readdirSync(dir).sort()).toEqual(['audit.log', 'audit.log.1', 'audit.log.2']);
    for (const name of readdirSync(dir)) {
      const st = statSync(join(dir, name));
      expect(st.mode & 0o777).toBe(0o600);
      expect(st.size).toBeLessThanOrEqual(2_000);
    }
    // The newest lines are in the live file; nothing is half-written.
    const live = readFileSync(file, 'utf8');
    expect(live).toContain('env-399');
    for (const line of live.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('drops (and counts) lines beyond the queue bound when the disk cannot keep up', async () => {
    const file = join(tmp(), 'audit.log');
    const log = new AuditLog(file, { maxQueued: 10 });
    for (let i = 0; i < 50; i++) log.record({ environment: 'x', action: 'refresh', outcome: 'ok' });
    await log.close();
    expect(log.dropped).toBe(40);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(10);
  });

  it('reports an unwritable log once and keeps going', async () => {
    const dir = tmp();
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, '');
    const warnings: string[] = [];
    const log = new AuditLog(join(blocker, 'audit.log'), { warn: (m) => warnings.push(m) });
    log.record({ environment: 'x', action: 'refresh', outcome: 'ok' });
    await new Promise((r) => setTimeout(r, 20));
    log.record({ environment: 'x', action: 'refresh', outcome: 'ok' });
    await log.close();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/cannot write the audit log .*audit\.log: (ENOTDIR|EEXIST)/);
    expect(log.dropped).toBe(2);
  });

  it('written() resolves once the line is on disk and rejects while it cannot be; health() says so, and recovers', async () => {
    const dir = tmp();
    const file = join(dir, 'audit.log');
    const warnings: string[] = [];
    let now = Date.UTC(2026, 0, 2, 3, 4, 5);
    const log = new AuditLog(file, { now: () => now, warn: (m) => warnings.push(m) });
    await log.written({ environment: 'dev', action: 'aws.credentials', outcome: 'ok' });
    expect(readFileSync(file, 'utf8')).toContain('"environment":"dev"');
    expect(log.health()).toEqual({ file, ok: true, dropped: 0 });

    // A directory in its place fails the write even for root (chmod would not).
    await log.close();
    rmSync(file);
    mkdirSync(file);
    await expect(log.written({ environment: 'dev', action: 'aws.credentials', outcome: 'ok' })).rejects.toThrow(`the audit log ${file} cannot be written (EISDIR)`);
    log.record({ environment: 'dev', action: 'refresh', outcome: 'ok' });
    now += 60_000;
    await expect(log.written({ environment: 'dev', action: 'env.open', outcome: 'ok' })).rejects.toMatchObject({ code: 'io' });
    expect(log.health()).toEqual({ file, ok: false, error: 'EISDIR', failingSince: '2026-01-02T03:04:05.000Z', dropped: 3 });
    expect(warnings).toEqual([`cannot write the audit log ${file}: EISDIR`]);

    rmSync(file, { recursive: true });
    await log.written({ environment: 'dev', action: 'aws.credentials', outcome: 'ok' });
    expect(log.health()).toEqual({ file, ok: true, dropped: 3 });
    expect(warnings[1]).toBe(`the audit log ${file} is written again (3 line(s) lost meanwhile)`);
    await log.close();
  });
});
