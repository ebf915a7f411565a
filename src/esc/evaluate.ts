// Public entry point of the language: parse → check → evaluate one environment and its imports.
import { sortDiagnostics } from './diagnostics.js';
import { loadDocument } from './document.js';
import { Evaluation, toEscValue } from './evaluator.js';
import type { Diagnostic, EvaluateOptions, EvaluateResult } from './types.js';

/**
 * Evaluates the environment `rootName` whose YAML text is `source`. Never throws for bad input:
 * problems are diagnostics (load-stage ones for the root document, `options.mode`-stage ones for
 * evaluation, imports included). Only a failing provider, loader or cipher call that is not an
 * Error, or a programming error, can reject.
 */
export async function evaluateEnvironment(rootName: string, source: string, options: EvaluateOptions): Promise<EvaluateResult> {
  const doc = loadDocument(source);
  if (doc.fatal !== undefined) {
    const fatal: Diagnostic = { stage: 'load', severity: 'error', summary: doc.fatal };
    return { diagnostics: [fatal], environments: [rootName] };
  }
  const load: Diagnostic[] = doc.problems.map((p) => ({
    stage: 'load' as const,
    severity: p.severity,
    summary: p.summary,
    ...(p.pos === undefined ? {} : { file: rootName, line: p.pos.line, column: p.pos.column, path: p.path ?? '' }),
  }));
  if (!doc.env.hasContent) return { diagnostics: sortDiagnostics(load), environments: [rootName] };

  const evaluation = new Evaluation(options);
  const value = await evaluation.evaluateEnvironment(rootName, doc.env, undefined);
  const result: { -readonly [K in keyof EvaluateResult]: EvaluateResult[K] } = {
    values: toEscValue(value),
    diagnostics: sortDiagnostics([...load, ...evaluation.diagnostics]),
    environments: [rootName, ...evaluation.loaded],
  };
  if (evaluation.expiresAt !== undefined) result.expiresAt = evaluation.expiresAt;
  return result;
}
