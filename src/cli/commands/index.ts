// Every top-level command, in the order `escd --help` lists them. A command's file holds its
// registration and its action, and imports what the action needs: loading every file costs about
// ten times a bare start, so the program loads only the file of the verb on the command line, and all
// of them for help, completion, a misspelt verb or none.
import type { Command } from 'commander';

export interface CommandFile {
  register(program: Command): void;
}

interface Entry {
  /** The top-level commands (and aliases) the file registers; test/cli/command-files.test.ts holds it to that. */
  readonly verbs: readonly string[];
  readonly load: () => Promise<CommandFile>;
}

export const COMMAND_FILES: readonly Entry[] = [
  { verbs: ['quickstart'], load: () => import('./quickstart.js') },
  { verbs: ['env'], load: () => import('./env.js') },
  { verbs: ['open'], load: () => import('./open.js') },
  { verbs: ['run'], load: () => import('./run.js') },
  { verbs: ['daemon', 'start', 'stop', 'restart', 'status', 'flush'], load: () => import('./daemon.js') },
  { verbs: ['endpoint'], load: () => import('./endpoint.js') },
  { verbs: ['setup'], load: () => import('./setup.js') },
  { verbs: ['oidc'], load: () => import('./oidc.js') },
  { verbs: ['keys'], load: () => import('./keys.js') },
  { verbs: ['login', 'logout'], load: () => import('./login.js') },
  { verbs: ['service'], load: () => import('./service.js') },
  { verbs: ['doctor'], load: () => import('./doctor.js') },
  // Its script lists every command, so it needs them all.
  { verbs: [], load: () => import('./completion.js') },
];

/** Registers the command of `argv`'s verb, or every command when there is none of ours (or no argv). */
export async function registerCommands(program: Command, argv?: readonly string[]): Promise<void> {
  const verb = argv?.[0];
  const own = COMMAND_FILES.filter((entry) => verb !== undefined && entry.verbs.includes(verb));
  const files = await Promise.all((own.length > 0 ? own : COMMAND_FILES).map((entry) => entry.load()));
  for (const file of files) file.register(program);
}
