// Evaluation in a worker thread with a heap limit and a hard deadline, for the daemon: a hostile
// environment (references that copy the previous level ten times, a huge definition) can neither
// block the daemon's event loop — cached answers keep flowing — nor crash it and lose its cached
// sessions. The worker holds only the language (evaluation-worker.ts); the loader, cipher, providers
// and rotators are served here, in the caller's thread.
//
// Evaluations share one worker (most of their time is spent waiting on providers). A worker that does
// not take a new evaluation within startMs is busy computing (a hostile environment): it keeps what it
// has and new evaluations go to a fresh one, so one environment cannot hold up the others. When a worker
// dies (out of memory, or killed past an evaluation's deadline), the evaluation that was killed for
// time gets its diagnostic and every other one in flight runs again alone in a fresh worker, so a
// death is charged to the environment that caused it; a rotation is never run twice (its rotator may
// have acted), it reports the failure instead.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LIMITS } from '../esc/limits.js';
import type { Provider, ProviderContext } from '../esc/provider.js';
import type { Diagnostic, EvaluateOptions, EvaluateResult, RotateOptions, Rotator } from '../esc/types.js';
import { decodeValue, encodeValue } from '../esc/wire-value.js';
import type { EvaluationEngine } from './engine.js';
import {
  fromWireError,
  toWireError,
  type CallReply,
  type CallRequest,
  type EncodedResult,
  type FromWorker,
  type PluginShape,
  type PluginShapes,
  type RunRequest,
  type ToWorker,
} from './worker-protocol.js';

export interface IsolationOptions {
  /** The worker's V8 old-generation heap, in MiB (default 512). */
  readonly heapMb?: number;
  /** Time past an evaluation's own limit before its worker is killed (default 5 s). */
  readonly graceMs?: number;
  /**
   * An idle worker is stopped after this long (default 2 s), giving its memory back (~14 MB RSS):
   * evaluations come in bursts (a start, a refresh, a new environment), and a worker boots in
   * ~0.1–0.3 s (bundled, src/runtime/bundle.mjs).
   */
  readonly idleMs?: number;
  /**
   * A worker that has not taken a new evaluation after this long (default 1.5 s) is busy with a
   * long one (a hostile environment computing): it is left to finish what it has, and new
   * evaluations go to a fresh worker.
   */
  readonly startMs?: number;
  /**
   * Whether an `eval` with errors still returns its partial values (default true, as in this thread).
   * The daemon serves none then, and a hostile environment's are large: copying them costs its thread.
   */
  readonly valuesOnError?: boolean;
}

/**
 * The worker script: the bundle (src/runtime/bundle.mjs) next to this file, else tsc's output; from
 * the sources (tests), the built ones.
 */
function workerScript(): string {
  const here = fileURLToPath(import.meta.url);
  const dir = here.endsWith('.ts') ? join(dirname(here), '..', '..', 'dist', 'src', 'runtime') : dirname(here);
  const bundled = join(dir, 'evaluation-worker.cjs');
  return existsSync(bundled) ? bundled : join(dir, 'evaluation-worker.js');
}

type AnyOptions = (EvaluateOptions | RotateOptions) & Partial<Pick<EvaluateOptions, 'mode' | 'showSecrets'>>;

interface Job {
  readonly request: RunRequest;
  /** The shapes of request.plugins, sent with the request to a worker that has not seen them. */
  readonly shapes: () => PluginShapes;
  readonly options: AnyOptions;
  readonly resolve: (result: EncodedResult) => void;
  readonly reject: (err: unknown) => void;
  /** Ran again alone after its shared worker died. */
  readonly alone: boolean;
  deadline?: NodeJS.Timeout;
  /** Until the worker says it took the run. */
  starting?: NodeJS.Timeout;
}

const plain = (v: Parameters<typeof encodeValue>[0]) => encodeValue(v, { redact: false });
const shapeOf = (name: string, p: Provider | Rotator): PluginShape => ({
  name,
  inputSchema: p.inputSchema,
  outputSchema: p.outputSchema,
  ...('stateSchema' in p ? { stateSchema: p.stateSchema } : {}),
  validates: typeof p.validate === 'function',
});

