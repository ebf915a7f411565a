// Pulumi ESC's wire model (the `Value`, `Expr` and diagnostic shapes of @pulumi/esc-sdk) mapped onto
// escd's own (src/esc). Pure: the client (client.ts) fetches, this converts.
import type { Diagnostic } from '../esc/types.js';
import { EscNumber, escValue, type EscValue } from '../esc/value.js';
import { parseGoDuration } from '../providers/aws-login/duration.js';

/** An answer that does not have the documented shape; the message names the field. */
export class CloudShapeError extends Error {}

/** The parts of the SDK's `Value` we read: `{value, secret?, unknown?}`, nested at every level. */
export function fromApiValue(input: unknown, path = 'properties'): EscValue {
  if (typeof input !== 'object' || input === null || Array.isArray(input) || !('value' in input)) {
    throw new CloudShapeError(`${path} is not an ESC value (no 'value' field)`);
  }
  const node = input as { value: unknown; secret?: unknown; unknown?: unknown };
  const flags = { secret: node.secret === true, unknown: node.unknown === true };
  const { value } = node;
  if (value === null || value === undefined) return escValue(null, flags);
  if (typeof value === 'boolean' || typeof value === 'string') return escValue(value, flags);
  if (typeof value === 'number') return escValue(new EscNumber(String(value)), flags);
  if (Array.isArray(value)) return escValue(value.map((item, i) => fromApiValue(item, `${path}[${i}]`)), flags);
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, fromApiValue(v, `${path}.${k}`)] as const);
    return escValue(new Map(entries), flags);
  }
  throw new CloudShapeError(`${path}.value has an unsupported type (${typeof value})`);
}

/** The `properties` of an opened environment as one object value (what `values` is locally). */
export function propertiesToValues(properties: unknown): EscValue | undefined {
  if (properties === undefined || properties === null) return undefined;
  if (typeof properties !== 'object' || Array.isArray(properties)) throw new CloudShapeError('properties is not a mapping');
  const entries = Object.entries(properties as Record<string, unknown>).map(([k, v]) => [k, fromApiValue(v, `properties.${k}`)] as const);
  return escValue(new Map(entries));
}

interface ApiRange {
  readonly environment?: string;
  readonly begin?: { readonly line?: number; readonly column?: number };
}

/** The service's diagnostics (`{summary, path?, range?}`) as escd's, errors all (the service sends no severity). */
export function fromApiDiagnostics(input: unknown, fallbackFile: string): Diagnostic[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) throw new CloudShapeError('diagnostics is not a list');
  return input.map((d: unknown, i): Diagnostic => {
    if (typeof d !== 'object' || d === null || typeof (d as { summary?: unknown }).summary !== 'string') {
      throw new CloudShapeError(`diagnostics[${i}].summary is missing`);
    }
    const { summary, path, range } = d as { summary: string; path?: unknown; range?: ApiRange };
    return {
      stage: 'eval',
      severity: 'error',
      summary,
      file: range?.environment ?? fallbackFile,
      ...(typeof range?.begin?.line === 'number' ? { line: range.begin.line, column: range.begin.column ?? 1 } : {}),
      ...(typeof path === 'string' ? { path } : {}),
    };
  });
}

/** ESC documents aws-login's OIDC session as lasting `duration`, 1h unless set. */
const AWS_LOGIN_DEFAULT_MS = 3_600_000;

/**
 * The shortest session any `fn::open::aws-login` OIDC login in the opened environment asked for.
 * The service returns no expiry with aws-login's outputs, so the definition (the `exprs` the open
 * answer carries) is the only place that says how long its credentials live. Undefined: no OIDC login.
 */
export function shortestAwsLoginMs(exprs: unknown): number | undefined {
  let shortest: number | undefined;
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    if (Array.isArray(node)) return node.forEach(visit);
    const expr = node as { builtin?: { name?: unknown; arg?: unknown }; object?: unknown; list?: unknown; base?: unknown };
    if (expr.builtin?.name === 'fn::open::aws-login') {
      const oidc = field(expr.builtin.arg, 'oidc');
      if (oidc !== undefined) {
        const literal = field(oidc, 'duration') as { literal?: unknown } | undefined;
        const ms = typeof literal?.literal === 'string' ? parseGoDuration(literal.literal) : undefined;
        const session = ms ?? AWS_LOGIN_DEFAULT_MS;
        shortest = shortest === undefined ? session : Math.min(shortest, session);
      }
    }
    visit(expr.builtin?.arg);
    if (typeof expr.object === 'object' && expr.object !== null) Object.values(expr.object).forEach(visit);
    visit(expr.list);
    visit(expr.base);
  };
  if (typeof exprs === 'object' && exprs !== null) Object.values(exprs).forEach(visit);
  return shortest;
}

function field(expr: unknown, key: string): unknown {
  const object = (expr as { object?: Record<string, unknown> } | undefined)?.object;
  return typeof object === 'object' && object !== null ? object[key] : undefined;
}
