// 7. The container-credentials endpoint: what an SDK pays for credentials without a process start.
// Answer latency at 1 and 100 concurrent keep-alive clients against a bare node:http server (same
// answer bytes, same load generator, runs interleaved); then `aws sts get-caller-identity` and a boto3
// script given the endpoint against the same given the credential_process profile, side by side.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from '../../src/protocol/client.js';
import type { EndpointGrantResult } from '../../src/protocol/wire.js';
import { runCli } from '../support/cli.js';
import { awsCliMissing } from '../support/moto.js';
import { startDaemon } from './daemon.js';
import type { Row } from './report.js';
import { spawnOwned } from './resources.js';
import { summarize, type Summary } from './stats.js';
import { timeOk } from './wall-time.js';
import { awsLoginYaml, makeWorld, warm, writeEnvironment } from './world.js';

export interface EndpointBenchOptions {
  readonly concurrency: readonly number[];
  readonly durationMs: number;
  readonly repeats: number;
  readonly clientRuns: number;
}

const SECTION = '7. credential endpoint';
const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

/** Closed loop: `concurrency` clients, each sending its next GET when the last answer is read. */
async function load(url: string, headers: Record<string, string>, concurrency: number, durationMs: number): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  const deadline = performance.now() + durationMs;
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const t0 = performance.now();
      const req = httpRequest(url, { agent, headers }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`${url} answered ${res.statusCode}`));
          latencies.push(performance.now() - t0);
          resolve();
        });
      });
      req.on('error', reject);
      req.end();
    });
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) await one();
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  return latencies;
}

/** The other percentile of the pair, so each row shows both. */
const detail = (s: Summary, shown: 'p50' | 'p99'): string => (shown === 'p50' ? `p99 ${s.p99.toFixed(2)}` : `p50 ${s.p50.toFixed(3)}`) + `, n=${s.n}`;

export async function measureEndpoint(options: EndpointBenchOptions, log: (m: string) => void): Promise<Row[]> {
  const world = await makeWorld('endpoint');
  const daemon = await startDaemon(world);
  try {
    const env = writeEnvironment(world, 'dev', awsLoginYaml('bench-endpoint', '1h'));
    await warm(world.socket, [env]);
    const granted = await request(world.socket, 'endpoint.grant', { env });
    if (!granted.ok) throw new Error(`endpoint.grant: ${granted.error.message}`);
    const grant = granted.result as EndpointGrantResult;
    const headers = { Authorization: grant.token };

    const answerFile = join(world.home.dir, 'endpoint-answer.json');
    const answer = await new Promise<string>((resolve, reject) =>
      httpRequest(grant.url, { headers }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`the endpoint answered ${res.statusCode}`))));
      })
        .on('error', reject)
        .end(),
    );
    writeFileSync(answerFile, answer);
    const bare = spawnOwned('bare http server', process.execPath, [here('./bare-http-server.js'), answerFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    const port = await new Promise<number>((resolve, reject) => {
      bare.child.stdout!.setEncoding('utf8').once('data', (d: string) => resolve(Number(d.trim())));
      void bare.exited.then(() => reject(new Error('the bare http server exited')));
    });
    const bareUrl = `http://127.0.0.1:${port}/v1/aws/${env}`;

    const rows: Row[] = [];
    try {
      for (const concurrency of options.concurrency) {
        const escd: number[] = [];
        const base: number[] = [];
        log(`endpoint: ${options.repeats} × ${options.durationMs} ms at ${concurrency} concurrent client(s), escd and bare server interleaved`);
        for (let i = 0; i < options.repeats; i++) {
          await load(grant.url, headers, concurrency, 100); // warm-up
          escd.push(...(await load(grant.url, headers, concurrency, options.durationMs)));
          await load(bareUrl, headers, concurrency, 100);
          base.push(...(await load(bareUrl, headers, concurrency, options.durationMs)));
        }
        const e = summarize(escd);
        const b = summarize(base);
        for (const [name, pick] of [
          ['p50', (s: Summary) => s.p50],
          ['p99', (s: Summary) => s.p99],
        ] as const) {
          rows.push({
            section: SECTION,
            metric: `GET /v1/aws/<env>, ${name}, ${concurrency} concurrent keep-alive client${concurrency === 1 ? '' : 's'}`,
            unit: 'ms',
            escd: { value: pick(e), detail: detail(e, name) },
            baseline: { label: 'bare node:http server, fixed answer', value: pick(b), detail: detail(b, name) },
          });
        }
      }
    } finally {
      await bare.stop();
    }

    const noAws = awsCliMissing();
    const noBoto3 = spawnSync('python3', ['-c', 'import boto3'], { timeout: 20_000 }).status === 0 ? undefined : 'boto3 is not installed';
    if (noAws || noBoto3) {
      log(`endpoint: clients not measured: ${noAws ?? noBoto3}`);
      return rows;
    }
    const setup = await runCli(['setup', 'aws', env, '--profile', 'bench'], { env: world.env });
    if (setup.code !== 0) throw new Error(`escd setup aws failed: ${setup.stderr.trim()}`);
    const base = { ...world.env, AWS_DEFAULT_REGION: 'us-east-1' };
    const viaEndpoint = { ...base, AWS_CONTAINER_CREDENTIALS_FULL_URI: grant.url, AWS_CONTAINER_AUTHORIZATION_TOKEN: grant.token };
    const viaProcess = { ...base, AWS_PROFILE: 'bench' };
    const sts = world.sts.endpoint;
    const boto3 = `import boto3, sys\nboto3.client('sts', endpoint_url=sys.argv[1]).get_caller_identity()`;
    const clients = [
      { metric: 'aws sts get-caller-identity (AWS CLI v1), median wall', run: (e: Record<string, string>) => timeOk('aws sts', 'aws', ['sts', 'get-caller-identity', '--endpoint-url', sts], e) },
      { metric: 'boto3 script: one get_caller_identity, median wall', run: (e: Record<string, string>) => timeOk('boto3', 'python3', ['-c', boto3, sts], e) },
    ];
    for (const client of clients) {
      log(`endpoint: 1 warm-up + ${options.clientRuns} runs each of "${client.metric}" through the endpoint and through credential_process`);
      await client.run(viaEndpoint);
      await client.run(viaProcess);
      const endpointMs: number[] = [];
      const processMs: number[] = [];
      for (let i = 0; i < options.clientRuns; i++) {
        // Alternate which goes first: machine noise hits both alike.
        const pair = i % 2 === 0 ? [viaEndpoint, viaProcess] : [viaProcess, viaEndpoint];
        for (const e of pair) (e === viaEndpoint ? endpointMs : processMs).push((await client.run(e)).ms);
      }
      const e = summarize(endpointMs);
      const p = summarize(processMs);
      rows.push({
        section: SECTION,
        metric: `${client.metric}, endpoint vs credential_process`,
        unit: 'ms',
        escd: { value: e.p50, detail: `p95 ${e.p95.toFixed(1)}, n=${e.n}` },
        baseline: { label: 'the same through credential_process (escd-shim)', value: p.p50, detail: `p95 ${p.p95.toFixed(1)}, n=${p.n}` },
      });
    }
    return rows;
  } finally {
    await daemon.stop();
    await world.close();
  }
}
