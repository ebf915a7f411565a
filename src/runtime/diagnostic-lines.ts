// Diagnostics as compilers print them, one per line: `file:line:column: severity: summary`,
// with the environment's file path so editors and terminals can jump to it.
import type { Diagnostic } from '../esc/types.js';
import { parseDefinition } from '../store/definition.js';
import { DefinitionError } from '../store/path.js';
import type { Runtime, RuntimeEvaluation } from './runtime.js';
import type { EnvCheckResult } from '../protocol/wire.js';

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

/** The same lines for the daemon's answer to env.check (its files, and the parser's line for a syntax error). */
export function checkResultLines(result: EnvCheckResult, diagnostics: readonly Diagnostic[] = result.diagnostics): string[] {
  const root = result.environment;
  const fileOf = (name: string | undefined): string => (name === undefined || name === root.name ? root.file : (Object.hasOwn(result.files, name) ? result.files[name]! : name));
  return diagnostics.map((d) => {
    if (result.syntaxError !== undefined && d.stage === 'load' && d.line === undefined && (d.file === undefined || d.file === root.name)) return result.syntaxError;
    return formatDiagnostic(d, fileOf);
  });
}
