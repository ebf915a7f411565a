// The process measurement 4 runs for each figure (node dist/test/bench/eval-worker.js '<json>'), so
// that "cold" is really the first evaluation in a fresh process (nothing compiled or cached yet),
// followed by warm repetitions. `what: parse` times only YAML parsing of the same files: the baseline.
// Prints one JSON line: WorkerResult.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { evaluateEnvironment } from '../../src/esc/evaluate.js';
import type { EnvironmentLoader, EvaluateOptions } from '../../src/esc/types.js';
import { escValue } from '../../src/esc/value.js';
import type { Provider } from '../../src/esc/provider.js';
import { testCipher } from '../support/test-cipher.js';
import { caseLoader, HARNESS_CONTEXT } from '../conformance/harness.js';
import { harnessProviders } from '../conformance/providers.js';
import { summarize, type Summary } from './stats.js';

/** `keys`: keysYaml(keys), with one small environment merged under it when `imported` (IMPORTED). */
export type Scenario = { readonly kind: 'graph'; readonly dir: string } | { readonly kind: 'keys'; readonly keys: number; readonly imported?: boolean };

export interface WorkerSpec {
  readonly scenario: Scenario;
  readonly what: 'evaluate' | 'parse';
  /** Warm repetitions: at least `minRuns`, then until `budgetMs` is spent (at most `maxRuns`). */
  readonly minRuns: number;
  readonly maxRuns: number;
  readonly budgetMs: number;
}

export interface WorkerResult {
  readonly coldMs: number;
  readonly warm: Summary;
}

/** `keys` plain values, every fifth of them an interpolation of an earlier one (1,000 keys → 200). */
export function keysYaml(keys: number): string {
  const lines = ['values:'];
  for (let i = 0; i < keys; i++) {
    lines.push(i % 5 === 4 ? `  key${i}: \${key${i - 4}}-and-${i}` : `  key${i}: value number ${i}`);
  }
  return lines.join('\n') + '\n';
}

/** What a `keys` scenario with `imported` merges under its keys: one value, under none of them. */
export const IMPORTED = { name: 'base', source: 'values:\n  zzz: 1\n' } as const;

/** The corpus `bench` graph opens `fn::open::bench: {}` ten times; a provider that answers at once, so only the evaluator is timed. */
const bench: Provider = { inputSchema: true, outputSchema: true, open: async () => escValue('bench') };

interface Prepared {
  readonly sources: readonly string[];
  evaluate(): Promise<void>;
}

function prepare(scenario: Scenario): Prepared {
  if (scenario.kind === 'keys') {
    const imported = scenario.imported === true;
    const source = (imported ? `imports:\n  - ${IMPORTED.name}\n` : '') + keysYaml(scenario.keys);
    const options: EvaluateOptions = {
      loader: (name) => (imported && name === IMPORTED.name ? Promise.resolve(IMPORTED) : Promise.reject(new Error(`no environment ${name}`))),
      providers: harnessProviders(),
      cipher: testCipher,
      context: HARNESS_CONTEXT,
      mode: 'eval',
    };
    return {
      sources: imported ? [source, IMPORTED.source] : [source],
      evaluate: () => checked(evaluateEnvironment('keys', source, options), scenario.keys + (imported ? 1 : 0)),
    };
  }
  const files = readdirSync(scenario.dir).filter((f) => f.endsWith('.yaml'));
  const root = readFileSync(join(scenario.dir, 'env.yaml'), 'utf8');
  const providers = new Map([...harnessProviders(), ['bench', bench]]);
  const loader: EnvironmentLoader = caseLoader(scenario.dir, 'bench');
  const options: EvaluateOptions = { loader, providers, cipher: testCipher, context: HARNESS_CONTEXT, mode: 'eval' };
  return {
    sources: files.map((f) => readFileSync(join(scenario.dir, f), 'utf8')),
    evaluate: () => checked(evaluateEnvironment('bench', root, options), undefined),
  };
}

/** An evaluation that reports errors measures the wrong thing: refuse it. */
async function checked(pending: ReturnType<typeof evaluateEnvironment>, expectKeys: number | undefined): Promise<void> {
  const result = await pending;
  const error = result.diagnostics.find((d) => d.severity === 'error');
  if (error) throw new Error(`evaluation error: ${error.summary}`);
  if (!result.values) throw new Error('evaluation produced no values');
  if (expectKeys !== undefined && !(result.values.data instanceof Map && result.values.data.size === expectKeys)) {
    throw new Error(`expected ${expectKeys} keys`);
  }
}

/** The options src/esc/syntax.ts parses with (duplicate keys are the evaluator's business, not the parser's). */
const PARSE_OPTIONS = { uniqueKeys: false, keepSourceTokens: false, prettyErrors: false, version: '1.2' } as const;

const now = (): number => Number(process.hrtime.bigint()) / 1e6;

export async function runWorker(spec: WorkerSpec): Promise<WorkerResult> {
  const prepared = prepare(spec.scenario);
  const once =
    spec.what === 'evaluate'
      ? prepared.evaluate
      : async (): Promise<void> => {
          for (const source of prepared.sources) parseDocument(source, PARSE_OPTIONS);
        };
  const t0 = now();
  await once();
  const coldMs = now() - t0;
  const warm: number[] = [];
  const started = now();
  while (warm.length < spec.maxRuns && (warm.length < spec.minRuns || now() - started < spec.budgetMs)) {
    const t = now();
    await once();
    warm.push(now() - t);
  }
  return { coldMs, warm: summarize(warm) };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runWorker(JSON.parse(process.argv[2] ?? '{}') as WorkerSpec).then(
    (result) => process.stdout.write(JSON.stringify(result) + '\n'),
    (err: unknown) => {
      process.stderr.write(`eval-worker: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
