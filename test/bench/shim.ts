// 1. The shim with a warm daemon: what every `aws` and `kubectl` call pays. Wall time of
// `escd-shim aws <env>` and `escd-shim kube <env> --cluster c` against bare `node -e 0`, runs
// interleaved so machine noise hits all alike; then `escd-shim kube` against `aws eks get-token`.
import { join } from 'node:path';
import { request } from '../../src/protocol/client.js';
import { SHIM } from '../support/cli.js';
import { awsCliMissing } from '../support/moto.js';
import { startDaemon } from './daemon.js';
import type { Row } from './report.js';
import { summarize, type Summary } from './stats.js';
import { timeOk } from './wall-time.js';
import { awsLoginYaml, makeWorld, warm, writeEnvironment } from './world.js';

export interface ShimOptions {
  readonly runs: number;
  readonly warmups: number;
  readonly awsRuns: number;
}

const SECTION = '1. shim, warm daemon';

const detail = (s: Summary): string => `p95 ${s.p95.toFixed(1)}, n=${s.n}`;

export async function measureShim(options: ShimOptions, log: (m: string) => void): Promise<Row[]> {
  const world = await makeWorld('shim');
  const daemon = await startDaemon(world);
  try {
    const env = writeEnvironment(world, 'dev', awsLoginYaml('bench-dev', '1h'));
    await warm(world.socket, [env]);
    const kube = await request(world.socket, 'kube.credentials', { env, cluster: 'c', apiVersion: 'client.authentication.k8s.io/v1beta1' });
    if (!kube.ok) throw new Error(`kube.credentials: ${kube.error.message}`);

    const node = process.execPath;
    const commands = {
      node: () => timeOk('node -e 0', node, ['-e', '0'], world.env),
      aws: () => timeOk('escd-shim aws', node, [SHIM, 'aws', env], world.env),
      kube: () => timeOk('escd-shim kube', node, [SHIM, 'kube', env, '--cluster', 'c'], world.env),
    };
    const first = JSON.parse((await commands.aws()).stdout) as { AccessKeyId?: string };
    if (!first.AccessKeyId?.startsWith('ASIA')) throw new Error('escd-shim aws did not print STS session credentials');
    const firstKube = JSON.parse((await commands.kube()).stdout) as { status?: { token?: string } };
    if (!firstKube.status?.token?.startsWith('k8s-aws-v1.')) throw new Error('escd-shim kube did not print an EKS token');

    const samples = { node: [] as number[], aws: [] as number[], kube: [] as number[] };
    const order = ['node', 'aws', 'kube'] as const;
    log(`shim: ${options.warmups} warm-up + ${options.runs} runs each of node -e 0, escd-shim aws, escd-shim kube`);
    for (let i = 0; i < options.warmups + options.runs; i++) {
      // Rotate the order each round: no command always runs right after the same other one.
      for (let j = 0; j < order.length; j++) {
        const which = order[(i + j) % order.length]!;
        const t = await commands[which]();
        if (i >= options.warmups) samples[which].push(t.ms);
      }
    }
    const nodeS = summarize(samples.node);
    const againstNode = (metric: string, escd: number[]): Row => {
      const s = summarize(escd);
      return {
        section: SECTION,
        metric,
        unit: 'ms',
        escd: { value: s.p50, detail: detail(s) },
        baseline: { label: 'node -e 0', value: nodeS.p50, detail: detail(nodeS) },
        target: { kind: 'ratio-at-most', limit: 1.1 },
      };
    };
    const rows: Row[] = [
      againstNode('escd-shim aws <env>, median wall', samples.aws),
      againstNode('escd-shim kube <env> --cluster c, median wall', samples.kube),
    ];

    const noAws = awsCliMissing();
    if (noAws) {
      log(`shim: aws eks get-token not measured: ${noAws}`);
      return rows;
    }
    // Static fake credentials: get-token only presigns a GetCallerIdentity URL, no network.
    const awsEnv: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: world.home.dir,
      AWS_CONFIG_FILE: join(world.home.dir, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(world.home.dir, 'no-aws-credentials'),
      AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const getToken = () => timeOk('aws eks get-token', 'aws', ['eks', 'get-token', '--cluster-name', 'c'], awsEnv);
    const probe = JSON.parse((await getToken()).stdout) as { status?: { token?: string } };
    if (!probe.status?.token?.startsWith('k8s-aws-v1.')) throw new Error('aws eks get-token printed no token');
    log(`shim: 1 warm-up + ${options.awsRuns} runs of aws eks get-token, each paired with escd-shim kube`);
    const awsSamples: number[] = [];
    const pairedKube: number[] = [];
    for (let i = 0; i < options.awsRuns; i++) {
      awsSamples.push((await getToken()).ms);
      pairedKube.push((await commands.kube()).ms);
    }
    const awsCli = summarize(awsSamples);
    const paired = summarize(pairedKube);
    rows.push({
      section: SECTION,
      metric: 'escd-shim kube <env> --cluster c vs AWS CLI, median wall',
      unit: 'ms',
      escd: { value: paired.p50, detail: detail(paired) },
      baseline: { label: 'aws eks get-token --cluster-name c (AWS CLI v1)', value: awsCli.p50, detail: detail(awsCli) },
      target: { kind: 'faster-at-least', limit: 6 },
    });
    return rows;
  } finally {
    await daemon.stop();
    await world.close();
  }
}
