// Where an evaluation runs. The CLI evaluates in its own process (inline); the daemon evaluates in a
// worker thread with memory and time limits (isolated-engine.ts), so that a hostile environment can
// neither block its event loop nor crash it. Both take the same options: the loader, providers,
// rotators and cipher always run in the caller's thread (keys, sessions and signing never move).
import { evaluateEnvironment, rotateEnvironment } from '../esc/evaluate.js';
import type { EvaluateOptions, EvaluateResult, RotateOptions, RotateResult } from '../esc/types.js';

export interface EvaluationEngine {
  evaluate(rootName: string, source: string, options: EvaluateOptions): Promise<EvaluateResult>;
  rotate(rootName: string, source: string, options: RotateOptions): Promise<RotateResult>;
  /** Gets ready for the first evaluation (boots the worker thread) without waiting for it. */
  warm?(): void;
  /** Stops what the engine started (worker threads); in-flight evaluations end with a diagnostic. */
  close?(): Promise<void>;
}

export const inlineEngine: EvaluationEngine = { evaluate: evaluateEnvironment, rotate: rotateEnvironment };
