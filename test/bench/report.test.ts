// Report formatting and target verdicts: the table and JSON the bench prints. No timing here.
import { describe, expect, it } from 'vitest';
import { formatNumber, formatTable, ratio, ratioText, targetText, toJson, verdict, type Report, type Row } from './report.js';

const row = (over: Partial<Row>): Row => ({ section: 's', metric: 'm', unit: 'ms', escd: { value: 10 }, ...over });

const report = (rows: Row[], skipped: Report['skipped'] = []): Report => ({
  machine: { cores: 2, node: 'v20.0.0', platform: 'linux x64', cpu: 'Test CPU', loadAverage: { start: 0.5, end: 1.25 } },
  startedAt: '2026-01-01T00:00:00.000Z',
  durationSeconds: 42,
  rows,
  skipped,
});

describe('verdicts', () => {
  it('ratio-at-most compares escd / baseline', () => {
    const r = row({ escd: { value: 11 }, baseline: { label: 'b', value: 10 }, target: { kind: 'ratio-at-most', limit: 1.1 } });
    expect(ratio(r)).toBeCloseTo(1.1);
    expect(verdict(r)).toBe('met');
    expect(verdict({ ...r, escd: { value: 11.5 } })).toBe('MISSED');
  });

  it('faster-at-least compares baseline / escd', () => {
    const r = row({ escd: { value: 50 }, baseline: { label: 'aws', value: 600 }, target: { kind: 'faster-at-least', limit: 6 } });
    expect(verdict(r)).toBe('met');
    expect(ratioText(r)).toBe('12.0× faster');
    expect(verdict({ ...r, baseline: { label: 'aws', value: 250 } })).toBe('MISSED');
  });

  it('absolute targets ignore the baseline', () => {
    expect(verdict(row({ escd: { value: 5 }, target: { kind: 'at-most', limit: 5 } }))).toBe('met');
    expect(verdict(row({ escd: { value: 5.01 }, target: { kind: 'at-most', limit: 5 } }))).toBe('MISSED');
    expect(verdict(row({ unit: 'req/s', escd: { value: 9_999 }, target: { kind: 'at-least', limit: 10_000 } }))).toBe('MISSED');
  });

  it('a ratio target without a baseline is missed, not met', () => {
    expect(verdict(row({ target: { kind: 'ratio-at-most', limit: 2 } }))).toBe('MISSED');
  });

  it('no target, no verdict', () => {
    expect(verdict(row({}))).toBe('');
  });
});

describe('formatting', () => {
  it('numbers keep few significant digits', () => {
    expect(formatNumber(0.12345)).toBe('0.123');
    expect(formatNumber(3.14159)).toBe('3.14');
    expect(formatNumber(42.42)).toBe('42.4');
    expect(formatNumber(598.4)).toBe('598');
    expect(formatNumber(41201.4)).toBe('41,201');
  });

  it('targets read in the row’s unit', () => {
    expect(targetText(row({ target: { kind: 'ratio-at-most', limit: 1.1 } }))).toBe('≤ 1.10×');
    expect(targetText(row({ unit: 'req/s', target: { kind: 'at-least', limit: 10_000 } }))).toBe('≥ 10,000 req/s');
    expect(targetText(row({ target: { kind: 'faster-at-least', limit: 6 } }))).toBe('≥ 6.00× faster');
  });

  it('the table has the machine, aligned columns per section, notes and a tally', () => {
    const text = formatTable(
      report(
        [
          row({ section: 'A', metric: 'first', escd: { value: 11, detail: 'p95 12' }, baseline: { label: 'node -e 0', value: 10 }, target: { kind: 'ratio-at-most', limit: 1.1 } }),
          row({ section: 'A', metric: 'second', escd: { value: 3 }, target: { kind: 'at-most', limit: 1 }, note: 'why it is slow' }),
          row({ section: 'B', metric: 'third', unit: 'MB', escd: { value: 70 } }),
        ],
        [{ section: 'C', reason: 'aws is not installed' }],
      ),
    );
    const lines = text.split('\n');
    expect(lines[0]).toBe('escd bench — 2 cores (Test CPU), node v20.0.0, linux x64');
    expect(lines[1]).toContain('load average 0.50 → 1.25');
    expect(text).toContain('[A]\n');
    expect(text).toContain('[B]\n');
    const first = lines.find((l) => l.startsWith('first'))!;
    const second = lines.find((l) => l.startsWith('second'))!;
    expect(first).toMatch(/11.0 ms \(p95 12\)\s+10.0 ms node -e 0\s+1.10×\s+≤ 1.10×\s+met$/);
    expect(second).toMatch(/3.00 ms\s+≤ 1.00 ms\s+MISSED$/);
    // Columns line up: the escd column starts at the same place on every row.
    expect(first.indexOf('11.0 ms')).toBe(second.indexOf('3.00 ms'));
    expect(lines[lines.indexOf(second) + 1]).toBe('    why it is slow');
    expect(text).toContain('[C] not measured: aws is not installed');
    expect(text.trimEnd().endsWith('targets: 1 met, 1 missed, 1 section(s) not measured')).toBe(true);
  });

  it('JSON carries every row with its ratio and result', () => {
    const parsed = JSON.parse(
      toJson(report([row({ escd: { value: 12 }, baseline: { label: 'b', value: 10 }, target: { kind: 'ratio-at-most', limit: 1.1 } }), row({ metric: 'plain' })])),
    ) as { machine: { cores: number }; rows: { metric: string; ratio: number | null; result: string | null }[] };
    expect(parsed.machine.cores).toBe(2);
    expect(parsed.rows[0]).toMatchObject({ metric: 'm', ratio: 1.2, result: 'MISSED' });
    expect(parsed.rows[1]).toMatchObject({ metric: 'plain', ratio: null, result: null });
  });
});
