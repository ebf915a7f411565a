import { describe, expect, it } from 'vitest';
import { projectedSecrets, projectEnvironment } from '../../src/esc/project.js';
import { run } from './support.js';

describe('projectEnvironment', () => {
  it('projects scalars as text with their secret flag and skips lists and objects', async () => {
    const r = await run(
      [
        'values:',
        '  pw: {fn::secret: hunter2}',
        '  environmentVariables:',
        '    A: plain',
        '    N: 1.50',
        '    B: true',
        '    Z: null',
        '    S: ${pw}',
        '    T: "x-${pw}"',
        '    L: [1]',
        '    O: {k: v}',
        '    U: ${nothing.here}',
        '  files:',
        '    CERT: "-----BEGIN-----"',
      ].join('\n'),
    );
    const p = projectEnvironment(r.result.values);
    expect(p.environmentVariables).toEqual({
      A: { value: 'plain', secret: false },
      N: { value: '1.5', secret: false },
      B: { value: 'true', secret: false },
      Z: { value: '', secret: false },
      S: { value: 'hunter2', secret: true },
      T: { value: 'x-hunter2', secret: true },
      U: { value: '[unknown]', secret: false },
    });
    expect(p.files).toEqual({ CERT: { value: '-----BEGIN-----', secret: false } });
    expect(projectedSecrets(p)).toEqual(['hunter2', 'x-hunter2']);
  });

  it('returns empty sections when there are no values', () => {
    expect(projectEnvironment(undefined)).toEqual({ environmentVariables: {}, files: {} });
  });

  it('treats __proto__ as an ordinary variable name', async () => {
    const r = await run('values:\n  environmentVariables:\n    __proto__: x\n');
    const p = projectEnvironment(r.result.values);
    expect(Object.keys(p.environmentVariables)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(p.environmentVariables)).toBe(Object.prototype);
  });
});
