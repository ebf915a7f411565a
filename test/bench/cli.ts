// 8. The CLI as a thin client of a warm daemon: `escd run <env> -- true`, `escd open <env>` and
// `escd status` against bare `node -e 0`, runs interleaved so machine noise hits all alike. The
// daemon holds the environment already: these measure what the CLI itself costs (start, parse,
// one request, print or spawn), never an evaluation.
import { CLI } from '../support/cli.js';
import { startDaemon } from './daemon.js';
import type { Row } from './report.js';
import { summarize, type Summary } from './stats.js';
import { timeOk } from './wall-time.js';
import { awsLoginYaml, makeWorld, warm, writeEnvironment } from './world.js';

export interface CliOptions {
  readonly runs: number;
  readonly warmups: number;
}

const SECTION = '8. CLI, warm daemon';
const detail = (s: Summary): string => `p95 ${s.p95.toFixed(1)}, n=${s.n}`;

export async function measureCli(options: CliOptions, log: (m: string) => void): Promise<Row[]> {
  const world = await makeWorld('cli');
  const daemon = await startDaemon(world);
  try {
    const env = writeEnvironment(world, 'dev', awsLoginYaml('bench-cli', '1h'));
    await warm(world.socket, [env]);
    const node = process.execPath;
    const commands = {
      node: () => timeOk('node -e 0', node, ['-e', '0'], world.env),
      run: () => timeOk('escd run', node, [CLI, 'run', env, '--', 'true'], world.env),
      open: () => timeOk('escd open', node, [CLI, 'open', env], world.env),
      status: () => timeOk('escd status', node, [CLI, 'status'], world.env),
    };
    const opened = JSON.parse((await commands.open()).stdout) as { aws?: { login?: { accessKeyId?: string } } };
    // An open is explicit and shows values (README): the session the daemon holds, not a placeholder.
    if (!/^ASIA/.test(opened.aws?.login?.accessKeyId ?? '')) throw new Error('escd open did not print the cached login');
    const order = ['node', 'run', 'open', 'status'] as const;
    const samples = { node: [] as number[], run: [] as number[], open: [] as number[], status: [] as number[] };
    log(`cli: ${options.warmups} warm-up + ${options.runs} runs each of node -e 0, escd run <env> -- true, escd open <env>, escd status`);
    for (let i = 0; i < options.warmups + options.runs; i++) {
      for (let j = 0; j < order.length; j++) {
        const which = order[(i + j) % order.length]!;
        const t = await commands[which]();
        if (i >= options.warmups) samples[which].push(t.ms);
      }
    }
    const nodeS = summarize(samples.node);
    const row = (metric: string, escd: number[], limit: number): Row => {
      const s = summarize(escd);
      return {
        section: SECTION,
        metric,
        unit: 'ms',
        escd: { value: s.p50, detail: detail(s) },
        baseline: { label: 'node -e 0', value: nodeS.p50, detail: detail(nodeS) },
        target: { kind: 'ratio-at-most', limit },
      };
    };
    return [
      row('escd run <env> -- true, median wall', samples.run, 1.6),
      row('escd open <env>, median wall', samples.open, 1.6),
      row('escd status, median wall', samples.status, 1.4),
    ];
  } finally {
    await daemon.stop();
    await world.close();
  }
}
