// 2. Daemon request latency and throughput over the Unix socket, credentials cached, from a load
// generator in its own process (loadgen.ts). Baseline: a bare node:net server giving the same answer
// (bare-server.ts), driven by the same generator in the same run, interleaved run by run.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from '../../src/protocol/client.js';
import { encodeLine } from '../../src/protocol/wire.js';
import { startDaemon, type TracedNode } from './daemon.js';
import { allocationCounter, type AllocationCounter } from './gc-trace.js';
import type { LoadResult, LoadSpec } from './loadgen.js';
import type { Row } from './report.js';
import { spawnOwned } from './resources.js';
import { median, medianSummary } from './stats.js';
import { awsLoginYaml, makeWorld, warm, writeEnvironment } from './world.js';

const SECTION = '2. daemon over the socket, cached';
const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

export interface LatencyOptions {
  readonly concurrency: readonly number[];
  /** Also an open-loop run: this many connections, each starting a request every intervalMs. */
  readonly paced: { readonly concurrency: number; readonly intervalMs: number };
  readonly repeats: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

export function runLoadgen(spec: LoadSpec): Promise<LoadResult> {
  const owned = spawnOwned('load generator', process.execPath, [here('./loadgen.js'), JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  owned.child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  owned.child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return owned.exited.then(() => {
    if (owned.child.exitCode !== 0) throw new Error(`load generator failed: ${stderr.trim() || `exit ${owned.child.exitCode}`}`);
    return JSON.parse(stdout) as LoadResult;
  });
}

/** Starts the bare baseline server; resolves once it listens. */
async function startBareServer(socket: string, answerFile: string, traced?: TracedNode): Promise<() => Promise<void>> {
  const owned = spawnOwned('bare node server', process.execPath, [...(traced?.flags ?? []), here('./bare-server.js'), socket, answerFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    owned.child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      traced?.stdout(d);
      out += d;
      if (out.includes('listening')) resolve();
    });
    void owned.exited.then(() => reject(new Error('the bare server exited before listening')));
  });
  return owned.stop;
}

export interface Measured {
  readonly throughput: number;
  readonly latency: ReturnType<typeof medianSummary>;
  readonly errors: number;
  readonly firstError?: string;
}

export function combine(runs: readonly LoadResult[]): Measured {
  const latencies = runs.flatMap((r) => (r.latency ? [r.latency] : []));
  if (latencies.length === 0) throw new Error(`no request was answered: ${runs.find((r) => r.firstError)?.firstError ?? 'no error seen'}`);
  const firstError = runs.find((r) => r.firstError)?.firstError;
  return {
    throughput: median(runs.map((r) => r.throughput)),
    latency: medianSummary(latencies),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    ...(firstError ? { firstError } : {}),
  };
}

export async function measureDaemonLatency(options: LatencyOptions, log: (m: string) => void): Promise<Row[]> {
  const world = await makeWorld('latency');
  const daemon = await startDaemon(world);
  try {
    const env = writeEnvironment(world, 'dev', awsLoginYaml('bench-latency', '1h'));
    await warm(world.socket, [env]);
    const answer = await request(world.socket, 'aws.credentials', { env });
    const answerFile = join(world.home.dir, 'answer.json');
    writeFileSync(answerFile, JSON.stringify(answer) + '\n');
    const bareSocket = join(world.home.dir, 'bare.sock');
    const stopBare = await startBareServer(bareSocket, answerFile);
    const line = encodeLine({ v: 1, id: 1, method: 'aws.credentials', params: { env } });

    const rows: Row[] = [];
    /** Repeated runs against escd and the bare server, interleaved. */
    const compare = async (make: (socket: string) => LoadSpec): Promise<{ escd: Measured; bare: Measured }> => {
      const escdRuns: LoadResult[] = [];
      const bareRuns: LoadResult[] = [];
      for (let i = 0; i < options.repeats; i++) {
        escdRuns.push(await runLoadgen(make(world.socket)));
        bareRuns.push(await runLoadgen(make(bareSocket)));
      }
      return { escd: combine(escdRuns), bare: combine(bareRuns) };
    };
    for (const mode of ['connect', 'persistent'] as const) {
      for (const concurrency of options.concurrency) {
        const { escd, bare } = await compare((socket) => ({ socket, mode, concurrency, warmupMs: options.warmupMs, durationMs: options.durationMs, line }));
        const label = `${mode === 'connect' ? 'new connection per request' : 'persistent connections'}, ${concurrency} concurrent`;
        log(`latency: ${label}: escd p99 ${escd.latency.p99.toFixed(2)} ms, ${Math.round(escd.throughput)} req/s; bare p99 ${bare.latency.p99.toFixed(2)} ms, ${Math.round(bare.throughput)} req/s`);
        const errors =
          escd.errors + bare.errors > 0 ? `errors: escd ${escd.errors}, bare ${bare.errors} (${escd.firstError ?? bare.firstError ?? ''})` : undefined;
        rows.push({
          section: SECTION,
          metric: `${label}: p99 latency`,
          unit: 'ms',
          escd: { value: escd.latency.p99, detail: `p50 ${escd.latency.p50.toFixed(3)}` },
          baseline: { label: 'bare node:net server', value: bare.latency.p99, detail: `p50 ${bare.latency.p50.toFixed(3)}` },
          ...(concurrency === 100 ? { target: { kind: 'ratio-at-most', limit: 1.3 } as const } : {}),
          ...(errors ? { note: errors } : {}),
        });
        rows.push({
          section: SECTION,
          metric: `${label}: throughput`,
          unit: 'req/s',
          escd: { value: escd.throughput },
          baseline: { label: 'bare node:net server', value: bare.throughput },
          ...(mode === 'persistent' && concurrency >= 10 ? { target: { kind: 'at-least', limit: 10_000 } as const } : {}),
        });
      }
      // Closed loop saturates both servers, and then latency is concurrency / throughput (Little's
      // law). Paced, the same connections ask at a steady rate: the latency of a daemon that keeps up.
      const { concurrency, intervalMs } = options.paced;
      const offered = Math.round((concurrency * 1000) / intervalMs);
      const { escd, bare } = await compare((socket) => ({ socket, mode, concurrency, intervalMs, warmupMs: options.warmupMs, durationMs: options.durationMs, line }));
      const label = `${mode === 'connect' ? 'new connection per request' : 'persistent connections'}, ${concurrency} concurrent paced to ${offered.toLocaleString('en-US')} req/s`;
      log(`latency: ${label}: escd p99 ${escd.latency.p99.toFixed(2)} ms; bare p99 ${bare.latency.p99.toFixed(2)} ms`);
      rows.push({
        section: SECTION,
        metric: `${label}: p99 latency`,
        unit: 'ms',
        escd: { value: escd.latency.p99, detail: `p50 ${escd.latency.p50.toFixed(3)}, ${Math.round(escd.throughput)} req/s` },
        baseline: { label: 'bare node:net server', value: bare.latency.p99, detail: `p50 ${bare.latency.p50.toFixed(3)}` },
        ...(escd.errors + bare.errors > 0 ? { note: `errors: escd ${escd.errors}, bare ${bare.errors} (${escd.firstError ?? bare.firstError ?? ''})` } : {}),
      });
    }
    await stopBare();
    return rows;
  } finally {
    await daemon.stop();
    await world.close();
  }
}

/**
 * 2b. Bytes allocated per cached answer, by the daemon and by the bare server, under the same load
 * (100 concurrent clients): a figure the machine's noise does not move. Each server runs with V8's GC
 * trace (so in processes of its own, not the timed ones above).
 */
export async function measureAllocation(log: (m: string) => void): Promise<Row[]> {
  const world = await makeWorld('allocation');
  const escdCounter = allocationCounter();
  const bareCounter = allocationCounter();
  const daemon = await startDaemon(world, {}, escdCounter);
  try {
    const env = writeEnvironment(world, 'dev', awsLoginYaml('bench-allocation', '1h'));
    await warm(world.socket, [env]);
    const answerFile = join(world.home.dir, 'answer.json');
    writeFileSync(answerFile, JSON.stringify(await request(world.socket, 'aws.credentials', { env })) + '\n');
    const bareSocket = join(world.home.dir, 'bare.sock');
    const stopBare = await startBareServer(bareSocket, answerFile, bareCounter);
    const line = encodeLine({ v: 1, id: 1, method: 'aws.credentials', params: { env } });
    /** KB allocated per answered request over one timed window, after a warm-up run. */
    const perRequest = async (socket: string, counter: AllocationCounter, mode: LoadSpec['mode']): Promise<number> => {
      await runLoadgen({ socket, mode, concurrency: 100, warmupMs: 0, durationMs: 300, line });
      const before = counter.bytes();
      const run = await runLoadgen({ socket, mode, concurrency: 100, warmupMs: 0, durationMs: 1_500, line });
      await new Promise((resolve) => setTimeout(resolve, 100)); // the trace lines of the window's last collections
      if (run.requests === 0) throw new Error(`no request was answered: ${run.firstError ?? 'no error seen'}`);
      return (counter.bytes() - before) / run.requests / 1024;
    };
    const rows: Row[] = [];
    for (const mode of ['connect', 'persistent'] as const) {
      const escd = await perRequest(world.socket, escdCounter, mode);
      const bare = await perRequest(bareSocket, bareCounter, mode);
      const label = mode === 'connect' ? 'new connection per request' : 'persistent connections';
      log(`allocation: ${label}: escd ${escd.toFixed(2)} KB/request, bare ${bare.toFixed(2)} KB/request`);
      rows.push({
        section: SECTION,
        metric: `${label}, 100 concurrent: JavaScript heap allocated per request`,
        unit: 'KB',
        escd: { value: escd },
        baseline: { label: 'bare node:net server', value: bare },
      });
    }
    await stopBare();
    return rows;
  } finally {
    await daemon.stop();
    await world.close();
  }
}
