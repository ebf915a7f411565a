// How the CLI turns a failure into one line on stderr and an exit status. Never a stack trace
// (set ESCD_DEBUG=1 to see one, with its causes, while developing).
import { EscdError, type ErrorCode } from '../core/errors.js';

/** Exit statuses that differ from 1 (usage as the shim's, see shim/args.ts; the others as shells and systemctl). */
const EXIT_STATUS: Partial<Record<ErrorCode, number>> = { usage: 2, not_running: 3, command_failed: 127, cancelled: 130 };

/** Thrown after the error line of a failed evaluation was printed: the command fails (status 1) without another message. */
export class EvaluationFailed extends Error {}

export function exitStatusOf(code: ErrorCode): number {
  return EXIT_STATUS[code] ?? 1;
}

function debugTrace(err: unknown): string {
  const lines: string[] = [];
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) lines.push((depth > 0 ? 'caused by: ' : '') + (e.stack ?? e.message));
  return lines.join('\n');
}

export function reportError(err: unknown): number {
  const message = err instanceof Error ? err.message : String(err);
  // A bad config.yaml names every problem (a line each, as `escd doctor` shows them); here they share one line.
  const line = err instanceof EscdError && err.code === 'bad_config' ? message.split('\n').join('; ') : message.split('\n')[0];
  process.stderr.write(`escd: ${line}\n`);
  if (process.env.ESCD_DEBUG && err instanceof Error) process.stderr.write(debugTrace(err) + '\n');
  return err instanceof EscdError ? exitStatusOf(err.code) : 1;
}
