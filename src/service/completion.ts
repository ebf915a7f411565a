// Shell completion scripts generated from the live commander tree, so they list exactly the commands
// and options `escd --help` shows. All three shells use the same idea: walk the words typed so far,
// keeping those that name a (sub)command, then offer that command's subcommands, options and choices.
import type { Command } from 'commander';

export type Shell = 'bash' | 'zsh' | 'fish';
export const SHELLS: readonly Shell[] = ['bash', 'zsh', 'fish'];

interface Word {
  readonly word: string;
  readonly description: string;
}

interface Node {
  /** Command path below `escd`, space separated; '' for escd itself. */
  readonly path: string;
  readonly subcommands: readonly Word[];
  readonly options: readonly Word[];
  /** Allowed values of the first argument, when it has a fixed set (e.g. bash|zsh|fish). */
  readonly choices: readonly string[];
}

const oneLine = (text: string): string => text.split('\n')[0]!.trim();

export function commandTree(program: Command): Node[] {
  const nodes: Node[] = [];
  const visit = (cmd: Command, path: string): void => {
    const help = cmd.createHelp();
    const subcommands = help.visibleCommands(cmd).filter((c) => c.name() !== 'help');
    const options: Word[] = [];
    for (const option of help.visibleOptions(cmd)) {
      for (const flag of [option.long, option.short]) if (flag) options.push({ word: flag, description: oneLine(option.description) });
    }
    nodes.push({
      path,
      subcommands: subcommands.map((c) => ({ word: c.name(), description: oneLine(c.description()) })),
      options,
      choices: cmd.registeredArguments[0]?.argChoices ?? [],
    });
    for (const sub of subcommands) visit(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  visit(program, '');
  return nodes;
}

const single = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

function bash(name: string, nodes: Node[]): string {
  const fn = `_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const known = nodes.filter((n) => n.path).map((n) => single(n.path)).join('|');
  const cases = nodes
    .map((n) => `    ${single(n.path)}) words=${single([...n.subcommands.map((s) => s.word), ...n.choices, ...n.options.map((o) => o.word)].join(' '))} ;;`)
    .join('\n');
  return `# ${name} bash completion. Load it with:  source <(${name} completion bash)
# or install it:  ${name} completion bash > ~/.local/share/bash-completion/completions/${name}
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" next i words=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    [[ "\${COMP_WORDS[i]}" == -* ]] && continue
    next="\${path:+$path }\${COMP_WORDS[i]}"
    case "$next" in
      ${known}) path="$next" ;;
    esac
  done
  case "$path" in
${cases}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F ${fn} ${name}
`;
}

function zsh(name: string, nodes: Node[]): string {
  const fn = `_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const known = nodes.filter((n) => n.path).map((n) => single(n.path)).join('|');
  const item = (w: Word): string => single(`${w.word.replace(/:/g, '\\:')}:${w.description}`);
  const cases = nodes
    .map((n) => {
      const items = [...n.subcommands.map(item), ...n.choices.map((c) => single(c)), ...n.options.map(item)];
      return `    (${single(n.path)}) items=(${items.join(' ')}) ;;`;
    })
    .join('\n');
  return `#compdef ${name}
# ${name} zsh completion. Load it with:  source <(${name} completion zsh)   (after compinit)
# or install it:  ${name} completion zsh > "\${fpath[1]}/_${name}"
${fn}() {
  local p="" next i
  local -a items
  for ((i = 2; i < CURRENT; i++)); do
    [[ "\${words[i]}" == -* ]] && continue
    next="\${p:+$p }\${words[i]}"
    case "$next" in
      (${known}) p="$next" ;;
    esac
  done
  case "$p" in
${cases}
  esac
  _describe -t commands '${name}' items
}
if [[ "\${funcstack[1]}" == "${fn}" ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${name}
fi
`;
}

function fish(name: string, nodes: Node[]): string {
  const fn = `__${name.replace(/[^A-Za-z0-9_]/g, '_')}_path`;
  const known = nodes.filter((n) => n.path).map((n) => single(n.path)).join(' ');
  const lines: string[] = [];
  for (const n of nodes) {
    const when = `-n ${single(`test "(${fn})" = ${single(n.path)}`)}`;
    for (const s of n.subcommands) lines.push(`complete -c ${name} -f ${when} -a ${single(s.word)} -d ${single(s.description)}`);
    for (const c of n.choices) lines.push(`complete -c ${name} -f ${when} -a ${single(c)}`);
    for (const o of n.options) {
      const flag = o.word.startsWith('--') ? `-l ${single(o.word.slice(2))}` : `-s ${single(o.word.slice(1))}`;
      lines.push(`complete -c ${name} ${when} ${flag} -d ${single(o.description)}`);
    }
  }
  return `# ${name} fish completion. Load it with:  ${name} completion fish | source
# or install it:  ${name} completion fish > ~/.config/fish/completions/${name}.fish
function ${fn}
    set -l known ${known}
    set -l path ''
    for word in (commandline -opc)[2..-1]
        string match -q -- '-*' $word; and continue
        set -l next (string trim -- "$path $word")
        contains -- $next $known; and set path $next
    end
    echo $path
end
complete -c ${name} -f
${lines.join('\n')}
`;
}

export function completionScript(shell: Shell, program: Command): string {
  const nodes = commandTree(program);
  const name = program.name();
  return shell === 'bash' ? bash(name, nodes) : shell === 'zsh' ? zsh(name, nodes) : fish(name, nodes);
}
