// Diagnostics as compilers print them, one per line: `file:line:column: severity: summary`,
// with the environment's file path so editors and terminals can jump to it.
import type { Diagnostic } from '../esc/types.js';
import { parseDefinition } from '../store/definition.js';
import { DefinitionError } from '../store/path.js';
import type { Runtime, RuntimeEvaluation } from './runtime.js';

export function formatDiagnostic(diagnostic: Diagnostic, fileOf: (environmentName: string | undefined) => string): string {
  const file = fileOf(diagnostic.file);
  const where = diagnostic.line === undefined ? file : `${file}:${diagnostic.line}${diagnostic.column === undefined ? '' : `:${diagnostic.column}`}`;
  // A summary could span lines (a provider's message); keep one diagnostic on one line.
  return `${where}: ${diagnostic.severity}: ${diagnostic.summary.replace(/\s*\n\s*/g, ' ')}`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** The diagnostics of an evaluation as lines, with file paths (a YAML syntax error gets its position). */
export function diagnosticLines(runtime: Runtime, evaluation: RuntimeEvaluation, diagnostics: readonly Diagnostic[] = evaluation.diagnostics): string[] {
  return diagnostics.map((d) => {
    // The evaluator reports a YAML syntax error without a position; our parser has one.
    if (d.stage === 'load' && d.line === undefined && (d.file === undefined || d.file === evaluation.environment.name)) {
      try {
        parseDefinition(evaluation.source, evaluation.environment.file);
      } catch (err) {
        if (err instanceof DefinitionError) return err.message;
      }
    }
    return formatDiagnostic(d, (name) => runtime.fileOf(name, evaluation.environment));
  });
}
