// What the cache needs from the rest of escd: a way to evaluate an environment by name and to find
// the file behind a name. The daemon wires the real runtime; tests pass small fakes.
import type { EvaluateResult } from '../esc/types.js';
import { EscdError, type ErrorCode } from '../core/errors.js';

export interface EnvironmentSource {
  /** Watched for edits (recursively where the platform allows). */
  readonly environmentsDir: string;
  /**
   * The canonical name (cache key; spellings like `dev` and `default/dev` meet here) and the file that
   * holds it (none for an environment kept by a remote service: nothing to watch). Throws a CacheError
   * (`bad_request`) for a name that is not allowed, e.g. one escaping the directory; a missing file is
   * not an error here.
   */
  locate(name: string): { readonly name: string; readonly file?: string };
  /**
   * Evaluates with secrets (mode eval); diagnostics with severity error mean failure. `signal` aborts
   * when the cache gives up waiting (a hung STS must not pin the entry forever). With `traces` each
   * value carries its trace (a one-off evaluation for `open --format detailed`, never a cached one).
   */
  evaluate(name: string, signal: AbortSignal, options?: { readonly traces?: boolean }): Promise<EvaluateResult>;
}

/** An EscdError that may carry an evaluation's diagnostics (for `evaluation_failed` answers). */
export class CacheError extends EscdError {
  constructor(
    code: ErrorCode,
    message: string,
    /** For evaluation_failed: every diagnostic, one line each (`file:line:column: severity: summary`). */
    readonly diagnostics?: readonly string[],
  ) {
    super(code, message);
  }
}
