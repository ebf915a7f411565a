// `npm run bench`: every performance figure of escd, each against a baseline measured in the same run.
//
//   npm run bench                   the table on stdout (progress on stderr)
//   npm run bench -- --json         JSON on stdout instead
//   npm run bench -- --only 1,4     some sections only (numbers as in the table)
//   npm run bench -- --cpu-prof DIR every escd daemon started writes a CPU profile into DIR
//
// Sections: 1 shim wall time, 2 daemon latency/throughput, 3 refresh never blocks, 4 evaluation,
// 5 memory, 6 cold start, 7 credential endpoint, 8 CLI with a warm daemon, 9 cached answers during a
// hostile evaluation. Everything started is stopped at the end, on failure and on Ctrl-C.
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { assertBuilt } from '../support/cli.js';
import { formatTable, toJson, type Report, type Row } from './report.js';
import { installCleanupHandlers, isInterrupted, stopAll } from './resources.js';
import { measureColdStart } from './cold-start.js';
import { profileDaemonsInto } from './daemon.js';
import { measureAllocation, measureDaemonLatency } from './daemon-latency.js';
import { measureEndpoint } from './endpoint.js';
import { measureEvaluation } from './evaluation.js';
import { measureMemory } from './memory.js';
import { measureRefresh } from './refresh.js';
import { measureShim } from './shim.js';
import { measureCli } from './cli.js';
import { measureHostile } from './hostile.js';

interface Section {
  readonly id: string;
  readonly name: string;
  readonly run: (log: (m: string) => void) => Promise<Row[]>;
}

const SECTIONS: readonly Section[] = [
  { id: '1', name: 'shim, warm daemon', run: (log) => measureShim({ runs: 60, warmups: 5, awsRuns: 15 }, log) },
  {
    id: '2',
    name: 'daemon latency and throughput',
    run: async (log) => [
      ...(await measureDaemonLatency(
        { concurrency: [1, 10, 100, 500], paced: { concurrency: 100, intervalMs: 50 }, repeats: 3, warmupMs: 200, durationMs: 700 },
        log,
      )),
      ...(await measureAllocation(log)),
    ],
  },
  { id: '3', name: 'refresh never blocks', run: (log) => measureRefresh({ environments: 10, rounds: 5, stsDelayMs: 2_000 }, log) },
  { id: '4', name: 'evaluation', run: (log) => measureEvaluation({ processes: 5, sizeProcesses: 3, sizes: [100, 1_000, 10_000], importSizes: [1_000, 10_000] }, log) },
  { id: '5', name: 'memory', run: (log) => measureMemory({ counts: [100, 1_000] }, log) },
  { id: '6', name: 'cold start', run: (log) => measureColdStart({ runs: 9 }, log) },
  { id: '7', name: 'credential endpoint', run: (log) => measureEndpoint({ concurrency: [1, 100], durationMs: 700, repeats: 3, clientRuns: 15 }, log) },
  // 100 runs: with 40 the medians' own spread (status 1.31–1.46× in five runs on a quiet machine) was wider
  // than the margins the targets leave; with 120, 1.32–1.38×.
  { id: '8', name: 'CLI, warm daemon', run: (log) => measureCli({ runs: 100, warmups: 5 }, log) },
  { id: '9', name: 'cached answers during a hostile evaluation', run: (log) => measureHostile({ concurrency: 10, intervalMs: 20, repeats: 3, warmupMs: 200, durationMs: 1_500 }, log) },
];

function parseArgs(argv: readonly string[]): { json: boolean; only: Set<string> | undefined; cpuProf: string | undefined } {
  let json = false;
  let only: Set<string> | undefined;
  let cpuProf: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json') json = true;
    else if (arg === '--cpu-prof') cpuProf = resolve(argv[++i] ?? 'bench-profiles');
    else if (arg === '--only') only = new Set((argv[++i] ?? '').split(',').filter(Boolean));
    else if (arg.startsWith('--only=')) only = new Set(arg.slice('--only='.length).split(',').filter(Boolean));
    else throw new Error(`unknown argument ${arg} (use --json, --only 1,2, --cpu-prof DIR)`);
  }
  return { json, only, cpuProf };
}

async function main(): Promise<number> {
  const { json, only, cpuProf } = parseArgs(process.argv.slice(2));
  if (cpuProf) profileDaemonsInto(cpuProf);
  const log = (m: string): void => void process.stderr.write(`bench: ${m}\n`);
  installCleanupHandlers(log);
  assertBuilt();
  const started = Date.now();
  const loadStart = loadavg()[0]!;
  const rows: Row[] = [];
  const skipped: { section: string; reason: string }[] = [];
  try {
    for (const section of SECTIONS) {
      if (isInterrupted()) break;
      if (only && !only.has(section.id)) continue;
      const label = `${section.id}. ${section.name}`;
      const t0 = Date.now();
      log(`${label}…`);
      try {
        rows.push(...(await section.run(log)));
      } catch (err) {
        // One broken measurement must not hide the others; the report says what is missing and why.
        const reason = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
        log(`${label} failed: ${reason}`);
        skipped.push({ section: label, reason });
      }
      await stopAll(log); // whatever a failed section left behind
      log(`${label} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  } finally {
    await stopAll(log);
  }
  const report: Report = {
    machine: {
      cores: cpus().length,
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpu: cpus()[0]?.model.trim() ?? 'unknown',
      loadAverage: { start: loadStart, end: loadavg()[0]! },
    },
    startedAt: new Date(started).toISOString(),
    durationSeconds: (Date.now() - started) / 1000,
    rows,
    skipped,
  };
  process.stdout.write(json ? toJson(report) : formatTable(report));
  return skipped.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    void stopAll(() => {}).finally(() => (process.exitCode = 2));
  },
);
