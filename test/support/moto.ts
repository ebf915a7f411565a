// A real STS emulator for tests: `python3 -m moto.server` on 127.0.0.1 and a free port.
//
//   const skip = e2eSkipReason(motoMissing(), awsCliMissing());   // fails instead under ESCD_REQUIRE_E2E=1
//   describe.skipIf(skip)('...', () => {
//     let moto: Moto;
//     beforeAll(async () => (moto = await startMoto()));
//     afterAll(() => moto?.stop());
//     it('...', async () => { ... moto.endpoint ...; expect(await moto.count('AssumeRoleWithWebIdentity')).toBe(1); });
//   });
//
// What moto does and does not do (moto 5.x): it accepts any web-identity token (no signature, iss,
// aud or trust checks), honours DurationSeconds, and GetCallerIdentity with credentials it issued
// answers `arn:aws:sts::<account>:assumed-role/<role>/<session>`. It checks no SigV4 signature; for a
// presigned URL (EKS token) it ignores X-Amz-Credential and answers its default identity
// (`arn:aws:sts::123456789012:user/moto`). Use test/support/verifying-sts.ts where checking matters.
//
// Counting calls: moto has no call-count API, but it has a request recorder (`/moto-api/recorder/*`)
// that appends every request to a file; `calls()` reads that file.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RecordedCall {
  readonly method: string;
  /** The API action (`AssumeRoleWithWebIdentity`, `GetSecretValue`, ...), from the form body, the URL or X-Amz-Target. */
  readonly action?: string;
  /** All request parameters (body and query). Contains tokens: for assertions only, never print. */
  readonly params: URLSearchParams;
  readonly headers: Readonly<Record<string, string>>;
}