/** One worker thread and the evaluations running in it. */
class EvaluationThread {
  readonly jobs = new Map<number, Job>();
  private readonly sentPlugins = new Set<number>();
  private readonly worker: Worker;
  private idle?: NodeJS.Timeout;
  dead = false;
  /** Set when this thread was killed because `job` ran past its deadline. */
  private killedFor?: number;

  constructor(
    private readonly settings: Required<IsolationOptions>,
    private readonly onDeath: (thread: EvaluationThread, jobs: Map<number, Job>, killedFor: number | undefined, reason: string) => void,
    private readonly onBusy: (thread: EvaluationThread) => void = () => {},
  ) {
    this.worker = new Worker(workerScript(), {
      // A small young generation, as the daemon's own (--max-semi-space-size=2, spawn-detached.ts): V8
      // would grow it to tens of MB in a burst of evaluations (RSS right after 100: 92.5 → 88.7 MB).
      resourceLimits: { maxOldGenerationSizeMb: settings.heapMb, maxYoungGenerationSizeMb: 6 },
      stdout: false,
      stderr: false,
    });
    this.worker.on('message', (message: FromWorker) => this.received(message));
    this.worker.once('online', () => (this.online = true));
    let error: Error | undefined;
    this.worker.on('error', (err) => (error = err));
    this.worker.on('exit', () => {
      this.dead = true;
      clearTimeout(this.idle);
      const reason =
        this.killedFor !== undefined
          ? 'time'
          : (error as NodeJS.ErrnoException | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? `the evaluation ran out of memory (limit ${settings.heapMb} MiB)`
            : `the evaluation stopped: ${error?.message.split('\n')[0] ?? 'the worker exited'}`;
      const jobs = new Map(this.jobs);
      this.jobs.clear();
      for (const job of jobs.values()) {
        clearTimeout(job.deadline);
        clearTimeout(job.starting);
      }
      this.onDeath(this, jobs, this.killedFor, reason);
    });
    this.worker.unref();
    this.stopWhenIdle();
  }

  /** Stops the worker once it has had nothing to do for `idleMs`. */
  private stopWhenIdle(): void {
    clearTimeout(this.idle);
    this.idle = setTimeout(() => void this.stop(), this.settings.idleMs);
    this.idle.unref();
  }

  start(id: number, job: Job): void {
    // Moved here from a busy worker after the caller gave up: its abort event has passed already.
    if (job.options.signal?.aborted) return job.reject(job.options.signal.reason);
    clearTimeout(this.idle);
    if (this.jobs.size === 0) this.worker.ref();
    this.jobs.set(id, job);
    const limit = job.request.limits?.evaluationMs ?? DEFAULT_LIMITS.evaluationMs;
    job.deadline = setTimeout(() => this.kill(id), Math.max(0, limit) + this.settings.graceMs);
    this.awaitStart(id, job);
    const { signal } = job.options;
    // The caller stops waiting at once (as it would in its own thread); the worker unwinds the run.
    signal?.addEventListener(
      'abort',
      () => {
        this.post({ type: 'abort', id });
        this.finish(id)?.reject(signal.reason);
      },
      { once: true },
    );
    const { plugins } = job.request;
    const first = !this.sentPlugins.has(plugins);
    this.sentPlugins.add(plugins);
    this.post(first ? { ...job.request, shapes: job.shapes() } : job.request);
  }

  /** Notices a worker that does not take the run (busy computing); its boot does not count. */
  private awaitStart(id: number, job: Job): void {
    job.starting = setTimeout(() => {
      if (this.dead || this.jobs.get(id) !== job) return;
      if (this.online) this.onBusy(this);
      else this.awaitStart(id, job);
    }, this.settings.startMs);
  }

  private online = false;

  /** True once stopping: new evaluations go to a fresh worker. */
  retiring = false;

  stop(): Promise<number> {
    this.retiring = true;
    return this.worker.terminate();
  }

  private kill(id: number): void {
    if (this.dead || !this.jobs.has(id)) return;
    this.killedFor ??= id;
    void this.stop();
  }

  private post(message: ToWorker): void {
    if (!this.dead) this.worker.postMessage(message);
  }

  private finish(id: number): Job | undefined {
    const job = this.jobs.get(id);
    if (!job) return undefined;
    clearTimeout(job.deadline);
    clearTimeout(job.starting);
    this.jobs.delete(id);
    if (this.jobs.size === 0) {
      this.worker.unref();
      if (this.retiring) void this.stop();
      else this.stopWhenIdle();
    }
    return job;
  }

  /**
   * Gives up the runs this (busy) worker has not taken yet, to be run elsewhere; it is told to drop
   * them, and their calls are no longer served here, so none runs twice.
   */
  takeUnstarted(): [number, Job][] {
    this.retiring = true;
    const unstarted = [...this.jobs].filter(([, job]) => job.starting !== undefined);
    for (const [id, job] of unstarted) {
      clearTimeout(job.deadline);
      clearTimeout(job.starting);
      this.jobs.delete(id);
      this.post({ type: 'abort', id });
    }
    if (this.jobs.size === 0) void this.stop();
    return unstarted.map(([id, { deadline: _deadline, starting: _starting, ...job }]) => [id, job]);
  }

  private received(message: FromWorker): void {
    if (message.type === 'call') {
      const job = this.jobs.get(message.id);
      if (!job) return;
      serve(job.options, message).then(
        (reply) => this.post(reply),
        (err: unknown) => this.post({ type: 'reply', call: message.call, ok: false, error: toWireError(err) }),
      );
      return;
    }
    if (message.type === 'started') {
      const job = this.jobs.get(message.id);
      if (job) {
        clearTimeout(job.starting);
        job.starting = undefined;
      }
      return;
    }
    const job = this.finish(message.id);
    if (!job) return;
    if (message.type === 'done') job.resolve(message.result);
    else job.reject(message.error.aborted ? (job.options.signal?.reason ?? fromWireError(message.error)) : fromWireError(message.error));
  }
}

/** Runs one call of the worker's evaluation with the caller's own loader, cipher, providers and rotators. */
async function serve(options: AnyOptions, c: CallRequest): Promise<CallReply> {
  const ok = (value: CallReply['value'], expiries?: Date[]): CallReply => ({ type: 'reply', call: c.call, ok: true, value, ...(expiries?.length ? { expiries } : {}) });
  switch (c.op) {
    case 'load':
      return ok((await options.loader(c.name)).source);
    case 'decrypt':
      return ok(await options.cipher.decrypt(c.bytes));
    case 'encrypt':
      return ok(await options.cipher.encrypt(c.bytes));
    case 'validate': {
      const registry = c.kind === 'provider' ? options.providers : options.rotators;
      return ok((await registry?.get(c.name)?.validate?.(decodeValue(c.inputs))) ?? []);
    }
    default: {
      const expiries: Date[] = [];
      const context: ProviderContext = {
        ...c.env,
        execution: options.context,
        ...(options.signal ? { signal: options.signal } : {}),
        noteExpiry: (at) => expiries.push(at),
      };
      const inputs = decodeValue(c.inputs);
      if (c.op === 'open') {
        const provider = options.providers.get(c.name);
        if (!provider) throw new Error(`unknown provider ${c.name}`);
        return ok(plain(await provider.open(inputs, context)), expiries);
      }
      const rotator = options.rotators?.get(c.name);
      if (!rotator) throw new Error(`unknown rotator ${c.name}`);
      const state = c.state === null ? null : decodeValue(c.state);
      const out = c.op === 'rotator.open' ? await rotator.open(inputs, state, context) : await rotator.rotate(inputs, state, context);
      return ok(plain(out), expiries);
    }
  }
}

/** How long an idle evaluation worker lives by default (IsolationOptions.idleMs). */
export const WORKER_IDLE_MS = 2_000;

/** The engine the daemon evaluates with. */
export function isolatedEngine(options: IsolationOptions = {}): EvaluationEngine {
  const settings: Required<IsolationOptions> = {
    heapMb: options.heapMb ?? 512,
    graceMs: options.graceMs ?? 5_000,
    idleMs: options.idleMs ?? WORKER_IDLE_MS,
    valuesOnError: options.valuesOnError ?? true,
    startMs: options.startMs ?? 1_500,
  };
  // A number per (providers, rotators) pair of registries: their schemas cross once per worker, not per run.
  const pluginRefs = new WeakMap<object, WeakMap<object, number>>();
  const noRotators = {};
  let nextPlugins = 0;
  const pluginsOf = (options: AnyOptions): number => {
    let inner = pluginRefs.get(options.providers);
    if (!inner) pluginRefs.set(options.providers, (inner = new WeakMap()));
    const key = options.rotators ?? noRotators;
    let ref = inner.get(key);
    if (ref === undefined) inner.set(key, (ref = ++nextPlugins));
    return ref;
  };
  let shared: EvaluationThread | undefined;
  const alone = new Set<EvaluationThread>();
  let nextId = 0;
  let closed = false;

  const failure = (job: Job, summary: string): EncodedResult => {
    const stage = job.request.stage;
    const d: Diagnostic = { stage, severity: 'error', summary, file: job.request.rootName };
    return { diagnostics: [d], environments: [job.request.rootName] };
  };

  const onDeath = (thread: EvaluationThread, jobs: Map<number, Job>, killedFor: number | undefined, reason: string): void => {
    if (thread === shared) shared = undefined;
    alone.delete(thread);
    for (const [id, job] of jobs) {
      const limit = job.request.limits?.evaluationMs ?? DEFAULT_LIMITS.evaluationMs;
      if (id === killedFor) job.resolve(failure(job, `evaluation took longer than ${limit / 1000} s (evaluation limit); stopped`));
      else if (closed) job.resolve(failure(job, 'the evaluation was stopped: the daemon is shutting down'));
      else if (job.alone || job.request.stage === 'rotate' || (jobs.size === 1 && killedFor === undefined)) job.resolve(failure(job, reason));
      else runAlone(id, { ...job, alone: true });
    }
  };

  /** A shared worker busy with a long evaluation: new evaluations, and those it has not taken, go to a fresh one. */
  const onBusy = (thread: EvaluationThread): void => {
    if (thread !== shared || closed) return;
    shared = new EvaluationThread(settings, onDeath, onBusy);
    for (const [id, job] of thread.takeUnstarted()) shared.start(id, job);
  };

  const runAlone = (id: number, job: Job): void => {
    const thread = new EvaluationThread({ ...settings, idleMs: 0 }, onDeath);
    alone.add(thread);
    thread.start(id, job);
  };

  const submit = (request: Omit<RunRequest, 'type' | 'id' | 'plugins' | 'valuesOnError'>, options: AnyOptions): Promise<EncodedResult> => {
    if (closed) return Promise.reject(new Error('the evaluation engine is closed'));
    options.signal?.throwIfAborted();
    const id = ++nextId;
    const full: RunRequest = { type: 'run', id, ...request, plugins: pluginsOf(options), valuesOnError: settings.valuesOnError };
    const shapes = (): PluginShapes => ({
      providers: [...options.providers].map(([name, p]) => shapeOf(name, p)),
      rotators: [...(options.rotators ?? [])].map(([name, r]) => shapeOf(name, r)),
    });
    return new Promise<EncodedResult>((resolve, reject) => {
      if (!shared || shared.dead || shared.retiring) shared = new EvaluationThread(settings, onDeath, onBusy);
      shared.start(id, { request: full, shapes, options, resolve, reject, alone: false });
    });
  };

  const common = (options: AnyOptions) => ({ context: options.context, ...(options.limits ? { limits: options.limits } : {}) });

  return {
    async evaluate(rootName, source, options) {
      const result = await submit(
        {
          stage: options.mode,
          rootName,
          source,
          ...common(options),
          ...(options.showSecrets !== undefined ? { showSecrets: options.showSecrets } : {}),
          ...(options.traces ? { traces: true } : {}),
        },
        options,
      );
      return decodeResult(result);
    },
    async rotate(rootName, source, options) {
      const result = await submit({ stage: 'rotate', rootName, source, ...common(options), ...(options.paths ? { paths: options.paths } : {}) }, options);
      const decoded = decodeResult(result);
      return { ...decoded, patches: (result.patches ?? []).map((p) => ({ docPath: p.docPath, replacement: decodeValue(p.replacement) })) };
    },
    warm() {
      if (!closed && (!shared || shared.dead || shared.retiring)) shared = new EvaluationThread(settings, onDeath, onBusy);
    },
    async close() {
      closed = true;
      await Promise.all([shared, ...alone].map((t) => t?.stop()));
    },
  };
}

function decodeResult(result: EncodedResult): EvaluateResult {
  return {
    ...(result.values ? { values: decodeValue(result.values) } : {}),
    diagnostics: result.diagnostics,
    ...(result.expiresAt ? { expiresAt: result.expiresAt } : {}),
    environments: result.environments,
  };
}
