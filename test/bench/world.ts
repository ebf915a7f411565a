// A throwaway escd installation for one measurement: ESCD_HOME, config.yaml, the OIDC issuer's
// published keys, and a local STS (test/support's verifying STS) that checks the daemon's tokens and
// issues sessions. Environments are the real thing: fn::open::aws-login with oidc, as users write them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from '../../src/protocol/client.js';
import { runCli } from '../support/cli.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';
import { VerifyingSts } from '../support/verifying-sts.js';
import { isInterrupted, own } from './resources.js';
import { awsLoginEnvironment } from '../support/environments.js';

export const ROLE_ARN = 'arn:aws:iam::123456789012:role/bench';
/** The project the bench's environments live in (`bench/<name>`). */
export const PROJECT = 'bench';

export interface World {
  readonly home: TmpHome;
  /** Environment for escd, the shim and clients: the throwaway home, PATH, nothing of the machine's AWS setup. */
  readonly env: Record<string, string>;
  readonly socket: string;
  readonly sts: VerifyingSts;
  /** Removes the home and stops the STS. */
  close(): Promise<void>;
}

export interface WorldOptions {
  /** Every STS answer waits this long (a slow STS). */
  readonly stsDelayMs?: number;
  /** The STS's clock (ms since the epoch); Date.now by default. */
  readonly stsNow?: () => number;
}

export async function makeWorld(label: string, options: WorldOptions = {}): Promise<World> {
  if (isInterrupted()) throw new Error('interrupted');
  const home = await makeTmpHome(`escd-bench-${label}-`);
  const socket = join(home.env.ESCD_HOME!, 'run', 'escd.sock');
  const removeHome = own(`${label} home`, async () => {
    await shutDownStray(socket);
    await home.cleanup();
  });
  const publishedDir = join(home.dir, 'issuer');
  const sts = new VerifyingSts({
    publishedDir,
    roles: [{ roleArn: ROLE_ARN, maxSessionSeconds: 12 * 3600 }],
    ...(options.stsNow ? { now: options.stsNow } : {}),
    ...(options.stsDelayMs ? { delayMs: options.stsDelayMs } : {}),
  });
  const endpoint = await sts.start();
  const stopSts = own(`${label} STS`, () => sts.stop());
  const env: Record<string, string> = {
    ...home.env,
    PATH: process.env.PATH ?? '',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  const escdHome = home.env.ESCD_HOME!;
  mkdirSync(join(escdHome, 'environments', PROJECT), { recursive: true, mode: 0o700 });
  writeFileSync(join(escdHome, 'config.yaml'), `org: bench\nuser: bench\naws:\n  region: us-east-1\n  stsEndpoint: ${endpoint}\n`, { mode: 0o600 });
  const published = await runCli(['oidc', 'publish', '--out', publishedDir], { env });
  if (published.code !== 0) throw new Error(`escd oidc publish failed: ${published.stderr.trim()}`);
  return {
    home,
    env,
    socket,
    sts,
    close: async () => {
      await stopSts();
      await removeHome();
    },
  };
}

/** An aws-login environment as the README shows it: STS session via OIDC, projected for the CLI and SDKs. */
export function awsLoginYaml(sessionName: string, duration: string): string {
  return awsLoginEnvironment({ roleArn: ROLE_ARN, sessionName, duration, region: 'us-east-1' });
}

/** Writes `bench/<name>` and returns its full name. */
export function writeEnvironment(world: World, name: string, yaml: string): string {
  writeFileSync(join(world.home.env.ESCD_HOME!, 'environments', PROJECT, `${name}.yaml`), yaml, { mode: 0o600 });
  return `${PROJECT}/${name}`;
}

/**
 * A shim that found no daemon (one interrupted mid-run) starts one of its own, detached: whatever
 * answers on the home's socket now is asked to shut down before the home goes. Looks for a moment,
 * as such a start may be under way.
 */
async function shutDownStray(socket: string): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const answer = await request(socket, 'shutdown', {}, 1_000).catch(() => undefined);
    if (answer) await new Promise((r) => setTimeout(r, 200)); // let it go, then look again
    else if (i > 0) return;
    else await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls with `ping` until something answers on `socket`. */
export async function waitForPing(socket: string, timeoutMs: number, pollMs = 2): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await request(socket, 'ping', {}, 1_000).catch(() => undefined);
    if (answer?.ok) return;
    if (Date.now() > deadline) throw new Error(`nothing answered on ${socket} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Asks for credentials and fails loudly when the daemon does not serve them: a bench of errors measures nothing. */
export async function warm(socket: string, environments: readonly string[], timeoutMs = 30_000): Promise<void> {
  const answers = await Promise.all(environments.map((env) => request(socket, 'aws.credentials', { env }, timeoutMs)));
  const failed = answers.findIndex((a) => !a.ok);
  if (failed >= 0) {
    const a = answers[failed]!;
    throw new Error(`${environments[failed]}: ${a.ok ? '' : a.error.message}`);
  }
}
