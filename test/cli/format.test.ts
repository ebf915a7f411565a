// Output formats of `escd open` (pure functions).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { renderEnviron, shellQuote } from '../../src/cli/format/environ.js';
import { formatDiagnostic } from '../../src/runtime/diagnostic-lines.js';
import { jsonText, renderText, selectValue, tracedEnvironment } from '../../src/cli/format/values.js';
import { EscNumber, escValue, fromJS, UNKNOWN, type Json } from '../../src/esc/value.js';

const env = escValue(
  new Map([
    ['big', escValue(new EscNumber('12345678901234567890'))],
    ['float', escValue(new EscNumber('1.50'))],
    ['inf', escValue(new EscNumber('+Inf'))],
    ['pw', fromJS('hunter2', { secret: true })],
    ['later', UNKNOWN],
    ['list', fromJS(['a', 1, null])],
  ]),
);

describe('renderText', () => {
  it('prints JSON with the digits of every number literal', () => {
    expect(renderText(env, 'json', { redact: true })).toBe(
      '{\n  "big": 12345678901234567890,\n  "float": 1.50,\n  "inf": "+Inf",\n  "later": "[unknown]",\n  "list": [\n    "a",\n    1,\n    null\n  ],\n  "pw": "[secret]"\n}\n',
    );
    expect(JSON.parse(renderText(env, 'json', { redact: false })).pw).toBe('hunter2');
  });

  it('prints detailed trees with flags, an unknown without a value and a value without a trace at zero', () => {
    const zero = { def: { begin: { line: 0, column: 0, byte: 0 }, end: { line: 0, column: 0, byte: 0 } } };
    expect(JSON.parse(renderText(env, 'detailed', { redact: true })).value.pw).toEqual({ value: '[secret]', secret: true, trace: zero });
    expect(JSON.parse(renderText(env, 'detailed', { redact: true })).value.later).toEqual({ unknown: true, trace: zero });
    expect(renderText(env, 'detailed', { redact: true })).toContain('"value": 12345678901234567890');
  });

  it('prints detailed traces as the reference encodes its values: value, flags, trace (def, then base); null has no value', () => {
    const range = (environment: string, line: number) => ({ environment, begin: { line, column: 3, byte: 10 }, end: { line, column: 7, byte: 14 } });
    const base = { ...escValue(null), trace: { def: range('a', 2) } };
    const top = { ...escValue('x'), trace: { def: range('<yaml>', 4), base } };
    expect(renderText(top, 'detailed', { redact: true })).toBe(
      [
        '{',
        '  "value": "x",',
        '  "trace": {',
        '    "def": {',
        '      "environment": "\\u003cyaml\\u003e",',
        '      "begin": {',
        '        "line": 4,',
        '        "column": 3,',
        '        "byte": 10',
        '      },',
        '      "end": {',
        '        "line": 4,',
        '        "column": 7,',
        '        "byte": 14',
        '      }',
        '    },',
        '    "base": {',
        '      "trace": {',
        '        "def": {',
        '          "environment": "a",',
        '          "begin": {',
        '            "line": 2,',
        '            "column": 3,',
        '            "byte": 10',
        '          },',
        '          "end": {',
        '            "line": 2,',
        '            "column": 7,',
        '            "byte": 14',
        '          }',
        '        }',
        '      }',
        '    }',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    // The whole environment is one value without a trace of its own, its root named as the command names it.
    const whole = { ...escValue(new Map([['k', top]])), trace: { def: range('<yaml>', 1) } };
    const shown = JSON.parse(renderText(tracedEnvironment(whole, 'test'), 'detailed', { redact: true }));
    expect(shown.trace.def).not.toHaveProperty('environment');
    expect(shown.value.k.trace.def.environment).toBe('test');
    expect(shown.value.k.trace.base.trace.def.environment).toBe('a');
  });

  it('prints strings as templates stringify them, redacted inside collections too', () => {
    const mixed = escValue(new Map([['a', fromJS('x')], ['b', fromJS('s3cr3t', { secret: true })]]));
    expect(renderText(mixed, 'string', { redact: true })).toBe('"a"="x","b"="[secret]"\n');
    expect(renderText(mixed, 'string', { redact: false })).toBe('"a"="x","b"="s3cr3t"\n');
    expect(renderText(fromJS('plain'), 'string', { redact: true })).toBe('plain\n');
    // A text that ends its last line gets no second line break.
    expect(renderText(fromJS('two\nlines\n'), 'string', { redact: true })).toBe('two\nlines\n');
  });

  it('prints an environment without values as {}', () => {
    expect(renderText(undefined, 'json', { redact: true })).toBe('{}\n');
  });
});

describe('jsonText', () => {
  // Go's json.MarshalIndent: JSON.stringify(v, null, 2) with <, >, &, U+2028 and U+2029 escaped.
  const goEscaped = (text: string): string => text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  it('equals JSON.stringify(v, null, 2), HTML-safe as Go writes it, for plain JSON', () => {
    expect(jsonText({ '<a>': 'x & y' })).toBe('{\n  "\\u003ca\\u003e": "x \\u0026 y"\n}');
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(jsonText(v as Json)).toBe(goEscaped(JSON.stringify(v, null, 2)));
      }),
      { numRuns: 300 },
    );
  });
});

describe('selectValue', () => {
  it('follows paths and says where they stop', () => {
    expect(selectValue(env, ['list', 0]).data).toBe('a');
    expect(() => selectValue(env, ['list', 'x'])).toThrow('no value at list.x: list is not an object');
    expect(() => selectValue(env, ['nope'])).toThrow('no value at nope: unknown property "nope"');
    expect(selectValue(env, ['later', 'deeper']).unknown).toBe(true);
  });
});

describe('renderEnviron', () => {
  const section = { A: { value: "it's $HOME\nnext", secret: false }, S: { value: 'pw', secret: true }, 'bad-name': { value: 'x', secret: false } };

  it('quotes as Go does, for POSIX shells single-quoting what would expand', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    const { text, skipped } = renderEnviron(section, 'shell', { redact: true });
    expect(text).toBe(`export A='it'\\''s $HOME\nnext'\nexport S="[secret]"\n`);
    expect(skipped).toEqual(['bad-name']);
  });

  it('writes dotenv lines with escapes, variables then files, each sorted', () => {
    expect(renderEnviron(section, 'dotenv', { redact: false }, { Z: '/tmp/z', F: '[unknown]' }).text).toBe(`A="it's $HOME\\nnext"\nS="pw"\nF="[unknown]"\nZ="/tmp/z"\n`);
  });
});

describe('formatDiagnostic', () => {
  it('writes file:line:column: severity: summary on one line', () => {
    const fileOf = (name: string | undefined) => `/envs/${name ?? 'root'}.yaml`;
    expect(formatDiagnostic({ stage: 'eval', severity: 'error', summary: 'unknown property "x"', file: 'app/dev', line: 3, column: 7 }, fileOf)).toBe(
      '/envs/app/dev.yaml:3:7: error: unknown property "x"',
    );
    expect(formatDiagnostic({ stage: 'load', severity: 'warning', summary: 'two\n  lines' }, fileOf)).toBe('/envs/root.yaml: warning: two lines');
  });
});
