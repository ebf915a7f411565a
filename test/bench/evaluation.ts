// 4. Evaluation: the corpus's 26-environment `bench` graph cold and warm, a 1,000-key environment
// with 200 interpolations, and how warm time grows from 100 to 10,000 keys; for information, the same
// with one import merged under the keys (the evaluator's other path: merging, no environment of its
// own). Baseline: parsing the same YAML with the same parser (the `yaml` package), measured the same
// way in the same run.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { corpusDir } from '../conformance/run.js';
import type { Scenario, WorkerResult, WorkerSpec } from './eval-worker.js';
import type { Row } from './report.js';
import { spawnOwned } from './resources.js';
import { growthPerDecade, median, medianSummary, type Summary } from './stats.js';

const SECTION = '4. evaluation';
const PARSE_LABEL = 'YAML parse only, same files';
const WORKER = fileURLToPath(new URL('./eval-worker.js', import.meta.url));

export interface EvaluationOptions {
  /** Fresh processes for the graph figures (cold = median of their first evaluations). */
  readonly processes: number;
  /** Fresh processes per size of the growth figures. */
  readonly sizeProcesses: number;
  readonly sizes: readonly number[];
  /** Sizes measured again with one import merged under the keys (informational rows, no target). */
  readonly importSizes: readonly number[];
}

function runWorker(spec: WorkerSpec): Promise<WorkerResult> {
  const owned = spawnOwned('evaluation worker', process.execPath, [WORKER, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  owned.child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  owned.child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return owned.exited.then(() => {
    if (owned.child.exitCode !== 0) throw new Error(stderr.trim() || `evaluation worker exited ${owned.child.exitCode}`);
    return JSON.parse(stdout) as WorkerResult;
  });
}

interface Pair {
  readonly cold: number;
  readonly warm: Summary;
}

/** `processes` fresh processes each for evaluate and parse, alternating; medians over processes. */
async function measure(scenario: Scenario, processes: number, budgetMs: number): Promise<{ escd: Pair; parse: Pair }> {
  const runs = { evaluate: [] as WorkerResult[], parse: [] as WorkerResult[] };
  for (let i = 0; i < processes; i++) {
    for (const what of ['evaluate', 'parse'] as const) {
      runs[what].push(await runWorker({ scenario, what, minRuns: 5, maxRuns: 2_000, budgetMs }));
    }
  }
  const pair = (r: WorkerResult[]): Pair => ({ cold: median(r.map((x) => x.coldMs)), warm: medianSummary(r.map((x) => x.warm)) });
  return { escd: pair(runs.evaluate), parse: pair(runs.parse) };
}

const warmDetail = (s: Summary): string => `p95 ${s.p95.toFixed(2)}`;

export async function measureEvaluation(options: EvaluationOptions, log: (m: string) => void): Promise<Row[]> {
  const dir = join(corpusDir(['node', 'bench']), 'bench');
  if (!existsSync(join(dir, 'env.yaml'))) throw new Error(`the corpus bench graph is missing (${dir}); set ESC_CONFORMANCE_DIR`);
  const rows: Row[] = [];

  log(`evaluation: bench graph, ${options.processes} fresh processes each`);
  const graph = await measure({ kind: 'graph', dir }, options.processes, 500);
  rows.push(
    {
      section: SECTION,
      metric: '26-environment bench graph, cold (first in a fresh process)',
      unit: 'ms',
      escd: { value: graph.escd.cold },
      baseline: { label: PARSE_LABEL, value: graph.parse.cold },
    },
    {
      section: SECTION,
      metric: '26-environment bench graph, warm median',
      unit: 'ms',
      escd: { value: graph.escd.warm.p50, detail: warmDetail(graph.escd.warm) },
      baseline: { label: PARSE_LABEL, value: graph.parse.warm.p50, detail: warmDetail(graph.parse.warm) },
      target: { kind: 'at-most', limit: 5 },
    },
  );

  rows.push(...(await keyRows(options.sizes, false, options.sizeProcesses, log)));
  rows.push(...(await keyRows(options.importSizes, true, options.sizeProcesses, log)));
  return rows;
}

/**
 * The keys scenario at each size (with one import merged under it when `imported`): its warm medians
 * and its growth per decade. The plain scenario's growth has the target; the imported one is for
 * information.
 */
async function keyRows(sizeList: readonly number[], imported: boolean, processes: number, log: (m: string) => void): Promise<Row[]> {
  const rows: Row[] = [];
  const under = imported ? ', one import merged under' : '';
  const bySize = new Map<number, { escd: Pair; parse: Pair }>();
  for (const keys of sizeList) {
    log(`evaluation: ${keys} keys (${keys / 5} interpolations)${under}`);
    bySize.set(keys, await measure({ kind: 'keys', keys, ...(imported ? { imported } : {}) }, processes, 500));
  }
  for (const [keys, m] of bySize) {
    rows.push({
      section: SECTION,
      metric: `${keys.toLocaleString('en-US')} keys, ${(keys / 5).toLocaleString('en-US')} interpolations${under}, warm median`,
      unit: 'ms',
      escd: { value: m.escd.warm.p50, detail: `${warmDetail(m.escd.warm)}; cold ${m.escd.cold.toFixed(1)}` },
      baseline: { label: PARSE_LABEL, value: m.parse.warm.p50, detail: `cold ${m.parse.cold.toFixed(1)}` },
    });
  }
  const points = (side: 'escd' | 'parse') => [...bySize].map(([size, m]) => ({ size, value: m[side].warm.p50 }));
  const parseGrowth = growthPerDecade(points('parse'));
  const sizes = [...bySize.keys()].sort((a, b) => a - b);
  growthPerDecade(points('escd')).forEach((g, i) => {
    rows.push({
      section: SECTION,
      metric: `warm time growth ${sizes[i]!.toLocaleString('en-US')} → ${sizes[i + 1]!.toLocaleString('en-US')} keys${imported ? under : ' (linear 10, n^1.3 20)'}`,
      unit: '×/decade',
      escd: { value: g },
      baseline: { label: PARSE_LABEL, value: parseGrowth[i]! },
      ...(imported ? { note: 'informational (no target): the target row is the one without an import' } : { target: { kind: 'at-most', limit: 20 } as const }),
    });
  });
  return rows;
}
