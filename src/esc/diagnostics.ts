// Diagnostic ordering (§2): range-less first (by summary), then by file, line and column.
import type { Diagnostic } from './types.js';

function compare(a: Diagnostic, b: Diagnostic): number {
  const aRanged = a.line !== undefined;
  const bRanged = b.line !== undefined;
  if (aRanged !== bRanged) return aRanged ? 1 : -1;
  if (!aRanged) return a.summary < b.summary ? -1 : a.summary > b.summary ? 1 : 0;
  const fa = a.file ?? '';
  const fb = b.file ?? '';
  if (fa !== fb) return fa < fb ? -1 : 1;
  if (a.line !== b.line) return (a.line ?? 0) - (b.line ?? 0);
  return (a.column ?? 0) - (b.column ?? 0);
}

const STAGES = ['load', 'check', 'eval', 'rotate'];

/** Sorts by stage, then as the reference sorts within a stage (stable for ties). */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort((a, b) => STAGES.indexOf(a.stage) - STAGES.indexOf(b.stage) || compare(a, b));
}

/** One line for people: `file:line:column: error: summary`. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.file === undefined ? '' : `${d.file}${d.line === undefined ? '' : `:${d.line}:${d.column ?? 1}`}: `;
  return `${where}${d.severity}: ${d.summary}`;
}
