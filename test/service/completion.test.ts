// `escd completion`: the scripts are valid shell and complete what `escd --help` lists.
import { spawnSync } from 'node:child_process';
import { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerCommands } from '../../src/cli/commands/index.js';
import { commandTree } from '../../src/cli/completion.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertBuilt, CLI, runCli } from '../support/cli.js';
import { e2eSkipReason } from '../support/moto.js';
import { makeTmpHome } from '../support/tmp-home.js';

beforeAll(() => assertBuilt());

async function program(): Promise<Command> {
  const p = new Command('escd').version('0.0.0', '-V, --version');
  await registerCommands(p);
  return p;
}

/** Runs the bash completion function as bash would on `escd <words…><TAB>` (`escd` is the built CLI). */
function complete(script: string, words: string[], env: Record<string, string> = {}): string[] {
  const line = ['escd', ...words];
  const driver = `escd() { "${process.execPath}" "${CLI}" "$@"; }
${script}
COMP_WORDS=(${line.map((w) => `'${w}'`).join(' ')})
COMP_CWORD=${line.length - 1}
_escd
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const result = spawnSync('bash', ['--norc', '-c', driver], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });
  expect(result.stderr).toBe('');
  return result.stdout.split('\n').filter(Boolean).sort();
}

describe('escd completion bash', () => {
  it('is valid bash and completes commands, subcommands, options and choices', async () => {
    const result = await runCli(['completion', 'bash']);
    expect(result.code).toBe(0);
    const script = result.stdout;
    expect(spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' }).status).toBe(0);

    const topLevel = (await program()).commands.map((c) => c.name()).sort();
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

describe('escd completion bash: arguments', () => {
  it('offers environment names for <env>, then only options; nothing after -- or for an option value', async () => {
    const home = await makeTmpHome('escd-compl-');
    try {
      await mkdir(join(home.env.ESCD_HOME!, 'environments', 'proj'), { recursive: true });
      await writeFile(join(home.env.ESCD_HOME!, 'environments', 'proj', 'dev.yaml'), 'values: {}\n');
      await writeFile(join(home.env.ESCD_HOME!, 'environments', 'proj', 'prod.yaml'), 'values: {}\n');
      const script = (await runCli(['completion', 'bash'])).stdout;
      const at = (words: string[]) => complete(script, words, home.env);
      expect(at(['run', 'proj/'])).toEqual(['proj/dev', 'proj/prod']);
      expect(at(['open', '--format', 'json', 'proj/d'])).toEqual(['proj/dev']);
      expect(at(['run', 'proj/dev', ''])).not.toContain('proj/prod');
      expect(at(['run', 'proj/dev', '--', ''])).toEqual([]);
      expect(at(['oidc', 'publish', '--out', ''])).toEqual([]);
      expect(at(['status', ''])).not.toContain('proj/dev');
    } finally {
      await home.cleanup();
    }
  });
});

/** Why `shell` cannot run these tests, or undefined; under ESCD_REQUIRE_E2E=1 a missing shell fails the file. */
const shellSkip = (shell: string): string | undefined =>
  e2eSkipReason(spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0 ? undefined : `${shell} is not installed (the ${shell} completion test needs it)`);
const fishSkip = shellSkip('fish');
const zshSkip = shellSkip('zsh');

describe('escd completion zsh and fish', () => {
  it('print scripts naming every command with its description', async () => {
    const tree = commandTree(await program());
    const root = tree.find((n) => n.path === '')!;
    for (const shell of ['zsh', 'fish']) {
      const result = await runCli(['completion', shell]);
      expect(result.code).toBe(0);
      for (const sub of root.subcommands) expect(result.stdout).toContain(sub.word);
      expect(result.stdout).toContain('Print a shell completion script');
    }
  });

  it.skipIf(fishSkip)('fish: completes through fish itself (complete -C)', async () => {
    const script = (await runCli(['completion', 'fish'])).stdout;
    const home = await makeTmpHome('escd-fish-');
    try {
      // fish -n checks a file (it does not read a script from a pipe).
      await writeFile(join(home.dir, 'escd.fish'), script);
      expect(spawnSync('fish', ['-n', join(home.dir, 'escd.fish')], { encoding: 'utf8' }).status).toBe(0);
      await mkdir(join(home.env.ESCD_HOME!, 'environments', 'proj'), { recursive: true });
      await writeFile(join(home.env.ESCD_HOME!, 'environments', 'proj', 'dev.yaml'), 'values: {}\n');
      const ask = (line: string): string[] => {
        const driver = `function escd; "${process.execPath}" "${CLI}" $argv; end\n${script}\ncomplete -C '${line}'`;
        const result = spawnSync('fish', ['--no-config', '-c', driver], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...home.env } });
        expect(result.stderr).toBe('');
        return result.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]!).sort();
      };
      expect(ask('escd service ')).toEqual(['install', 'status', 'uninstall']);
      expect(ask('escd run ')).toEqual(['proj/dev']);
      expect(ask('escd run proj/dev ')).not.toContain('proj/dev');
      expect(ask('escd completion ')).toEqual(['bash', 'fish', 'zsh']);
      expect(ask('escd service install --')).toEqual(['--help', '--json', '--print']);
    } finally {
      await home.cleanup();
    }
  });

  it.skipIf(zshSkip)('zsh: valid, and the function offers what the command path allows', async () => {
    const script = (await runCli(['completion', 'zsh'])).stdout;
    expect(spawnSync('zsh', ['-n'], { input: script, encoding: 'utf8' }).status).toBe(0);
    // Stand-ins for compsys: compdef registers, _describe prints the candidate names it is given.
    const ask = (words: string[]): string[] => {
      const driver = `compdef() { :; }
_describe() { print -l -- "\${(@P)4}" "\${(@P)6}"; }
_files() { :; }
_normal() { :; }
${script}
words=(escd ${words.map((w) => `'${w}'`).join(' ')})
CURRENT=${words.length + 1}
_escd`;
      const result = spawnSync('zsh', ['-f', '-c', driver], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
      expect(result.stderr).toBe('');
      return result.stdout.split('\n').filter(Boolean).map((l) => l.replace(/(?<!\\):.*$/, '')).sort();
    };
    expect(ask(['service', '']).filter((w) => !w.startsWith('-'))).toEqual(['install', 'status', 'uninstall']);
    expect(ask(['completion', ''])).toEqual(expect.arrayContaining(['bash', 'fish', 'zsh']));
    expect(ask(['oidc', 'publish', '--out', ''])).toEqual([]);
    expect(ask(['run', 'x', '--', ''])).toEqual([]);
  });

  it('rejects an unknown shell with a one-line error', async () => {
    const result = await runCli(['completion', 'tcsh']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("escd: command-argument value 'tcsh' is invalid for argument 'shell': allowed choices are bash, zsh, fish (see escd completion --help)\n");
  });
});
