// The program loads only the command file of the verb on the command line (commands/index.ts): each
// entry must name exactly the top-level commands its file registers, or a verb would go missing.
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMAND_FILES, registerCommands } from '../../src/cli/commands/index.js';

const namesOf = (program: Command): string[] => program.commands.flatMap((c) => [c.name(), ...c.aliases()]).sort();

describe('command files', () => {
  it('each entry lists exactly the verbs its file registers', async () => {
    for (const entry of COMMAND_FILES) {
      const program = new Command('escd');
      (await entry.load()).register(program);
      if (entry.verbs.length === 0) expect(namesOf(program)).toEqual(['completion']);
      else expect(namesOf(program)).toEqual([...entry.verbs].sort());
    }
  });

  it('a known verb registers its own file only; anything else registers every command', async () => {
    const only = new Command('escd');
    await registerCommands(only, ['status', '--json']);
    expect(namesOf(only)).toEqual(['daemon', 'flush', 'restart', 'start', 'status', 'stop']);

    const all = new Command('escd');
    await registerCommands(all, ['stauts']);
    const every = new Command('escd');
    await registerCommands(every);
    expect(namesOf(all)).toEqual(namesOf(every));
    expect(namesOf(every)).toEqual(expect.arrayContaining(['env', 'open', 'run', 'completion', 'login', 'logout']));
  });
});
