// Diagnostics as compilers print them, one per line: `file:line:column: severity: summary`,
// with the environment's file path so editors and terminals can jump to it.
import type { Diagnostic } from '../../esc/types.js';

export function formatDiagnostic(diagnostic: Diagnostic, fileOf: (environmentName: string | undefined) => string): string {
  const file = fileOf(diagnostic.file);
  const where = diagnostic.line === undefined ? file : `${file}:${diagnostic.line}${diagnostic.column === undefined ? '' : `:${diagnostic.column}`}`;
  // A summary could span lines (a provider's message); keep one diagnostic on one line.
  return `${where}: ${diagnostic.severity}: ${diagnostic.summary.replace(/\s*\n\s*/g, ' ')}`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}
