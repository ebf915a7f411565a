// The evaluation worker thread (started by isolated-engine.ts). It holds only the language: each run
// parses and evaluates one environment; the loader, cipher, providers and rotators (their `validate`
// included) are calls back to the daemon's thread, which keeps keys, sessions and signing.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { evaluateEnvironment, rotateEnvironment } from '../esc/evaluate.js';
import type { Provider, ProviderContext, ProviderIssue } from '../esc/provider.js';
import type { EvaluateOptions, EvaluateResult, Rotator } from '../esc/types.js';
import type { EscValue } from '../esc/value.js';
import { decodeValue, encodeValue } from '../esc/wire-value.js';
import {
  fromWireError,
  toWireError,
  type CallOp,
  type CallReply,
  type EncodedResult,
  type FromWorker,
  type PluginShape,
  type PluginShapes,
  type RunRequest,
  type ToWorker,
} from './worker-protocol.js';

/**
 * Evaluating yields the CPU to the daemon's own thread: on a busy machine, answering from the cache
 * comes first (Linux gives each thread its own nice value; /proc/thread-self names this one).
 */
function yieldToTheDaemon(): void {
  try {
    setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), 19);
  } catch {
    // not Linux: the scheduler shares the cores evenly
  }
}
yieldToTheDaemon();

const port = parentPort!;
const send = (message: FromWorker): void => port.postMessage(message);

const plain = (v: EscValue) => encodeValue(v, { redact: false });

let calls = 0;
const waiting = new Map<number, { readonly id: number; readonly resolve: (reply: CallReply) => void }>();

async function call(id: number, op: CallOp): Promise<CallReply> {
  const n = ++calls;
  const reply = await new Promise<CallReply>((resolve) => {
    waiting.set(n, { id, resolve });
    send({ type: 'call', id, call: n, ...op });
  });
  if (!reply.ok) throw fromWireError(reply.error ?? { message: 'failed' });
  return reply;
}

const validate = async (id: number, kind: 'provider' | 'rotator', name: string, inputs: EscValue): Promise<readonly ProviderIssue[]> =>
  (await call(id, { op: 'validate', kind, name, inputs: plain(inputs) })).value as readonly ProviderIssue[];
const where = (context: ProviderContext) => ({ rootEnvironment: context.rootEnvironment, currentEnvironment: context.currentEnvironment });
const noteAll = (reply: CallReply, context: ProviderContext): void => reply.expiries?.forEach((at) => context.noteExpiry(at));
const stateNode = (state: EscValue | null) => (state === null ? null : plain(state));

function provider(id: number, shape: PluginShape): Provider {
  return {
    inputSchema: shape.inputSchema,
    outputSchema: shape.outputSchema,
    ...(shape.validates ? { validate: (inputs: EscValue) => validate(id, 'provider', shape.name, inputs) } : {}),
    async open(inputs, context) {
      const reply = await call(id, { op: 'open', name: shape.name, inputs: plain(inputs), env: where(context) });
      noteAll(reply, context);
      return decodeValue(reply.value);
    },
  };
}

function rotator(id: number, shape: PluginShape): Rotator {
  return {
    inputSchema: shape.inputSchema,
    outputSchema: shape.outputSchema,
    stateSchema: shape.stateSchema ?? true,
    ...(shape.validates ? { validate: (inputs: EscValue) => validate(id, 'rotator', shape.name, inputs) } : {}),
    async open(inputs, state, context) {
      const reply = await call(id, { op: 'rotator.open', name: shape.name, inputs: plain(inputs), state: stateNode(state), env: where(context) });
      noteAll(reply, context);
      return decodeValue(reply.value);
    },
    async rotate(inputs, state, context) {
      const reply = await call(id, { op: 'rotator.rotate', name: shape.name, inputs: plain(inputs), state: stateNode(state), env: where(context) });
      noteAll(reply, context);
      return decodeValue(reply.value);
    },
  };
}

const aborts = new Map<number, AbortController>();
const known = new Map<number, PluginShapes>();

async function run(request: RunRequest): Promise<EncodedResult> {
  const { id } = request;
  if (request.shapes) known.set(request.plugins, request.shapes);
  const shapes = known.get(request.plugins) ?? { providers: [], rotators: [] };
  const controller = new AbortController();
  aborts.set(id, controller);
  const options: Omit<EvaluateOptions, 'mode'> = {
    loader: async (name) => ({ name, source: (await call(id, { op: 'load', name })).value as string }),
    cipher: {
      encrypt: async (bytes) => (await call(id, { op: 'encrypt', bytes })).value as Uint8Array,
      decrypt: async (bytes) => (await call(id, { op: 'decrypt', bytes })).value as Uint8Array,
    },
    providers: new Map(shapes.providers.map((shape) => [shape.name, provider(id, shape)])),
    rotators: new Map(shapes.rotators.map((shape) => [shape.name, rotator(id, shape)])),
    context: request.context,
    signal: controller.signal,
    ...(request.limits ? { limits: request.limits } : {}),
  };
  try {
    if (request.stage === 'rotate') {
      const result = await rotateEnvironment(request.rootName, request.source, { ...options, ...(request.paths ? { paths: request.paths } : {}) });
      return { ...encodeResult(result), patches: result.patches.map((p) => ({ docPath: p.docPath, replacement: plain(p.replacement) })) };
    }
    const mode = request.stage;
    const result = await evaluateEnvironment(request.rootName, request.source, {
      ...options,
      mode,
      ...(request.showSecrets !== undefined ? { showSecrets: request.showSecrets } : {}),
      ...(request.traces ? { traces: true } : {}),
    });
    const failed = mode === 'eval' && !request.valuesOnError && result.diagnostics.some((d) => d.severity === 'error');
    return encodeResult(failed ? { diagnostics: result.diagnostics, environments: result.environments, ...(result.expiresAt ? { expiresAt: result.expiresAt } : {}) } : result);
  } finally {
    aborts.delete(id);
  }
}

function encodeResult(result: EvaluateResult): EncodedResult {
  return {
    // Traces are there only when the run asked for them.
    ...(result.values ? { values: encodeValue(result.values, { redact: false, traces: true }) } : {}),
    diagnostics: result.diagnostics,
    ...(result.expiresAt ? { expiresAt: result.expiresAt } : {}),
    environments: result.environments,
  };
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'run':
      send({ type: 'started', id: message.id });
      // A result that cannot be sent (too deep to copy) fails like any other error.
      run(message)
        .then((result) => send({ type: 'done', id: message.id, result }))
        .catch((err: unknown) => send({ type: 'failed', id: message.id, error: toWireError(err) }));
      break;
    case 'abort':
      // The daemon stopped waiting: unwind this run's calls too (a provider may never answer).
      aborts.get(message.id)?.abort();
      for (const [n, w] of waiting) {
        if (w.id !== message.id) continue;
        waiting.delete(n);
        w.resolve({ type: 'reply', call: n, ok: false, error: { message: 'aborted', aborted: true } });
      }
      break;
    case 'reply':
      waiting.get(message.call)?.resolve(message);
      waiting.delete(message.call);
      break;
  }
});
