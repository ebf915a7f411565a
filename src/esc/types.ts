// The evaluator's public contract. Implemented by src/esc/evaluate.ts; used by the CLI, the daemon,
// the conformance runner and the benchmarks.
import type { EvaluationLimits } from './limits.js';
import type { Cipher } from '../secrets/cipher.js';
import type { ProviderContext, ProviderIssue, ProviderRegistry, Schema } from './provider.js';
import type { EscValue, JsonObject } from './value.js';

export type Stage = 'load' | 'check' | 'eval' | 'rotate';

export interface Diagnostic {
  readonly stage: Stage;
  readonly severity: 'error' | 'warning';
  readonly summary: string;
  /** Environment name the diagnostic belongs to; absent for range-less (YAML syntax) errors. */
  readonly file?: string;
  /** 1-based. */
  readonly line?: number;
  /** 1-based. */
  readonly column?: number;
  /** Document path, e.g. `values.a.b[0]["fn::open::test"].inputs`. */
  readonly path?: string;
}

export interface LoadedEnvironment {
  readonly name: string;
  /** The YAML text. */
  readonly source: string;
}

/** Maps an environment name to its source; rejects with an Error whose message is reported verbatim. */
export type EnvironmentLoader = (name: string) => Promise<LoadedEnvironment>;

export interface EvaluateOptions {
  readonly loader: EnvironmentLoader;
  readonly providers: ProviderRegistry;
  readonly cipher: Cipher;
  /** The execution context (`context.pulumi.*`); the evaluator adds currentEnvironment/rootEnvironment. */
  readonly context: JsonObject;
  /** `check` type-checks without calling providers or decrypting (unless showSecrets). */
  readonly mode: 'check' | 'eval';
  readonly showSecrets?: boolean;
  readonly signal?: AbortSignal;
  /** Rotators for `fn::rotate` (optional: without one, `fn::rotate::P` reports `unknown rotator "P"`). */
  readonly rotators?: RotatorRegistry;
  /** Bounds on size and time (limits.ts DEFAULT_LIMITS when absent). */
  readonly limits?: Partial<EvaluationLimits>;
  /** Give every value its trace (value.ts Trace: defining range, merged-over base), as `--format detailed` shows. */
  readonly traces?: boolean;
}

export interface EvaluateResult {
  /** The merged, evaluated `values`; absent for a YAML syntax error or an empty environment. */
  readonly values?: EscValue;
  readonly diagnostics: readonly Diagnostic[];
  /** The earliest expiry reported by any provider opened during evaluation. */
  readonly expiresAt?: Date;
  /** Every environment name that was loaded (root and imports), for cache invalidation. */
  readonly environments: readonly string[];
}

/**
 * A rotator behind `fn::rotate` (conformance README §7). Input properties whose schema has
 * `rotateOnly: true` are evaluated only when rotating the root environment (and when checking it).
 */
export interface Rotator {
  readonly inputSchema: Schema;
  /** Schema of the state; `null` (absent state) is always accepted too. */
  readonly stateSchema: Schema;
  readonly outputSchema: Schema;
  /** As Provider.validate: checks known inputs in every stage, before any call. */
  validate?(inputs: EscValue): readonly ProviderIssue[] | Promise<readonly ProviderIssue[]>;
  /** Opens with the stored state (null when absent); rejects with an Error whose message is reported verbatim. */
  open(inputs: EscValue, state: EscValue | null, context: ProviderContext): Promise<EscValue>;
  /** Returns the new state; rejects with an Error reported as `rotate: <message>`. */
  rotate(inputs: EscValue, state: EscValue | null, context: ProviderContext): Promise<EscValue>;
}

export type RotatorRegistry = ReadonlyMap<string, Rotator>;

export interface RotateOptions extends Omit<EvaluateOptions, 'mode' | 'showSecrets'> {
  /** Property paths relative to `values` (`a.b[0]["c"]`) of the `fn::rotate` calls to rotate; absent: all. */
  readonly paths?: readonly string[];
}

/** A write-back of a rotator's new state into the environment definition. */
export interface RotationPatch {
  /** Document path of the `state` to replace, e.g. `values.full["fn::rotate"].state`. */
  readonly docPath: string;
  readonly replacement: EscValue;
}

export interface RotateResult extends EvaluateResult {
  /** Sorted by docPath. */
  readonly patches: readonly RotationPatch[];
}
