// Which invocations skip commander: only the plain forms of run, open and status; everything else is
// the full program's (help, unknown flags, missing arguments), so its messages stay the only ones.
import { describe, expect, it } from 'vitest';
import { FAST_COMMANDS, fastCommand } from '../../src/cli/fast-path.js';

describe('fastCommand', () => {
  it('takes the plain forms', () => {
    for (const argv of [
      ['status'],
      ['status', '--json'],
      ['run', 'p/dev', '--', 'true'],
      ['run', 'p/dev', '-i', '--', 'psql', '--help'],
      ['open', 'p/dev'],
      ['open', 'p/dev', 'aws.region', '--format', 'string'],
      ['open', 'p/dev', '--format=yaml', '--show-secrets', '--no-daemon'],
    ]) {
      expect(fastCommand(argv, FAST_COMMANDS), argv.join(' ')).toBeTypeOf('function');
    }
  });

  it('leaves everything else to the program', () => {
    for (const argv of [
      [],
      ['--help'],
      ['status', '--help'],
      ['status', 'x'],
      ['run', '--help'],
      ['run', 'p/dev'],
      ['run', '--no-daemon', 'p/dev', '--', 'true'],
      ['open'],
      ['open', 'p/dev', '-h'],
      ['open', 'p/dev', '--bogus'],
      ['open', 'p/dev', '--format'],
      ['open', 'a', 'b', 'c'],
      ['env', 'ls'],
      ['constructor'],
    ]) {
      expect(fastCommand(argv, FAST_COMMANDS), argv.join(' ')).toBeUndefined();
    }
  });
});
