// A scriptable EnvironmentSource for cache and daemon tests: every evaluation mints a numbered
// "session" (AWS_* environmentVariables, the secret marked secret) expiring `lifetimeMs` after it ends.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Clock } from '../../src/clock/clock.js';
import type { Diagnostic, EvaluateResult } from '../../src/esc/types.js';
import { escValue, fromJS, markSecretDeep, type EscValue } from '../../src/esc/value.js';
import { EscdError } from '../../src/core/errors.js';
import type { EnvironmentSource } from '../../src/cache/source.js';

export const SECRET_PREFIX = 'FAKE-SECRET-';

export interface Evaluation {
  readonly name: string;
  readonly startedAt: number;
}

export class FakeSource implements EnvironmentSource {
  /** Session length handed out. */
  lifetimeMs = 60 * 60_000;
  /** Simulated STS latency, on the injected clock (0 = resolves at once). */
  latencyMs = 0;
  /** When set, evaluations reject with this (an STS outage), or return it as a diagnostic. */
  failure: Error | Diagnostic | undefined;
  /** Never settle (an STS that hangs). */
  hang = false;
  /** name → the names it imports. */
  imports = new Map<string, string[]>();
  /** Environments without credentials. */
  static = new Set<string>();
  readonly evaluations: Evaluation[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private readonly inFlightByName = new Map<string, number>();
  /** The most evaluations of one environment ever running at once (single flight → 1). */
  maxInFlightPerName = 0;
  /** Per-environment session length, overriding `lifetimeMs`. */
  lifetimes = new Map<string, number>();
  private serial = 0;

  constructor(
    readonly environmentsDir: string,
    private readonly clock: Clock,
  ) {
    mkdirSync(environmentsDir, { recursive: true });
  }

  /** Creates (or rewrites) the file behind `name`, so the cache admits it and can watch it. */
  write(name: string, text = `# ${name}\n`): void {
    mkdirSync(dirname(this.filePath(name)), { recursive: true });
    writeFileSync(this.filePath(name), text);
  }

  filePath(name: string): string {
    return this.locate(name).file;
  }

  /** `default/x` is another spelling of `x`, as in the real store. */
  locate(name: string): { name: string; file: string } {
    if (name.includes('..') || name.startsWith('/')) throw new EscdError('bad_request', `invalid environment name '${name}'`);
    const canonical = name.replace(/^default\//, '');
    return { name: canonical, file: join(this.environmentsDir, `${canonical}.yaml`) };
  }

  /** Evaluations that were aborted by the cache. */
  aborted = 0;

  async evaluate(name: string, signal?: AbortSignal): Promise<EvaluateResult> {
    signal?.addEventListener('abort', () => this.aborted++);
    this.evaluations.push({ name, startedAt: this.clock.now() });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const mine = (this.inFlightByName.get(name) ?? 0) + 1;
    this.inFlightByName.set(name, mine);
    this.maxInFlightPerName = Math.max(this.maxInFlightPerName, mine);
    try {
      if (this.hang) await new Promise(() => {});
      if (this.latencyMs > 0) await new Promise<void>((resolve) => this.clock.setTimer(this.latencyMs, resolve));
      const failure = this.failure;
      if (failure instanceof Error) throw failure;
      const environments = [name, ...(this.imports.get(name) ?? [])];
      if (failure) return { diagnostics: [failure], environments };
      const n = ++this.serial;
      if (this.static.has(name)) {
        return { values: fromJS({ greeting: 'hello', n }), diagnostics: [], environments };
      }
      const expiresAt = new Date(this.clock.now() + (this.lifetimes.get(name) ?? this.lifetimeMs));
      const vars = new Map<string, EscValue>([
        ['AWS_ACCESS_KEY_ID', escValue(`ASIAFAKE${n}`)],
        ['AWS_SECRET_ACCESS_KEY', markSecretDeep(escValue(`${SECRET_PREFIX}${n}`))],
        ['AWS_SESSION_TOKEN', markSecretDeep(escValue(`${SECRET_PREFIX}token-${n}`))],
        ['AWS_REGION', escValue('eu-west-1')],
      ]);
      return { values: escValue(new Map([['environmentVariables', escValue(vars)]])), diagnostics: [], environments, expiresAt };
    } finally {
      this.inFlight--;
      this.inFlightByName.set(name, (this.inFlightByName.get(name) ?? 1) - 1);
    }
  }
}

/** Lets pending promise callbacks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
