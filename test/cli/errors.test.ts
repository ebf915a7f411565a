// One error type for every layer: its code decides the CLI's exit status, its message is the one line
// on stderr, its cause survives for ESCD_DEBUG.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { exitStatusOf, reportError } from '../../src/cli/errors.js';
import { ERROR_CODES, EscdError, isErrorCode, isEscdError } from '../../src/core/errors.js';

describe('EscdError', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it('maps usage, not_running, command_failed and cancelled to 2, 3, 127 and 130, every other code to 1', () => {
    const special = { usage: 2, not_running: 3, command_failed: 127, cancelled: 130 } as Record<string, number>;
    for (const code of ERROR_CODES) expect(exitStatusOf(code)).toBe(special[code] ?? 1);
  });

  it('keeps its code and cause, and is recognised by code', () => {
    const cause = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    const err = new EscdError('io', 'cannot read /x: EACCES', { cause });
    expect(err.cause).toBe(cause);
    expect(isEscdError(err)).toBe(true);
    expect(isEscdError(err, 'io', 'not_found')).toBe(true);
    expect(isEscdError(err, 'not_found')).toBe(false);
    expect(isEscdError(cause)).toBe(false);
    expect(isErrorCode('io')).toBe(true);
    expect(isErrorCode('EACCES')).toBe(false);
  });

  it('is reported as one line with its exit status; ESCD_DEBUG adds the stack and the causes', () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true));
    vi.stubEnv('ESCD_DEBUG', '');
    expect(reportError(new EscdError('not_running', 'no escd daemon is running\nsecond line'))).toBe(3);
    expect(reportError(new Error('plain'))).toBe(1);
    expect(written).toEqual(['escd: no escd daemon is running\n', 'escd: plain\n']);
    written.length = 0;
    vi.stubEnv('ESCD_DEBUG', '1');
    reportError(new EscdError('io', 'outer', { cause: new Error('inner') }));
    expect(written[0]).toBe('escd: outer\n');
    expect(written[1]).toMatch(/outer[\s\S]*caused by: Error: inner/);
  });
});
