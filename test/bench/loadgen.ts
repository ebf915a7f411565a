// The load generator of measurement 2, run as its own process (node dist/test/bench/loadgen.js '<json>')
// so that its work does not share an event loop with the server it measures. `concurrency` workers
// each keep one request in flight on a Unix socket: a new connection per request (as every shim call
// does) or one persistent connection each; or, paced, start one every intervalMs. A warm-up, then a
// timed window; prints one JSON LoadResult.
// Callbacks rather than a promise per request: the generator shares the cores with the server, so it
// should cost as little as possible (and costs the same against escd and against the baseline).
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarize, type Summary } from './stats.js';

export interface LoadSpec {
  readonly socket: string;
  readonly mode: 'connect' | 'persistent';
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** One request line, newline included. */
  readonly line: string;
  /**
   * Paced (open loop): each worker starts a request every `intervalMs` instead of right after the
   * previous answer. Latency then counts from when the request was due, so a server that falls
   * behind is charged for the wait (no coordinated omission).
   */
  readonly intervalMs?: number;
}

export interface LoadResult {
  /** Answered requests started inside the timed window. */
  readonly requests: number;
  readonly errors: number;
  /** The first error seen, for the report. */
  readonly firstError?: string;
  readonly throughput: number;
  /** Latency in ms over the timed window; undefined when nothing was answered. */
  readonly latency?: Summary;
}

const now = (): number => Number(process.hrtime.bigint()) / 1e6;

type Pacer = (go: (t0: number) => void) => void;

export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const windowStart = now() + spec.warmupMs;
  const end = windowStart + spec.durationMs;
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const fail = (err: Error): void => {
    errors++;
    firstError ??= err.message;
  };
  const record = (t0: number, answer: string): void => {
    if (!answer.includes('"ok":true')) fail(new Error(`error answer: ${answer.slice(0, 200)}`));
    else if (t0 >= windowStart) latencies.push(now() - t0);
  };

  /** Calls `go` with the request's start time: now (closed loop), or at its due time (paced, random phase). */
  const pacer = (): Pacer => {
    const interval = spec.intervalMs;
    if (!interval) return (go) => go(now());
    let due = now() + Math.random() * interval;
    // Late: counted from when it was due. A timer firing a little early: from when it is sent.
    const start = (at: number): number => Math.min(at, now());
    return (go) => {
      const at = due;
      due += interval;
      const wait = at - now();
      if (wait > 0.5) setTimeout(() => go(start(at)), wait);
      else go(start(at));
    };
  };

  const persistentWorker = (done: () => void): void => {
    const pace = pacer();
    const socket = connect(spec.socket);
    socket.setEncoding('utf8');
    let buffer = '';
    let t0 = 0;
    const send = (): void => {
      if (now() >= end) {
        socket.destroy();
        return;
      }
      pace((at) => {
        t0 = at;
        socket.write(spec.line);
      });
    };
    socket.on('connect', send);
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        record(t0, buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
        send();
      }
    });
    socket.on('error', fail);
    socket.on('close', () => {
      // Cut off before the end (an error): carry on with a new connection.
      if (now() < end) setTimeout(() => persistentWorker(done), 1);
      else done();
    });
  };

  const connectWorker = (done: () => void): void => {
    const pace = pacer();
    const one = (t0: number): void => {
      const socket = connect(spec.socket);
      socket.setEncoding('utf8');
      let buffer = '';
      let outcome: 'pending' | 'answered' | 'failed' = 'pending';
      socket.on('connect', () => socket.write(spec.line));
      socket.on('data', (chunk: string) => {
        buffer += chunk;
        const nl = buffer.indexOf('\n');
        if (nl < 0 || outcome !== 'pending') return;
        outcome = 'answered';
        record(t0, buffer.slice(0, nl));
        socket.destroy();
      });
      socket.on('error', (err) => {
        if (outcome === 'pending') fail(err);
        outcome = 'failed';
      });
      socket.on('close', () => {
        if (outcome === 'pending') fail(new Error('connection closed before the answer'));
        if (now() >= end) return done();
        // After a failure (e.g. EAGAIN: the listen backlog is full) wait a little rather than spin.
        if (outcome === 'answered') setImmediate(() => pace(one));
        else setTimeout(() => pace(one), 1);
      });
    };
    if (now() >= end) done();
    else pace(one);
  };

  const worker = spec.mode === 'connect' ? connectWorker : persistentWorker;
  return new Promise((resolveAll) => {
    let running = spec.concurrency;
    const done = (): void => {
      if (--running > 0) return;
      const seconds = spec.durationMs / 1000;
      resolveAll({
        requests: latencies.length,
        errors,
        ...(firstError !== undefined ? { firstError } : {}),
        throughput: latencies.length / seconds,
        ...(latencies.length > 0 ? { latency: summarize(latencies) } : {}),
      });
    };
    for (let i = 0; i < spec.concurrency; i++) worker(done);
  });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
  runLoad(spec).then(
    (result) => process.stdout.write(JSON.stringify(result) + '\n'),
    (err: unknown) => {
      process.stderr.write(`loadgen: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
