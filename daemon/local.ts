// `--no-daemon` / ESCD_NO_DAEMON=1: the daemon's own request path (backend, cache, audit log, handlers)
// run once inside the calling process, for places where no daemon may run (a one-shot CI container).
// Same evaluation, same answers, same audit lines; nothing is cached beyond this one request.
import { AuditLog } from '../src/audit/audit-log.js';
import { EnvironmentCache } from '../src/cache/environment-cache.js';
import { systemClock } from '../src/clock/clock.js';
import { resolvePaths } from '../src/config/paths.js';
import { PROTOCOL_VERSION, type Method, type MethodParams, type Response } from '../src/protocol/wire.js';
import type { RuntimeOptions } from '../src/runtime/runtime.js';
import { createBackend } from './backend.js';
import { createDispatch } from './handlers.js';

const EVALUATION_TIMEOUT_MS = 60_000;

/** Answers one request in this process, as the daemon would over its socket. */
export async function dispatchLocally<M extends Method>(method: M, params: MethodParams[M], runtime: RuntimeOptions = {}): Promise<Response> {
  const env = (runtime.env ?? process.env) as NodeJS.ProcessEnv;
  const paths = resolvePaths(env);
  const clock = runtime.clock ?? systemClock;
  const backend = await createBackend({
    env,
    clock,
    ...(runtime.providers ? { providers: runtime.providers } : {}),
    runtime: { ...(runtime.cipher ? { cipher: runtime.cipher } : {}), ...(runtime.executionContext ? { executionContext: runtime.executionContext } : {}) },
  });
  const warn = (message: string): void => void process.stderr.write(`escd: ${message}\n`);
  const audit = new AuditLog(paths.auditLog, { now: () => clock.now(), warn });
  // No watcher and no scheduler work beyond this request: the process ends right after.
  const cache = new EnvironmentCache({ source: backend.source, clock, audit, watch: false, coldWaitMs: EVALUATION_TIMEOUT_MS, evaluationTimeoutMs: EVALUATION_TIMEOUT_MS });
  const startedAt = clock.now();
  const dispatch = createDispatch({
    cache,
    kube: backend.kube,
    clock,
    audit,
    info: () => ({ pid: process.pid, version: 'in-process', startedAt, socket: '(none: --no-daemon)', socketActivated: false }),
    defaultRegion: () => backend.describe().defaultRegion,
    connections: () => 0,
    requestShutdown: () => {},
    log: warn,
    ...(backend.check ? { check: (p: MethodParams['env.check']) => backend.check!(p) } : {}),
    trace: (env: string, signal: AbortSignal) => backend.source.evaluate(env, signal, { traces: true }),
    ...(backend.cloud ? { cloud: (p: MethodParams['cloud.env']) => backend.cloud!(p) } : {}),
    ...(backend.token ? { token: (p: MethodParams['oidc.token']) => backend.token!(p) } : {}),
    ...(backend.rotate ? { rotate: (p: MethodParams['env.rotate']) => backend.rotate!(p) } : {}),
  });
  try {
    const reply = await dispatch({ v: PROTOCOL_VERSION, id: 1, method, params });
    return reply.ok ? { v: PROTOCOL_VERSION, id: 1, ok: true, result: JSON.parse(reply.result) as unknown } : { v: PROTOCOL_VERSION, id: 1, ok: false, error: reply.error };
  } finally {
    cache.close();
    await audit.close();
    await backend.close?.().catch(() => {});
  }
}
