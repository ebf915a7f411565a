// The messages between the daemon's thread and its evaluation worker (isolated-engine.ts ↔
// evaluation-worker.ts). Values cross as wire nodes (wire-value.ts keeps secret/unknown flags and the
// text of numbers, which structured cloning would lose); errors as their message (and a
// ProviderError's issues, so they stay at their input's line).
import { ProviderError, type ProviderIssue, type Schema } from '../esc/provider.js';
import type { EvaluationLimits } from '../esc/limits.js';
import type { Diagnostic } from '../esc/types.js';
import type { JsonObject } from '../esc/value.js';
import type { WireNode } from '../esc/wire-value.js';

export interface PluginShape {
  readonly name: string;
  readonly inputSchema: Schema;
  readonly outputSchema: Schema;
  /** Rotators only. */
  readonly stateSchema?: Schema;
  /** Whether it has its own `validate` (asked of the daemon's thread). */
  readonly validates: boolean;
}

export interface RunRequest {
  readonly type: 'run';
  readonly id: number;
  readonly stage: 'check' | 'eval' | 'rotate';
  readonly rootName: string;
  readonly source: string;
  readonly showSecrets?: boolean;
  /** Values with their traces (EvaluateOptions.traces). */
  readonly traces?: boolean;
  readonly paths?: readonly string[];
  readonly context: JsonObject;
  readonly limits?: Partial<EvaluationLimits>;
  /** Which providers and rotators (a number per registry pair); their shapes come the first time a worker meets them. */
  readonly plugins: number;
  readonly shapes?: PluginShapes;
  /** An `eval` with errors comes back without values (the daemon serves none then; they can be large). */
  readonly valuesOnError: boolean;
}

export interface PluginShapes {
  readonly providers: readonly PluginShape[];
  readonly rotators: readonly PluginShape[];
}

export interface AbortRequest {
  readonly type: 'abort';
  readonly id: number;
}

export type CallOp =
  | { readonly op: 'load'; readonly name: string }
  | { readonly op: 'validate'; readonly kind: 'provider' | 'rotator'; readonly name: string; readonly inputs: WireNode }
  | { readonly op: 'decrypt' | 'encrypt'; readonly bytes: Uint8Array }
  | { readonly op: 'open'; readonly name: string; readonly inputs: WireNode; readonly env: CallEnvironment }
  | { readonly op: 'rotator.open' | 'rotator.rotate'; readonly name: string; readonly inputs: WireNode; readonly state: WireNode | null; readonly env: CallEnvironment };

export interface CallEnvironment {
  readonly rootEnvironment: string;
  readonly currentEnvironment: string;
}

/** Worker → daemon: an asynchronous call of the loader, the cipher, a provider or a rotator. */
export type CallRequest = { readonly type: 'call'; readonly id: number; readonly call: number } & CallOp;

export interface CallReply {
  readonly type: 'reply';
  readonly call: number;
  readonly ok: boolean;
  /** load: the source; decrypt/encrypt: bytes; validate: the issues; open/rotate: a wire node. */
  readonly value?: string | Uint8Array | WireNode | readonly ProviderIssue[];
  readonly error?: WireError;
  /** Expiries a provider noted (ProviderContext.noteExpiry) while answering. */
  readonly expiries?: readonly Date[];
}

export interface EncodedResult {
  readonly values?: WireNode;
  readonly diagnostics: readonly Diagnostic[];
  readonly expiresAt?: Date;
  readonly environments: readonly string[];
  readonly patches?: readonly { readonly docPath: string; readonly replacement: WireNode }[];
}

export type RunReply =
  /** The worker took the run: sent on receipt, so a worker busy with another run is noticed. */
  | { readonly type: 'started'; readonly id: number }
  | { readonly type: 'done'; readonly id: number; readonly result: EncodedResult }
  | { readonly type: 'failed'; readonly id: number; readonly error: WireError };

export type ToWorker = RunRequest | AbortRequest | CallReply;
export type FromWorker = CallRequest | RunReply;

export interface WireError {
  readonly message: string;
  readonly issues?: readonly ProviderIssue[];
  readonly aborted?: boolean;
}

export function toWireError(err: unknown): WireError {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof ProviderError) return { message, issues: err.issues };
  if (err instanceof Error && err.name === 'AbortError') return { message, aborted: true };
  return { message };
}

export function fromWireError(e: WireError): Error {
  if (e.issues) return new ProviderError(e.issues);
  const err = new Error(e.message);
  if (e.aborted) err.name = 'AbortError';
  return err;
}
