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

export interface Provider {
  readonly inputSchema: Schema;
  readonly outputSchema: Schema;
  /** Resolves to the output; rejects with an Error whose message becomes the diagnostic summary verbatim. */
  open(inputs: EscValue, context: ProviderContext): Promise<EscValue>;
}

export type ProviderRegistry = ReadonlyMap<string, Provider>;
