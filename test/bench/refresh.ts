// 3. Refresh never blocks: shim latency while sessions are being renewed against an STS that takes
// 2 s per call, against the same shim with no renewal in flight. The daemon is daemon-host.ts (the
// real daemon with a clock the bench can move): each round moves it 6 minutes on, which brings every
// 15-minute session past its renewal point (a third of its life); one request per environment then
// starts the renewals, which wait on the slow STS while the shim is timed. A sample counts only if
// the daemon reported renewals in flight before and after it. Rounds alternate with idle phases of
// the same number of runs, so machine noise hits both alike.
import { fileURLToPath } from 'node:url';
import { request } from '../../src/protocol/client.js';
import { SHIM } from '../support/cli.js';
import type { HostCommand, HostReply } from './daemon-host.js';
import type { Row } from './report.js';
import { forkOwned } from './resources.js';
import { summarize, type Summary } from './stats.js';
import { timeOk } from './wall-time.js';
import { awsLoginYaml, makeWorld, waitForPing, warm, writeEnvironment, type World } from './world.js';

const SECTION = '3. refresh never blocks';
const HOST = fileURLToPath(new URL('./daemon-host.js', import.meta.url));
const MINUTE = 60_000;

export interface RefreshOptions {
  readonly environments: number;
  readonly rounds: number;
  readonly stsDelayMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const detail = (s: Summary): string => `p95 ${s.p95.toFixed(1)}, n=${s.n}`;

async function inFlight(socket: string): Promise<number> {
  const status = await request(socket, 'status', {});
  if (!status.ok) throw new Error(`status: ${status.error.message}`);
  return (status.result as { environments: { refreshing: boolean }[] }).environments.filter((e) => e.refreshing).length;
}

const renewals = (world: World): number => world.sts.calls.filter((c) => c.action === 'AssumeRoleWithWebIdentity' && c.outcome === 'ok').length;

export async function measureRefresh(options: RefreshOptions, log: (m: string) => void): Promise<Row[]> {
  // The STS issues sessions on the daemon's clock, so a moved clock sees sessions of the usual length.
  let offsetMs = 0;
  const world = await makeWorld('refresh', { stsDelayMs: options.stsDelayMs, stsNow: () => Date.now() + offsetMs });
  const names = Array.from({ length: options.environments }, (_, i) => writeEnvironment(world, `r${i}`, awsLoginYaml(`bench-r${i}`, '15m')));
  const host = forkOwned('escd daemon (bench clock)', HOST, [], { env: world.env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  host.child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4_000)));
  try {
    await Promise.race([waitForPing(world.socket, 15_000), host.exited.then(() => Promise.reject(new Error(`daemon exited: ${stderr.trim()}`)))]);
    const advance = (ms: number): Promise<void> =>
      new Promise((resolve, reject) => {
        offsetMs += ms;
        host.child.once('message', (reply: HostReply) =>
          reply.offsetMs === offsetMs ? resolve() : reject(new Error('the daemon clock is out of step with the STS clock')),
        );
        host.child.send({ advanceMs: ms } satisfies HostCommand);
      });

    log(`refresh: ${options.environments} environments, first sessions (STS ${options.stsDelayMs} ms per call)`);
    await warm(world.socket, names, 60_000);
    let k = 0;
    const shim = async (): Promise<number> => (await timeOk('escd-shim aws', process.execPath, [SHIM, 'aws', names[k++ % names.length]!], world.env)).ms;
    for (let i = 0; i < 5; i++) await shim(); // warm-up

    const during: number[] = [];
    const idle: number[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const before = renewals(world);
      await advance(6 * MINUTE);
      // One request each: answered from the cache at once, and each starts its renewal in the background.
      await warm(world.socket, names, 5_000);
      let running = await inFlight(world.socket);
      if (running !== names.length) throw new Error(`expected ${names.length} renewals in flight, the daemon reports ${running}`);
      let counted = 0;
      while (running > 0) {
        const ms = await shim();
        running = await inFlight(world.socket);
        if (running > 0) {
          during.push(ms);
          counted++;
        }
      }
      // Every renewal went to STS and came back: the sessions really were renewed during the window.
      for (let i = 0; i < 100 && renewals(world) < before + names.length; i++) await sleep(20);
      if (renewals(world) !== before + names.length) throw new Error(`round ${round}: ${renewals(world) - before} of ${names.length} renewals reached STS`);
      // The same number of runs with nothing in flight.
      for (let i = 0; i < counted; i++) {
        const ms = await shim();
        if ((await inFlight(world.socket)) !== 0) throw new Error('a renewal started during the idle phase');
        idle.push(ms);
      }
    }
    if (during.length === 0) throw new Error('no shim run completed while renewals were in flight');
    const d = summarize(during);
    const i = summarize(idle);
    log(`refresh: ${options.rounds} rounds × ${names.length} renewals; shim median ${d.p50.toFixed(1)} ms renewing, ${i.p50.toFixed(1)} ms idle`);
    return [
      {
        section: SECTION,
        metric: `escd-shim aws while ${names.length} sessions renew (STS ${options.stsDelayMs / 1000} s per call), median wall`,
        unit: 'ms',
        escd: { value: d.p50, detail: detail(d) },
        baseline: { label: 'same, no renewal in flight', value: i.p50, detail: detail(i) },
        target: { kind: 'ratio-at-most', limit: 1.2 },
        note: `${options.rounds} rounds of ${names.length} renewals, each confirmed by the STS; samples taken only while renewals were in flight`,
      },
    ];
  } finally {
    await request(world.socket, 'shutdown', {}, 2_000).catch(() => undefined);
    const timer = setTimeout(() => void host.stop(), 5_000);
    await host.exited;
    clearTimeout(timer);
    await host.stop();
    await world.close();
  }
}