export interface Moto {
  /** `http://127.0.0.1:<port>`: use as AWS_ENDPOINT_URL_STS / --endpoint-url. */
  readonly endpoint: string;
  readonly port: number;
  /** Every AWS request moto received since start (or the last reset), oldest first. */
  calls(): Promise<RecordedCall[]>;
  /** How many requests for `action` moto received since start (or the last reset). */
  count(action: string): Promise<number>;
  /** Forgets all state (issued sessions) and the recorded calls. */
  reset(): Promise<void>;
  /** Kills moto and removes its files. Safe to call twice. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 20_000;
/** A probe of an installed tool: generous, since a busy machine can take long to start python3; a hang is not "missing". */
const PROBE_TIMEOUT_MS = 90_000;

/** Why a probe that could not run failed: not there at all, or there but too slow to answer. */
function probeFailure(what: string, error: Error & { code?: string }): string {
  return error.code === 'ETIMEDOUT' ? `${what} did not answer within ${PROBE_TIMEOUT_MS / 1000} s` : `${what} is not installed (${error.message})`;
}

/** Why moto cannot run here, or undefined. */
export function motoMissing(): string | undefined {
  const probe = spawnSync('python3', ['-c', 'import moto.server'], { encoding: 'utf8', timeout: PROBE_TIMEOUT_MS });
  if (probe.error) return probeFailure('python3', probe.error);
  if (probe.status !== 0) return `moto is not installed for python3 (pip install 'moto[server]'): ${probe.stderr.trim().split('\n').pop() ?? ''}`;
  return undefined;
}

/** Why the AWS CLI cannot run here, or undefined. */
export function awsCliMissing(): string | undefined {
  const probe = spawnSync('aws', ['--version'], { encoding: 'utf8', timeout: PROBE_TIMEOUT_MS });
  if (probe.error) return probeFailure('the AWS CLI (aws)', probe.error);
  if (probe.status !== 0) return `\`aws --version\` failed: ${(probe.stderr || probe.stdout).trim()}`;
  return undefined;
}

/**
 * Combines "missing" reasons for `describe.skipIf`. In CI (ESCD_REQUIRE_E2E=1) a missing tool is a
 * failure, not a skip: this throws. Otherwise it prints why the suite is skipped.
 */
export function e2eSkipReason(...missing: (string | undefined)[]): string | undefined {
  const reasons = missing.filter((m): m is string => m !== undefined);
  if (reasons.length === 0) return undefined;
  const reason = reasons.join('; ');
  if (process.env.ESCD_REQUIRE_E2E === '1') throw new Error(`ESCD_REQUIRE_E2E=1 but an e2e prerequisite is missing: ${reason}`);
  console.warn(`skipping: ${reason}`);
  return reason;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

function parseRecording(text: string): RecordedCall[] {
  const calls: RecordedCall[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const entry = JSON.parse(line) as { method: string; url: string; headers: Record<string, string>; body: string | null; body_encoded: boolean };
    if (new URL(entry.url).pathname.startsWith('/moto-api/')) continue;
    const body = entry.body_encoded ? Buffer.from(entry.body ?? '', 'base64').toString('utf8') : (entry.body ?? '');
    const params = new URLSearchParams(new URL(entry.url).search);
    for (const [k, v] of new URLSearchParams(body)) params.append(k, v);
    // Query APIs (STS, IAM) name the action in the form; JSON APIs (Secrets Manager, SSM) in X-Amz-Target.
    const target = Object.entries(entry.headers).find(([k]) => k.toLowerCase() === 'x-amz-target')?.[1];
    const action = params.get('Action') ?? target?.split('.').pop() ?? undefined;
    calls.push({ method: entry.method, ...(action ? { action } : {}), params, headers: entry.headers });
  }
  return calls;
}

/** Starts moto (about 1.5 s) with the request recorder on; `iamManagedPolicies` loads AWS's managed IAM policies (ReadOnlyAccess, ...). */
export async function startMoto(options: { iamManagedPolicies?: boolean } = {}): Promise<Moto> {
  const dir = await mkdtemp(join(tmpdir(), 'escd-moto-'));
  const recording = join(dir, 'recording.jsonl');
  let child: ChildProcess | undefined;
  let port = 0;
  let stderr = '';
  // A port found free can be taken before moto binds it: try a few.
  for (let attempt = 0; attempt < 3 && !child; attempt++) {
    port = await freePort();
    const proc = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
      env: { ...process.env, MOTO_RECORDER_FILEPATH: recording, PYTHONUNBUFFERED: '1', ...(options.iamManagedPolicies ? { MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' } : {}) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4_000)));
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let ready = false;
    while (Date.now() < deadline && proc.exitCode === null && proc.signalCode === null) {
      if (await answers(`http://127.0.0.1:${port}/moto-api/data.json`)) {
        ready = true;
        break;
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 100))]);
    }
    if (ready) child = proc;
    else {
      proc.kill('SIGKILL');
      await exited;
      if (/address already in use/i.test(stderr)) continue;
      await rm(dir, { recursive: true, force: true });
      throw new Error(`moto did not start on 127.0.0.1:${port}: ${stderr.trim().split('\n').slice(-3).join(' | ') || 'no output'}`);
    }
  }
  if (!child) {
    await rm(dir, { recursive: true, force: true });
    throw new Error('moto could not bind a free port after 3 attempts');
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const proc = child;
  const killOnExit = (): void => void proc.kill('SIGKILL');
  process.once('exit', killOnExit);

  const post = async (path: string): Promise<void> => {
    const res = await fetch(endpoint + path, { method: 'POST' });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`moto ${path}: HTTP ${res.status}`);
  };
  await post('/moto-api/recorder/reset-recording');
  await post('/moto-api/recorder/start-recording');

  const calls = async (): Promise<RecordedCall[]> => {
    try {
      return parseRecording(await readFile(recording, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  };

  let stopped = false;
  return {
    endpoint,
    port,
    calls,
    async count(action) {
      return (await calls()).filter((c) => c.action === action).length;
    },
    async reset() {
      await post('/moto-api/reset');
      await post('/moto-api/recorder/reset-recording');
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', killOnExit);
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 3_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
