// The contract between the evaluator and `fn::open` providers (aws-login, the harness providers, ...).
import type { EscValue, JsonObject } from './value.js';

/** A JSON Schema document (the subset the reference uses for provider inputs and outputs). */
export type Schema = boolean | { readonly [keyword: string]: unknown };

export interface ProviderContext {
  /** Name of the environment evaluation started from. */
  readonly rootEnvironment: string;
  /** Name of the environment whose expression is being opened. */
  readonly currentEnvironment: string;
  /** The execution context supplied by the caller (`context.pulumi.*`). */
  readonly execution: JsonObject;
  readonly signal?: AbortSignal;
  /** Reports when the value being returned stops being valid (credential expiry); the cache bounds an entry's life by it. */
  noteExpiry(at: Date): void;
}

/** A problem with one input, at `path` inside the inputs (`['get', 'api-key']`); [] is the inputs themselves. */
export interface ProviderIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * Thrown by `open`/`rotate` when what failed belongs to particular inputs (a secret that cannot be
 * read): the evaluator reports each issue at that input's own source line instead of at `fn::open`.
 */
export class ProviderError extends Error {
  constructor(readonly issues: readonly ProviderIssue[]) {
    super(issues.map((i) => i.message).join('; '));
    this.name = 'ProviderError';
  }
}

export interface Provider {
  readonly inputSchema: Schema;
  readonly outputSchema: Schema;
  /**
   * Checks what a JSON schema cannot say well (unknown keys, value shapes), in every stage, before
   * any call. Inputs may be partly unknown (check stage): only known parts are checked. May answer
   * asynchronously (the daemon's evaluation worker asks the daemon's thread, which holds the providers).
   */
  validate?(inputs: EscValue): readonly ProviderIssue[] | Promise<readonly ProviderIssue[]>;
  /** Resolves to the output; rejects with an Error whose message becomes the diagnostic summary verbatim. */
  open(inputs: EscValue, context: ProviderContext): Promise<EscValue>;
}

export type ProviderRegistry = ReadonlyMap<string, Provider>;
