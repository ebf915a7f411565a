// Test helpers: a daemon in this process on a real Unix socket (fake backend), and a raw line client.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock, type Clock } from '../../src/clock/clock.js';
import { FakeSource } from '../cache/fake-source.js';
import { runDaemon, type DaemonBackend } from '../../daemon/main.js';
import type { KubeTokenSources } from '../../daemon/kube-tokens.js';
import type { ServerLimits } from '../../daemon/server.js';
import { DEFAULT_LIMITS } from '../../daemon/server.js';
import { CredentialEndpoint } from '../../daemon/endpoint.js';
import { createDispatch } from '../../daemon/handlers.js';
import type { EnvironmentCache } from '../../src/cache/environment-cache.js';
import type { Request } from '../../src/protocol/wire.js';

export function fakeKube(clock: Clock): KubeTokenSources & { minted: string[] } {
  const minted: string[] = [];
  return {
    minted,
    eks: async ({ credentials, cluster, region }) => {
      const token = `k8s-aws-v1.fake-${cluster}-${region}-${credentials.accessKeyId}-${minted.length + 1}`;
      minted.push(token);
      return { token, expiresAt: clock.now() + 14 * 60_000 };
    },
    oidc: async ({ environment, audience }) => {
      const token = `jwt.${environment}.${audience}.${minted.length + 1}`;
      minted.push(token);
      return { token, expiresAt: clock.now() + 5 * 60_000 };
    },
  };
}

export function fakeBackend(source: FakeSource, clock: Clock): DaemonBackend & { kubeFake: ReturnType<typeof fakeKube>; reloads: number } {
  const kubeFake = fakeKube(clock);
  const backend = {
    source,
    kube: kubeFake,
    kubeFake,
    reloads: 0,
    describe: () => ({ keystore: { backend: 'file', location: '/fake/keystore.json' }, issuer: 'https://issuer.test', defaultRegion: 'us-east-1' }),
    reload: async () => {
      backend.reloads++;
      return true;
    },
  };
  return backend;
}

export interface TestDaemon {
  readonly dir: string;
  readonly socket: string;
  readonly auditFile: string;
  readonly source: FakeSource;
  readonly backend: ReturnType<typeof fakeBackend>;
  readonly logs: string[];
  /** Resolves with runDaemon's exit code. */
  readonly exited: Promise<number>;
  stop(): Promise<number>;
}

export async function startDaemon(options: { clock?: Clock; limits?: Partial<ServerLimits>; coldWaitMs?: number } = {}): Promise<TestDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'escd-d-'));
  const clock = options.clock ?? systemClock;
  const socket = join(dir, 'run', 'escd.sock');
  const auditFile = join(dir, 'state', 'audit.log');
  const source = new FakeSource(join(dir, 'environments'), clock);
  const backend = fakeBackend(source, clock);
  const logs: string[] = [];
  let ready!: () => void;
  const listening = new Promise<void>((resolve) => (ready = resolve));
  const exited = runDaemon({
    socketPath: socket,
    auditFile,
    backend,
    clock,
    version: '0.0.0-test',
    env: {},
    signals: false,
    log: (m) => logs.push(m),
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    cache: { watch: false, ...(options.coldWaitMs ? { coldWaitMs: options.coldWaitMs } : {}) },
    onListening: () => ready(),
  });
  await Promise.race([listening, exited.then((code) => Promise.reject(new Error(`daemon exited ${code}: ${logs.join('; ')}`)))]);
  return {
    dir,
    socket,
    auditFile,
    source,
    backend,
    logs,
    exited,
    stop: async () => {
      const { request } = await import('../../src/protocol/client.js');
      await request(socket, 'shutdown', {}).catch(() => {});
      const code = await exited;
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}

/** A client that speaks raw lines, for requests the real client would never send. */
export class LineClient {
  readonly socket: Socket;
  private buffer = '';
  private lines: string[] = [];
  private waiters: ((line: string | null) => void)[] = [];
  closed = false;

  constructor(path: string) {
    this.socket = connect(path);
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        const waiter = this.waiters.shift();
        if (waiter) waiter(line);
        else this.lines.push(line);
      }
    });
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      this.closed = true;
      for (const waiter of this.waiters.splice(0)) waiter(null);
    });
  }

  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.readyState === 'open') return resolve();
      this.socket.once('connect', () => resolve());
      this.socket.once('error', reject);
    });
  }

  send(text: string | Buffer): void {
    this.socket.write(text);
  }

  /** The next line as parsed JSON, or null when the daemon closed the connection. */
  next(): Promise<Record<string, unknown> | null> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(JSON.parse(line) as Record<string, unknown>);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => this.waiters.push((l) => resolve(l === null ? null : (JSON.parse(l) as Record<string, unknown>))));
  }

  async call(method: string, params: unknown = {}, id: string | number = 1): Promise<Record<string, unknown> | null> {
    this.send(JSON.stringify({ v: 1, id, method, params }) + '\n');
    return this.next();
  }

  close(): void {
    this.socket.destroy();
  }
}

export interface DispatchReply {
  readonly ok: boolean;
  readonly result?: Record<string, unknown>;
  readonly error?: { code: string; message: string };
}

/** One request through the daemon's real handlers over `cache` (no socket), answered as parsed JSON. */
export async function dispatchOnce(
  deps: { readonly cache: EnvironmentCache; readonly kube: KubeTokenSources; readonly clock: Clock; readonly cloud?: DaemonBackend['cloud'] },
  method: Request['method'],
  params: Record<string, unknown>,
): Promise<DispatchReply> {
  const { cache, kube, clock, cloud } = deps;
  const dispatch = createDispatch({
    cache,
    kube,
    endpoint: new CredentialEndpoint({ cache, clock, audit: { record: () => {} }, log: () => {} }),
    clock,
    audit: { record: () => {} },
    info: () => ({ pid: 1, version: 't', startedAt: 0, socket: 's', socketActivated: false }),
    defaultRegion: () => 'us-east-1',
    connections: () => 0,
    requestShutdown: () => {},
    log: () => {},
    ...(cloud ? { cloud } : {}),
  });
  const reply = await dispatch({ v: 2, id: 1, method, params } as Request);
  return reply.ok ? { ok: true, result: JSON.parse(reply.result) as Record<string, unknown> } : { ok: false, error: reply.error };
}
