// `escd completion bash|zsh|fish`: prints a completion script built from the registered commands.
import { Argument, type Command } from 'commander';

export function register(program: Command): void {
  program
    .command('completion')
    .description('Print a shell completion script (bash, zsh or fish)')
    .addArgument(new Argument('<shell>', 'the shell to complete for').choices(['bash', 'zsh', 'fish']))
    .addHelpText(
      'after',
      `
Examples:
  $ source <(escd completion bash)                                # this shell only
  $ escd completion bash > ~/.local/share/bash-completion/completions/escd
  $ escd completion zsh > "\${fpath[1]}/_escd"                      # then restart zsh
  $ escd completion fish > ~/.config/fish/completions/escd.fish`,
    )
    .action(async (shell: 'bash' | 'zsh' | 'fish', _opts: unknown, command: Command) => {
      const { completionScript } = await import('../completion.js');
      // The root program, with every command registered: the script lists exactly what --help lists.
      let root = command;
      while (root.parent) root = root.parent;
      process.stdout.write(completionScript(shell, root));
    });
}
