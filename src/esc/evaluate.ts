// Public entry point of the language: parse → check → evaluate one environment and its imports.
import { sortDiagnostics } from './diagnostics.js';
import { loadDocument } from './document.js';
import { textTooLarge } from './limits.js';
import { Evaluation, SharedPasses } from './evaluator.js';
import { toEscValue, toEscValueOwned, type Val } from './val.js';
import type { EscData, EscValue } from './value.js';
import { parsePropertyPath } from './interpolation.js';
import { joinIndex, joinKey } from './syntax.js';
import type { Diagnostic, EvaluateOptions, EvaluateResult, RotateOptions, RotateResult } from './types.js';

/**
 * Evaluates the environment `rootName` whose YAML text is `source`. Never rejects for bad input or
 * failing providers, loaders or ciphers: problems are diagnostics (load-stage ones for the root
 * document, `options.mode`-stage ones for evaluation, imports included). It rejects only when
 * `options.signal` is aborted.
 */
export async function evaluateEnvironment(rootName: string, source: string, options: EvaluateOptions): Promise<EvaluateResult> {
  if (options.mode === 'check') return (await run(rootName, source, new Evaluation(options, 'check'))).result;
  return (await runLive(rootName, source, (shared, scout) => new Evaluation(options, 'eval', undefined, shared, scout))).result;
}

/**
 * A live (eval/rotate) evaluation in up to two passes (see SharedPasses): the scout pass starts
 * independent provider calls together; when it deferred nothing its result is already exact.
 */
async function runLive(
  rootName: string,
  source: string,
  make: (shared: SharedPasses, scout: boolean) => Evaluation,
): Promise<{ result: EvaluateResult; evaluation: Evaluation }> {
  const shared = new SharedPasses();
  const scout = make(shared, true);
  const scouted = await run(rootName, source, scout);
  if (shared.deferred === 0) return { result: scouted.result, evaluation: scout };
  const final = make(shared, false);
  const { result } = await run(rootName, source, final);
  const expiries = [result.expiresAt, shared.expiresAt].filter((d): d is Date => d !== undefined);
  if (expiries.length === 0) return { result, evaluation: final };
  const expiresAt = new Date(Math.min(...expiries.map((d) => d.getTime())));
  return { result: { ...result, expiresAt }, evaluation: final };
}

/**
 * The rotate stage (§7): evaluates like `eval`, but first calls `rotate` on the root environment's
 * `fn::rotate` calls selected by `options.paths` (all when absent), then `open` with the new state.
 * The new states come back as patches to write into the definition.
 */
export async function rotateEnvironment(rootName: string, source: string, options: RotateOptions): Promise<RotateResult> {
  const paths = options.paths === undefined ? undefined : new Set(options.paths.map(normalizeValuesPath));
  const { result, evaluation } = await runLive(rootName, source, (shared, scout) =>
    new Evaluation({ ...options, showSecrets: true }, 'rotate', paths, shared, scout),
  );
  const patches = [...evaluation.patches].sort((a, b) => (a.docPath < b.docPath ? -1 : a.docPath > b.docPath ? 1 : 0));
  return { ...result, patches };
}

/** `a.b[0]["c d"]` (relative to values) → the document path `values.a.b[0]["c d"]`. */
export function normalizeValuesPath(path: string): string {
  let out = 'values';
  for (const a of parsePropertyPath(path).accessors) {
    if (a.kind === 'name') out = joinKey(out, a.name);
    else out = typeof a.key === 'number' ? joinIndex(out, a.key) : joinKey(out, a.key);
  }
  return out;
}

async function run(rootName: string, source: string, evaluation: Evaluation): Promise<{ result: EvaluateResult }> {
  const tooLarge = textTooLarge(source, evaluation.limits);
  if (tooLarge) return { result: { diagnostics: [{ stage: 'load', severity: 'error', summary: tooLarge }], environments: [rootName] } };
  const doc = loadDocument(source);
  if (doc.fatal !== undefined) {
    const fatal: Diagnostic = { stage: 'load', severity: 'error', summary: doc.fatal };
    return { result: { diagnostics: [fatal], environments: [rootName] } };
  }
  const load: Diagnostic[] = doc.problems.map((p) => ({
    stage: 'load' as const,
    severity: p.severity,
    summary: p.summary,
    ...(p.pos === undefined ? {} : { file: rootName, line: p.pos.line, column: p.pos.column, path: p.path ?? '' }),
  }));
  if (!doc.env.hasContent) return { result: { diagnostics: sortDiagnostics(load), environments: [rootName] } };

  const value = await evaluation.evaluateEnvironment(rootName, doc.env, undefined, true);
  const result: { -readonly [K in keyof EvaluateResult]: EvaluateResult[K] } = {
    values: exportedValues(evaluation, value, rootName),
    diagnostics: sortDiagnostics([...load, ...evaluation.diagnostics]),
    environments: [rootName, ...evaluation.loaded],
  };
  if (evaluation.expiresAt !== undefined) result.expiresAt = evaluation.expiresAt;
  return { result };
}

/**
 * The result's values: the root value as it stands when its entries were exported as they were made
 * (Evaluation.exportedRoot); with traces, read from the values as they were; else the root value,
 * which is this evaluation's alone, converted in place (toEscValueOwned).
 */
function exportedValues(evaluation: Evaluation, value: Val, rootName: string): EscValue {
  if (value === evaluation.exportedRoot) return { data: value.data as EscData, secret: value.secret, unknown: value.unknown };
  return evaluation.options.traces ? toEscValue(value, { traces: { environment: rootName } }) : toEscValueOwned(value);
}
