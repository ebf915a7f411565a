// Usage errors are one escd-style line with status 2; --help and --version still succeed; every
// command's help, the top level's included, ends with examples.
import type { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { usageLine } from '../../src/cli/usage.js';
import { assertBuilt, runCli } from '../support/cli.js';

beforeAll(() => assertBuilt());

describe('usageLine', () => {
  it("turns commander's message and hint lines into one line naming the command's help", () => {
    expect(usageLine("error: unknown option '--foo'", 'escd open')).toBe("unknown option '--foo' (see escd open --help)");
    expect(usageLine("error: unknown option '--fomat'\n(Did you mean --format?)", 'escd open')).toBe("unknown option '--fomat'; did you mean --format? (see escd open --help)");
    expect(usageLine("error: too many arguments for 'flush'. Expected 1 argument but got 2.", 'escd flush')).toBe(
      "too many arguments for 'flush': expected 1 argument but got 2 (see escd flush --help)",
    );
  });
});

describe('escd usage errors (built CLI)', () => {
  it.each([
    [['open', 'dev', '--foo'], "escd: unknown option '--foo' (see escd open --help)\n"],
    [['open'], "escd: missing required argument 'env' (see escd open --help)\n"],
    [['env', 'set', 'p/dev', '--nope'], "escd: unknown option '--nope' (see escd env set --help)\n"],
    [['setup', 'kube', 'p/dev'], "escd: required option '--cluster <name>' not specified (see escd setup kube --help)\n"],
    [['flush', 'a', 'b'], "escd: too many arguments for 'flush': expected 1 argument but got 2 (see escd flush --help)\n"],
    [['completion', 'tcsh'], "escd: command-argument value 'tcsh' is invalid for argument 'shell': allowed choices are bash, zsh, fish (see escd completion --help)\n"],
    [['open', 'dev', '--format'], "escd: option '-f, --format <format>' argument missing (see escd open --help)\n"],
    [['statsu'], "escd: unknown command 'statsu'; did you mean status? (see escd --help)\n"],
  ])('%j: one line, exit 2', async (args, line) => {
    const r = await runCli(args);
    expect(r.stderr).toBe(line);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(2);
  });

  it('a command group without its subcommand prints its help to stderr and exits 2', async () => {
    const r = await runCli(['env']);
    expect(r.stderr).toMatch(/^Usage: escd env /);
    expect(r.code).toBe(2);
  });

  it('--help and --version exit 0 on stdout', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stderr).toBe('');
    expect(help.stdout).toMatch(/^Usage: escd /);
    expect(help.stdout).toMatch(/\nExamples:\n {2}\$ escd quickstart/);
    const sub = await runCli(['open', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toMatch(/^Usage: escd open /);
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});

describe('escd --help', () => {
  /** The help text as `escd … --help` prints it, custom text included. */
  function helpOf(command: Command): string {
    let text = '';
    command.configureOutput({ writeOut: (s) => (text += s) });
    command.outputHelp();
    return text;
  }

  function* everyCommand(command: Command): Generator<Command> {
    yield command;
    for (const sub of command.commands) if (sub.name() !== 'help') yield* everyCommand(sub);
  }

  it('every command, the top level included, shows examples that use only escd commands it has', async () => {
    const program = await buildProgram();
    const names = new Set(program.commands.map((c) => c.name()));
    const commands = [...everyCommand(program)];
    expect(commands.length).toBeGreaterThan(30);
    for (const command of commands) {
      const help = helpOf(command);
      const examples = /\nExamples?:\n([\s\S]*)$/.exec(help);
      expect(examples, `${command.name()} --help has no examples`).not.toBeNull();
      for (const [, name] of examples![1]!.matchAll(/(?:^|[\s;&|(])escd (\w[\w-]*)/g)) expect(names, `${command.name()}: escd ${name}`).toContain(name);
    }
  });
});

describe('help examples', () => {
  it('use one style: every example line is `$ escd …` (issue 13 #8)', async () => {
    const { readFileSync, readdirSync } = await import('node:fs');
    const { join } = await import('node:path');
    const dir = join(__dirname, '..', '..', 'src', 'cli', 'commands');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(dir, file), 'utf8').replaceAll('\\n', '\n');
      expect(text.match(/^ {2}escd \S/gm), `${file}: examples without "$ "`).toBeNull();
    }
  });
});
