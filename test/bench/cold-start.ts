// 6. Cold start: from spawning `escd daemon` to its first answered request (`ping`), and to its first
// served credentials (an evaluation and an STS round trip included). Baseline: the bare node:net
// server, spawned and polled the same way. Runs alternate between the two.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from '../../src/protocol/client.js';
import { daemonHandle, spawnEscdDaemon } from './daemon.js';
import type { Row } from './report.js';
import { spawnOwned } from './resources.js';
import { summarize, type Summary } from './stats.js';
import { awsLoginYaml, makeWorld, waitForPing, writeEnvironment } from './world.js';

const SECTION = '6. cold start';
const BARE = fileURLToPath(new URL('./bare-server.js', import.meta.url));

const now = (): number => Number(process.hrtime.bigint()) / 1e6;
const detail = (s: Summary): string => `p95 ${s.p95.toFixed(0)}, n=${s.n}`;

export async function measureColdStart(options: { readonly runs: number }, log: (m: string) => void): Promise<Row[]> {
  const world = await makeWorld('coldstart');
  try {
    const env = writeEnvironment(world, 'dev', awsLoginYaml('bench-cold', '1h'));
    const answerFile = join(world.home.dir, 'answer.json');
    writeFileSync(answerFile, '{"v":1,"id":1,"ok":true,"result":{"pong":true}}\n');
    const bareSocket = join(world.home.dir, 'bare.sock');
    const toPing: number[] = [];
    const toCredentials: number[] = [];
    const bare: number[] = [];
    log(`cold start: 1 warm-up + ${options.runs} starts each of escd daemon and the bare server`);
    for (let i = 0; i <= options.runs; i++) {
      // escd: spawn → ping answered → credentials served (first evaluation, STS), then stop.
      const t0 = now();
      const owned = spawnEscdDaemon(world);
      const daemon = daemonHandle(owned, world.socket);
      try {
        await Promise.race([
          waitForPing(world.socket, 15_000, 1),
          owned.exited.then(() => Promise.reject(new Error(`escd daemon exited: ${owned.log().trim()}`))),
        ]);
        const pinged = now() - t0;
        const creds = await request(world.socket, 'aws.credentials', { env }, 30_000);
        if (!creds.ok) throw new Error(`first credentials: ${creds.error.message}`);
        if (i > 0) {
          toPing.push(pinged);
          toCredentials.push(now() - t0);
        }
      } finally {
        await daemon.stop();
      }
      // Baseline: the same spawn and the same polling.
      const b0 = now();
      const server = spawnOwned('bare node server', process.execPath, [BARE, bareSocket, answerFile], { stdio: 'ignore' });
      try {
        await waitForPing(bareSocket, 15_000, 1);
        if (i > 0) bare.push(now() - b0);
      } finally {
        await server.stop();
      }
    }
    const ping = summarize(toPing);
    const creds = summarize(toCredentials);
    const base = summarize(bare);
    const baseline = { label: 'bare node:net server, spawn → first answer', value: base.p50, detail: detail(base) };
    return [
      {
        section: SECTION,
        metric: 'escd daemon: spawn → first answered request (ping), median',
        unit: 'ms',
        escd: { value: ping.p50, detail: detail(ping) },
        baseline,
        target: { kind: 'at-most', limit: 300 },
      },
      {
        section: SECTION,
        metric: 'escd daemon: spawn → first credentials served (evaluation + STS), median',
        unit: 'ms',
        escd: { value: creds.p50, detail: detail(creds) },
        baseline,
      },
    ];
  } finally {
    await world.close();
  }
}
