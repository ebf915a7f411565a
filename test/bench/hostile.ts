// 9. Cached answers while hostile environments are evaluated (issue 12, finding 3): the p99 latency of
// cached credentials, paced, while the daemon evaluates one environment after another whose references
// copy the previous level ten times — against the same daemon idle, interleaved run by run. The
// evaluations run in the daemon's worker thread, so the target is within 2× of idle.
import { request } from '../../src/protocol/client.js';
import { encodeLine } from '../../src/protocol/wire.js';
import { expandingEnvironment } from '../support/hostile.js';
import { combine, runLoadgen } from './daemon-latency.js';
import { startDaemon } from './daemon.js';
import type { LoadResult, LoadSpec } from './loadgen.js';
import type { Row } from './report.js';
import { awsLoginYaml, makeWorld, warm, writeEnvironment } from './world.js';

const SECTION = '9. cached answers during a hostile evaluation';

export interface HostileOptions {
  /** Paced load: this many connections, each starting a request every intervalMs. */
  readonly concurrency: number;
  readonly intervalMs: number;
  readonly repeats: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

export async function measureHostile(options: HostileOptions, log: (m: string) => void): Promise<Row[]> {
  const world = await makeWorld('hostile');
  const daemon = await startDaemon(world);
  try {
    const env = writeEnvironment(world, 'dev', awsLoginYaml('bench-hostile', '1h'));
    await warm(world.socket, [env]);
    const line = encodeLine({ v: 1, id: 1, method: 'aws.credentials', params: { env } });
    const spec: LoadSpec = { socket: world.socket, mode: 'connect', concurrency: options.concurrency, intervalMs: options.intervalMs, warmupMs: options.warmupMs, durationMs: options.durationMs, line };
    let written = 0;
    let evaluated = 0;
    /** Opens hostile environments one after another (a new one each time: nothing cached) until `until` settles. */
    const hostileWhile = async (until: Promise<LoadResult>): Promise<LoadResult> => {
      let done = false;
      const finished = until.finally(() => (done = true));
      while (!done) {
        const name = writeEnvironment(world, `hostile${written++}`, expandingEnvironment(written % 2 ? 'array' : 'string'));
        const answer = await request(world.socket, 'env.open', { env: name }, 120_000);
        if (answer.ok) throw new Error(`the hostile environment ${name} was evaluated without a diagnostic`);
        evaluated++;
      }
      return finished;
    };
    const idle: LoadResult[] = [];
    const busy: LoadResult[] = [];
    for (let i = 0; i < options.repeats; i++) {
      idle.push(await runLoadgen(spec));
      busy.push(await hostileWhile(runLoadgen(spec)));
    }
    const a = combine(idle);
    const b = combine(busy);
    log(`hostile: p99 idle ${a.latency.p99.toFixed(2)} ms, during ${b.latency.p99.toFixed(2)} ms (${evaluated} hostile evaluations)`);
    const errors = a.errors + b.errors;
    return [
      {
        section: SECTION,
        metric: `${options.concurrency} connections paced to ${Math.round((options.concurrency * 1000) / options.intervalMs)} req/s: p99 latency of cached credentials`,
        unit: 'ms',
        escd: { value: b.latency.p99, detail: `p50 ${b.latency.p50.toFixed(3)}, ${evaluated} hostile evaluations meanwhile` },
        baseline: { label: 'the same daemon, idle', value: a.latency.p99, detail: `p50 ${a.latency.p50.toFixed(3)}` },
        target: { kind: 'ratio-at-most', limit: 2 },
        ...(errors > 0 ? { note: `errors: ${errors} (${a.firstError ?? b.firstError ?? ''})` } : {}),
      },
    ];
  } finally {
    await daemon.stop();
    await world.close();
  }
}
