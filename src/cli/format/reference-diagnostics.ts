// Diagnostics of an update printed as the reference CLI prints them: for a whole definition
// (init -f, edit, rollback) in hcl's text format with the offending line; for a property change
// (set, rm) as `env:line:column: summary`. Sorted by environment, line and column.
import type { Diagnostic } from '../../esc/types.js';

function sorted(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort((a, b) => {
    if (a.line === undefined || b.line === undefined) return a.line === undefined ? (b.line === undefined ? (a.summary < b.summary ? -1 : 1) : -1) : 1;
    if ((a.file ?? '') !== (b.file ?? '')) return (a.file ?? '') < (b.file ?? '') ? -1 : 1;
    return a.line - b.line || (a.column ?? 0) - (b.column ?? 0);
  });
}

/** hcl's DiagnosticTextWriter without colours: `Error: summary`, then `  on env line N:` and the line. */
export function yamlDiagnostics(root: string, text: string, diagnostics: readonly Diagnostic[]): string {
  const lines = text.split('\n');
  let out = '';
  for (const d of sorted(diagnostics)) {
    out += `${d.severity === 'error' ? 'Error' : 'Warning'}: ${d.summary}\n\n`;
    if (d.line !== undefined) {
      const file = d.file ?? root;
      out += `  on ${file} line ${d.line}:\n`;
      if (file === root) out += `${String(d.line).padStart(4)}: ${lines[d.line - 1] ?? ''}\n`;
      out += '\n';
    }
  }
  return out;
}

/** `env:line:column: summary`, one a line. */
export function propertyDiagnostics(root: string, diagnostics: readonly Diagnostic[]): string {
  return sorted(diagnostics)
    .map((d) => {
      const where = d.line !== undefined ? `${d.file ?? root}:${d.line}:${d.column ?? 0}: ` : d.file !== undefined ? `${d.file}: ` : '';
      return `${where}${d.summary}\n`;
    })
    .join('');
}
