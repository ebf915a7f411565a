// Shell completion scripts generated from the live commander tree, so they list exactly the commands
// and options `escd --help` shows. All three shells use the same idea: walk the words typed so far,
// keeping those that name a (sub)command and counting the arguments after it (skipping option values),
// then offer that command's subcommands, argument choices or environment names (from `escd env ls`),
// and its options.
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
  /** Options followed by a value (`--out <dir>`): the next word is not an argument. */
  readonly valued: readonly string[];
  /** Allowed values of the first argument, when it has a fixed set (e.g. bash|zsh|fish). */
  readonly choices: readonly string[];
  /** The first argument is an environment name. */
  readonly envArgument: boolean;
}

const oneLine = (text: string): string => text.split('\n')[0]!.trim();

export function commandTree(program: Command): Node[] {
  const nodes: Node[] = [];
  const visit = (cmd: Command, path: string): void => {
    const help = cmd.createHelp();
    const subcommands = help.visibleCommands(cmd).filter((c) => c.name() !== 'help');
    const options: Word[] = [];
    const valued: string[] = [];
    for (const option of help.visibleOptions(cmd)) {
      for (const flag of [option.long, option.short]) {
        if (!flag) continue;
        options.push({ word: flag, description: oneLine(option.description) });
        if (option.required || option.optional) valued.push(flag);
      }
    }
    const first = cmd.registeredArguments[0];
    nodes.push({
      path,
      subcommands: subcommands.map((c) => ({ word: c.name(), description: oneLine(c.description()) })),
      options,
      valued,
      choices: first?.argChoices ?? [],
      envArgument: first?.name() === 'env',
    });
    for (const sub of subcommands) visit(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  visit(program, '');
  return nodes;
}

const single = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;
const functionName = (name: string): string => name.replace(/[^A-Za-z0-9_]/g, '_');

function bash(name: string, nodes: Node[]): string {
  const fn = `_${functionName(name)}`;
  const known = nodes.filter((n) => n.path).map((n) => single(n.path)).join('|');
  const valued = nodes
    .filter((n) => n.valued.length > 0)
    .map((n) => `        ${single(n.path)}) valued=${single(` ${n.valued.join(' ')} `)} ;;`)
    .join('\n');
  const cases = nodes
    .map(
      (n) =>
        `    ${single(n.path)}) cmds=${single([...n.subcommands.map((s) => s.word), ...n.choices].join(' '))} opts=${single(n.options.map((o) => o.word).join(' '))} envs=${n.envArgument ? 1 : 0} ;;`,
    )
    .join('\n');
  return `# ${name} bash completion. Load it with:  source <(${name} completion bash)
# or install it:  ${name} completion bash > ~/.local/share/bash-completion/completions/${name}
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" next word valued i args=0 cmds="" opts="" envs=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ "$word" == "--" ]] && return 0 # a command line follows: complete files and commands
    if [[ "$word" == -* ]]; then
      valued=""
      case "$path" in
${valued}
      esac
      if [[ "$valued" == *" $word "* ]]; then
        ((i++))
        ((i >= COMP_CWORD)) && return 0 # completing the option's value
      fi
      continue
    fi
    next="\${path:+$path }$word"
    case "$next" in
      ${known}) ((args == 0)) && path="$next" || ((args++)) ;;
      *) ((args++)) ;;
    esac
  done
  case "$path" in
${cases}
  esac
  if ((args > 0)); then
    cmds=""
  elif ((envs)) && [[ "$cur" != -* ]]; then
    cmds="$cmds $("\${COMP_WORDS[0]}" env ls 2>/dev/null)"
  fi
  COMPREPLY=($(compgen -W "$cmds $opts" -- "$cur"))
}
complete -o default -F ${fn} ${name}
`;
}

function zsh(name: string, nodes: Node[]): string {
  const fn = `_${functionName(name)}`;
  const known = nodes.filter((n) => n.path).map((n) => single(n.path)).join('|');
  const item = (w: Word): string => single(`${w.word.replace(/:/g, '\\:')}:${w.description}`);
  const valued = nodes
    .filter((n) => n.valued.length > 0)
    .map((n) => `        (${single(n.path)}) valued=${single(` ${n.valued.join(' ')} `)} ;;`)
    .join('\n');
  const cases = nodes
    .map((n) => {
      const cmds = [...n.subcommands.map(item), ...n.choices.map((c) => single(c))];
      return `    (${single(n.path)}) cmds=(${cmds.join(' ')}) opts=(${n.options.map(item).join(' ')}) envs=${n.envArgument ? 1 : 0} ;;`;
    })
    .join('\n');
  return `#compdef ${name}
# ${name} zsh completion. Load it with:  source <(${name} completion zsh)   (after compinit)
# or install it:  ${name} completion zsh > "\${fpath[1]}/_${name}"
${fn}() {
  local p="" next word valued i args=0 envs=0
  local -a cmds opts
  for ((i = 2; i < CURRENT; i++)); do
    word="\${words[i]}"
    [[ "$word" == "--" ]] && { _normal; return }
    if [[ "$word" == -* ]]; then
      valued=""
      case "$p" in
${valued}
      esac
      if [[ "$valued" == *" $word "* ]]; then
        ((i++))
        ((i >= CURRENT)) && { _files; return }
      fi
      continue
    fi
    next="\${p:+$p }$word"
    case "$next" in
      (${known}) if ((args == 0)); then p="$next"; else ((args++)); fi ;;
      (*) ((args++)) ;;
    esac
  done
  case "$p" in
${cases}
  esac
  if ((args > 0)); then
    cmds=()
  elif ((envs)) && [[ "\${words[CURRENT]}" != -* ]]; then
    cmds+=(\${(f)"$(\${words[1]} env ls 2>/dev/null)"})
  fi
  _describe -t commands '${name}' cmds -- opts
}
if [[ "\${funcstack[1]}" == "${fn}" ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${name}
fi
`;
}

function fish(name: string, nodes: Node[]): string {
  const state = `__${functionName(name)}_state`;
  const at = `__${functionName(name)}_at`;
  const known = nodes.filter((n) => n.path).map((n) => single(n.path)).join(' ');
  const valued = nodes
    .filter((n) => n.valued.length > 0)
    .map((n) => `            case ${single(n.path)}\n                set valued ${n.valued.map(single).join(' ')}`)
    .join('\n');
  const lines: string[] = [];
  for (const n of nodes) {
    const first = `-n ${single(`${at} ${single(n.path)} 0`)}`;
    const any = `-n ${single(`${at} ${single(n.path)}`)}`;
    for (const s of n.subcommands) lines.push(`complete -c ${name} -f ${first} -a ${single(s.word)} -d ${single(s.description)}`);
    for (const c of n.choices) lines.push(`complete -c ${name} -f ${first} -a ${single(c)}`);
    if (n.envArgument) lines.push(`complete -c ${name} -f ${first} -a ${single(`(${name} env ls 2>/dev/null)`)} -d environment`);
    for (const o of n.options) {
      const flag = o.word.startsWith('--') ? `-l ${single(o.word.slice(2))}` : `-s ${single(o.word.slice(1))}`;
      const value = n.valued.includes(o.word) ? ' -r' : '';
      lines.push(`complete -c ${name} ${any} ${flag}${value} -d ${single(o.description)}`);
    }
  }
  return `# ${name} fish completion. Load it with:  ${name} completion fish | source
# or install it:  ${name} completion fish > ~/.config/fish/completions/${name}.fish

# Prints the command path typed so far and how many arguments follow it.
function ${state}
    set -l known ${known}
    set -l path ''
    set -l args 0
    set -l skip 0
    for word in (commandline -opc)[2..-1]
        if test $skip = 1
            set skip 0
            continue
        end
        if test "$word" = '--'
            set args 99
            break
        end
        if string match -q -- '-*' $word
            set -l valued
            switch $path
${valued}
            end
            contains -- $word $valued; and set skip 1
            continue
        end
        set -l next (string trim -- "$path $word")
        if test $args = 0; and contains -- $next $known
            set path $next
        else
            set args (math $args + 1)
        end
    end
    echo $path
    echo $args
end

# True at command path $argv[1] (and, with $argv[2], that many arguments after it).
function ${at}
    set -l state (${state})
    test "$state[1]" = "$argv[1]"; or return 1
    test (count $argv) -lt 2; or test "$state[2]" = "$argv[2]"
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
