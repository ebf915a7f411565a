// 5. Memory: resident set size of `escd daemon` idle and holding 100 and 1,000 cached environments
// (each an aws-login session from the local STS). Baseline: the bare node:net server idle, which is
// what any Node.js process that listens on a socket costs.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from '../../src/protocol/client.js';
import { DEFAULT_MAX_ENTRIES } from '../../src/cache/environment-cache.js';
import { WORKER_IDLE_MS } from '../../src/runtime/isolated-engine.js';
import { anonymousMB, rssMB, startDaemon } from './daemon.js';
import type { Row } from './report.js';
import { spawnOwned } from './resources.js';
import { median } from './stats.js';
import { awsLoginYaml, makeWorld, warm, writeEnvironment } from './world.js';

const SECTION = '5. memory';
const BARE = fileURLToPath(new URL('./bare-server.js', import.meta.url));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Resident {
  readonly rss: number;
  /** Of which anonymous (the process's own, not the shared node binary); undefined where unknown. */
  readonly anonymous: number | undefined;
}

/** RSS after letting the process settle (pending work done, allocation quiet): median of a few samples. */
async function settledRss(pid: number, settleMs: number): Promise<Resident> {
  await sleep(settleMs);
  const rss: number[] = [];
  const anonymous: number[] = [];
  for (let i = 0; i < 5; i++) {
    const r = rssMB(pid);
    if (r === undefined) throw new Error(`cannot read the RSS of pid ${pid} (/proc/${pid}/status)`);
    rss.push(r);
    const a = anonymousMB(pid);
    if (a !== undefined) anonymous.push(a);
    await sleep(100);
  }
  return { rss: median(rss), anonymous: anonymous.length > 0 ? median(anonymous) : undefined };
}

const anonDetail = (r: Resident): string | undefined => (r.anonymous === undefined ? undefined : `anonymous ${r.anonymous.toFixed(1)}`);

async function cachedCount(socket: string): Promise<number> {
  const status = await request(socket, 'status', {});
  if (!status.ok) throw new Error(`status: ${status.error.message}`);
  return (status.result as { environments: { cached: boolean }[] }).environments.filter((e) => e.cached).length;
}

export async function measureMemory(options: { readonly counts: readonly number[] }, log: (m: string) => void): Promise<Row[]> {
  const world = await makeWorld('memory');
  const answerFile = join(world.home.dir, 'answer.json');
  writeFileSync(answerFile, '{"v":1,"id":1,"ok":true,"result":{}}\n');
  const bareSocket = join(world.home.dir, 'bare.sock');
  const bare = spawnOwned('bare node server', process.execPath, [BARE, bareSocket, answerFile], { stdio: ['ignore', 'ignore', 'ignore'] });
  const daemon = await startDaemon(world);
  try {
    const bareRss = await settledRss(bare.child.pid!, 500);
    const idle = await settledRss(daemon.pid, 500);
    const bareDetail = anonDetail(bareRss);
    const baseline = { label: 'bare node:net server, idle', value: bareRss.rss, ...(bareDetail ? { detail: bareDetail } : {}) };
    const idleDetail = anonDetail(idle);
    const rows: Row[] = [{ section: SECTION, metric: 'escd daemon RSS, idle', unit: 'MB', escd: { value: idle.rss, ...(idleDetail ? { detail: idleDetail } : {}) }, baseline }];

    let written = 0;
    const names: string[] = [];
    for (const count of options.counts) {
      for (; written < count; written++) names.push(writeEnvironment(world, `m${String(written).padStart(4, '0')}`, awsLoginYaml(`bench-m${written}`, '1h')));
      log(`memory: asking for ${count} environments`);
      // In batches: a cold request waits for its STS session, and a thousand at once is not the point here.
      for (let i = 0; i < count; i += 25) await warm(world.socket, names.slice(i, Math.min(count, i + 25)));
      const held = await cachedCount(world.socket);
      // Right after the burst the evaluation worker (its own V8 heap) is still alive; it stops once it has
      // been idle for WORKER_IDLE_MS. Both are reported; the target is the daemon holding the sessions.
      const burst = await settledRss(daemon.pid, 500);
      const rss = await settledRss(daemon.pid, WORKER_IDLE_MS + 500);
      const label = count.toLocaleString('en-US');
      const note = held < count ? { note: `the cache keeps at most ${DEFAULT_MAX_ENTRIES} environments (DEFAULT_MAX_ENTRIES), least recently used dropped first` } : {};
      rows.push(
        {
          section: SECTION,
          metric: `escd daemon RSS, ${label} environments just evaluated (evaluation worker alive)`,
          unit: 'MB',
          escd: { value: burst.rss, detail: [`${held} cached`, anonDetail(burst)].filter(Boolean).join(', ') },
          baseline,
        },
        {
          section: SECTION,
          metric: `escd daemon RSS, holding ${label} environments (worker stopped when idle)`,
          unit: 'MB',
          escd: { value: rss.rss, detail: [`${held} cached`, anonDetail(rss)].filter(Boolean).join(', ') },
          baseline,
          ...(count === 100 ? { target: { kind: 'at-most', limit: 80 } as const } : {}),
          ...note,
        },
      );
    }
    return rows;
  } finally {
    await daemon.stop();
    await bare.stop();
    await world.close();
  }
}
