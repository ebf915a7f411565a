// Helpers for the language tests: evaluate YAML with in-memory imports and read results as JSON.
import { evaluateEnvironment, rotateEnvironment } from '../../src/esc/evaluate.js';
import type { EvaluateOptions, EvaluateResult, RotateResult } from '../../src/esc/types.js';
import { toJSON, type Json } from '../../src/esc/value.js';
import { testCipher } from '../support/test-cipher.js';
import { harnessProviders, harnessRotators } from '../conformance/providers.js';

export interface Run {
  readonly result: EvaluateResult;
  /** Redacted values as JSON (undefined when there are none). */
  readonly redacted: Json | undefined;
  readonly revealed: Json | undefined;
  /** `line:column summary` of every diagnostic of the run's stage and load. */
  readonly diags: string[];
}

export function loaderFor(files: Record<string, string>): EvaluateOptions['loader'] {
  return async (name) => {
    const source = files[name];
    if (source === undefined) throw new Error(`environment ${name} not found`);
    return { name, source };
  };
}

export async function run(
  source: string,
  files: Record<string, string> = {},
  options: Partial<EvaluateOptions> = {},
  rootName = 'root',
): Promise<Run> {
  const result = await evaluateEnvironment(rootName, source, {
    loader: loaderFor(files),
    providers: harnessProviders(),
    rotators: harnessRotators(),
    cipher: testCipher,
    context: { pulumi: { user: { id: 'u1' } } },
    mode: 'eval',
    ...options,
  });
  return describe(result);
}

export async function rotate(source: string, paths?: string[]): Promise<RotateResult & { json: Json | undefined }> {
  const result = await rotateEnvironment('root', source, {
    loader: loaderFor({}),
    providers: harnessProviders(),
    rotators: harnessRotators(),
    cipher: testCipher,
    context: {},
    paths,
  });
  return { ...result, json: result.values === undefined ? undefined : toJSON(result.values, { redact: false }) };
}

export function describe(result: EvaluateResult): Run {
  return {
    result,
    redacted: result.values === undefined ? undefined : toJSON(result.values, { redact: true }),
    revealed: result.values === undefined ? undefined : toJSON(result.values, { redact: false }),
    diags: result.diagnostics.map((d) => `${d.file === undefined ? '' : `${d.file}:`}${d.line ?? '-'}:${d.column ?? '-'} ${d.summary}`),
  };
}
