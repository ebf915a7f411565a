// What a measurement reports (rows), how a row is judged against its target, and the two outputs:
// the table people read and the JSON machines read. Pure: no timing, no I/O.

export type Unit = 'ms' | 'req/s' | 'MB' | 'KB' | '×/decade';

/** Targets are stated either on the ratio to the baseline or on the absolute value. */
export type Target =
  /** value / baseline ≤ limit (e.g. shim ≤ 1.10× bare node). */
  | { readonly kind: 'ratio-at-most'; readonly limit: number }
  /** baseline / value ≥ limit (e.g. ≥ 6× faster than `aws eks get-token`). */
  | { readonly kind: 'faster-at-least'; readonly limit: number }
  /** value ≤ limit, in the row's unit. */
  | { readonly kind: 'at-most'; readonly limit: number }
  /** value ≥ limit, in the row's unit. */
  | { readonly kind: 'at-least'; readonly limit: number };

export interface Figure {
  readonly value: number;
  /** Secondary figures of the same measurement, e.g. `p95 51.2`. */
  readonly detail?: string;
}

export interface Row {
  readonly section: string;
  readonly metric: string;
  readonly unit: Unit;
  readonly escd: Figure;
  readonly baseline?: Figure & { readonly label: string };
  readonly target?: Target;
  readonly note?: string;
}

export interface Machine {
  readonly cores: number;
  readonly node: string;
  readonly platform: string;
  readonly cpu: string;
  /** 1-minute load average when the run started and ended: other work on the machine skews figures. */
  readonly loadAverage: { readonly start: number; readonly end: number };
}

export interface Report {
  readonly machine: Machine;
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly rows: readonly Row[];
  /** Sections that could not run, with why (a missing tool, a failure). */
  readonly skipped: readonly { readonly section: string; readonly reason: string }[];
}

export type Verdict = 'met' | 'MISSED' | '';

export function ratio(row: Row): number | undefined {
  if (!row.baseline || row.baseline.value === 0) return undefined;
  return row.escd.value / row.baseline.value;
}

export function verdict(row: Row): Verdict {
  const t = row.target;
  if (!t) return '';
  const r = ratio(row);
  switch (t.kind) {
    case 'ratio-at-most':
      return r !== undefined && r <= t.limit ? 'met' : 'MISSED';
    case 'faster-at-least':
      return r !== undefined && r > 0 && 1 / r >= t.limit ? 'met' : 'MISSED';
    case 'at-most':
      return row.escd.value <= t.limit ? 'met' : 'MISSED';
    case 'at-least':
      return row.escd.value >= t.limit ? 'met' : 'MISSED';
  }
}

/** Few significant digits: enough to compare, not so many that noise looks like precision. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  if (abs >= 10_000) return Math.round(x).toLocaleString('en-US');
  if (abs >= 100) return x.toFixed(0);
  if (abs >= 10) return x.toFixed(1);
  if (abs >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

function withUnit(x: number, unit: Unit): string {
  return `${formatNumber(x)} ${unit}`;
}

function figureText(f: Figure, unit: Unit): string {
  return f.detail ? `${withUnit(f.value, unit)} (${f.detail})` : withUnit(f.value, unit);
}

export function ratioText(row: Row): string {
  const r = ratio(row);
  if (r === undefined) return '';
  if (row.target?.kind === 'faster-at-least') return `${formatNumber(1 / r)}× faster`;
  return `${r.toFixed(2)}×`;
}

export function targetText(row: Row): string {
  const t = row.target;
  if (!t) return '';
  switch (t.kind) {
    case 'ratio-at-most':
      return `≤ ${t.limit.toFixed(2)}×`;
    case 'faster-at-least':
      return `≥ ${formatNumber(t.limit)}× faster`;
    case 'at-most':
      return `≤ ${withUnit(t.limit, row.unit)}`;
    case 'at-least':
      return `≥ ${withUnit(t.limit, row.unit)}`;
  }
}

const HEADERS = ['metric', 'escd', 'baseline', 'ratio', 'target', 'result'] as const;

/** The table for people: one block per section, aligned columns, notes under the rows they explain. */
export function formatTable(report: Report): string {
  const { machine } = report;
  const lines: string[] = [
    `escd bench — ${machine.cores} cores (${machine.cpu}), node ${machine.node}, ${machine.platform}`,
    `started ${report.startedAt}, took ${report.durationSeconds.toFixed(0)} s, load average ${machine.loadAverage.start.toFixed(2)} → ${machine.loadAverage.end.toFixed(2)}`,
    '',
  ];
  const cells = report.rows.map((row) => [
    row.metric,
    figureText(row.escd, row.unit),
    row.baseline ? `${figureText(row.baseline, row.unit)} ${row.baseline.label}` : '',
    ratioText(row),
    targetText(row),
    verdict(row),
  ]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]): string =>
    c
      .map((text, i) => text.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  lines.push(line(HEADERS), widths.map((w) => '-'.repeat(w)).join('  '));
  let section: string | undefined;
  report.rows.forEach((row, i) => {
    if (row.section !== section) {
      section = row.section;
      lines.push(`[${section}]`);
    }
    lines.push(line(cells[i]!));
    if (row.note) lines.push(`    ${row.note}`);
  });
  for (const s of report.skipped) lines.push(`[${s.section}] not measured: ${s.reason}`);
  const judged = report.rows.filter((r) => r.target);
  const missed = judged.filter((r) => verdict(r) === 'MISSED');
  lines.push('', `targets: ${judged.length - missed.length} met, ${missed.length} missed${report.skipped.length ? `, ${report.skipped.length} section(s) not measured` : ''}`);
  return lines.join('\n') + '\n';
}

/** The JSON for machines: the report plus each row's ratio and verdict. */
export function toJson(report: Report): string {
  const rows = report.rows.map((row) => ({ ...row, ratio: ratio(row) ?? null, result: verdict(row) || null }));
  return JSON.stringify({ ...report, rows }, null, 2) + '\n';
}
