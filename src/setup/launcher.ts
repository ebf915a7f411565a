// The `escd-shim` executable a kubeconfig runs: a two-line sh script that starts this machine's node
// on escd's shim. kubectl names the exec plugin's command in its errors ("exec: executable … failed"),
// so the command says escd instead of node; the script pins the absolute node path, as a
// credential_process line does, so a node found only through an interactive shell's PATH still runs.
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { resolvePaths } from '../config/paths.js';
import { writeFileAtomic } from '../keystore/atomic-file.js';
import { commandLine } from './shell-quote.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Where `escd setup kube` writes the launcher: `<state dir>/bin/escd-shim`. */
export function launcherPath(env: Env): string {
  return join(resolvePaths(env).stateDir, 'bin', 'escd-shim');
}

export function launcherScript(node: string, shim: string): string {
  return `#!/bin/sh\n# Written by \`escd setup kube\`: runs escd's shim with this node. Re-run it after moving node or escd.\nexec ${commandLine([node, shim])} "$@"\n`;
}

/** Writes the launcher when it is missing or differs; true when it was written. */
export async function writeLauncher(path: string, node: string, shim: string): Promise<boolean> {
  const text = launcherScript(node, shim);
  if ((await readFile(path, 'utf8').catch(() => undefined)) === text) return false;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, text, 0o700);
  await chmod(path, 0o700);
  return true;
}
