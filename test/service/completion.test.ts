// `escd completion`: the scripts are valid shell and complete what `escd --help` lists.
import { spawnSync } from 'node:child_process';
import { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerCommands } from '../../src/cli/commands/index.js';
import { commandTree } from '../../src/service/completion.js';
import { assertBuilt, runCli } from '../support/cli.js';

beforeAll(() => assertBuilt());

function program(): Command {
  const p = new Command('escd').version('0.0.0', '-V, --version');
  registerCommands(p);
  return p;
}

/** Runs the bash completion function as bash would on `escd <words…><TAB>`. */
function complete(script: string, words: string[]): string[] {
  const line = ['escd', ...words];
  const driver = `${script}
COMP_WORDS=(${line.map((w) => `'${w}'`).join(' ')})
COMP_CWORD=${line.length - 1}
_escd
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const result = spawnSync('bash', ['--norc', '-c', driver], { encoding: 'utf8' });
  expect(result.stderr).toBe('');
  return result.stdout.split('\n').filter(Boolean).sort();
}

describe('escd completion bash', () => {
  it('is valid bash and completes commands, subcommands, options and choices', async () => {
    const result = await runCli(['completion', 'bash']);
    expect(result.code).toBe(0);
    const script = result.stdout;
    expect(spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' }).status).toBe(0);

    const topLevel = program().commands.map((c) => c.name()).sort();
    expect(topLevel).toEqual(expect.arrayContaining(['completion', 'doctor', 'quickstart', 'service']));
    const commandsOnly = (words: string[]) => words.filter((w) => !w.startsWith('-'));
    expect(commandsOnly(complete(script, ['']))).toEqual(topLevel.filter((c) => c !== 'help'));
    expect(complete(script, [''])).toEqual(expect.arrayContaining(['--help', '--version']));
    expect(commandsOnly(complete(script, ['service', '']))).toEqual(['install', 'status', 'uninstall']);
    expect(complete(script, ['service', 'install', '--'])).toEqual(['--help', '--json', '--print']);
    expect(complete(script, ['completion', 'z'])).toEqual(['zsh']);
    // Option values and options do not move the completion off the command they belong to.
    expect(commandsOnly(complete(script, ['oidc', 'publish', '--out', 'site', '']))).toEqual([]);
    expect(complete(script, ['oidc', 'publish', '--out', 'site', '--j'])).toEqual(['--json']);
    expect(complete(script, ['d'])).toEqual(['daemon', 'doctor']);
    expect(complete(script, ['--v'])).toEqual(['--version']);
  });
});

describe('escd completion zsh and fish', () => {
  it('print scripts naming every command with its description', async () => {
    const tree = commandTree(program());
    const root = tree.find((n) => n.path === '')!;
    for (const shell of ['zsh', 'fish']) {
      const result = await runCli(['completion', shell]);
      expect(result.code).toBe(0);
      for (const sub of root.subcommands) expect(result.stdout).toContain(sub.word);
      expect(result.stdout).toContain('Print a shell completion script');
      for (const tool of [shell]) {
        if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) continue;
        expect(spawnSync(tool, ['-n'], { input: result.stdout, encoding: 'utf8' }).status).toBe(0);
      }
    }
  });

  it('rejects an unknown shell with a one-line error', async () => {
    const result = await runCli(['completion', 'tcsh']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/'tcsh' is invalid for argument 'shell'. Allowed choices are bash, zsh, fish/);
  });
});
