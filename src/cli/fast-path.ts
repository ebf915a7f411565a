// The commands a script or a shell prompt runs many times a second — `escd run <env> …`, `escd open
// <env>` and `escd status` — in their plain forms, without loading commander and building the whole
// program (about a third of the thin client's time). Only exact, well-formed invocations are taken
// here; anything else (help, an unknown or misplaced flag, a missing argument) returns undefined and
// goes through the full program, which owns every message and usage error.

export type FastCommand = () => Promise<void>;

const isFlag = (word: string): boolean => word.startsWith('-');

export type FastParser = (args: readonly string[]) => FastCommand | undefined;

export function status(args: readonly string[]): FastCommand | undefined {
  if (args.length > 1 || (args.length === 1 && args[0] !== '--json')) return undefined;
  const json = args.length === 1;
  return async () => {
    const { control } = await import('./daemon-control.js');
    const { control: c, ctx } = await control();
    await c.status(ctx, json);
  };
}

export function run(args: readonly string[]): FastCommand | undefined {
  const [env, ...words] = args;
  if (env === undefined || isFlag(env) || words.length === 0) return undefined;
  return async () => (await import('./commands/run.js')).run(env, words, {});
}

export function open(args: readonly string[]): FastCommand | undefined {
  const positional: string[] = [];
  const options: { format?: string; json?: boolean; showSecrets?: boolean; daemon?: boolean } = {};
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    if (word === '--json') options.json = true;
    else if (word === '--show-secrets') options.showSecrets = true;
    else if (word === '--no-daemon') options.daemon = false;
    else if (word === '--format' && args[i + 1] !== undefined && !isFlag(args[i + 1]!)) options.format = args[++i]!;
    else if (word.startsWith('--format=')) options.format = word.slice('--format='.length);
    else if (isFlag(word)) return undefined;
    else positional.push(word);
  }
  if (positional.length < 1 || positional.length > 2) return undefined;
  const [env, path] = positional as [string, string | undefined];
  return async () => (await import('./commands/open.js')).open(env, path, options);
}

export type FastCommands = Readonly<Record<string, FastParser>>;

export const FAST_COMMANDS: FastCommands = { status, run, open };

/**
 * The action for argv (after `node escd`) when it is one of the plain forms of `commands`: all three
 * (FAST_COMMANDS), or one in the bundle the installed escd keeps for each (bundle.mjs).
 */
export function fastCommand(argv: readonly string[], commands: FastCommands): FastCommand | undefined {
  const [name, ...args] = argv;
  if (name === undefined || !Object.hasOwn(commands, name)) return undefined;
  // Help anywhere before the command `escd run` starts is the program's to print.
  const own = name === 'run' ? args.slice(0, 1) : args;
  if (own.some((w) => w === '-h' || w === '--help')) return undefined;
  return commands[name]!(args);
}
