// Finds the places in ~/.aws/config and kubeconfig that run the escd shim. Pure text → references;
// whether the paths exist is asked through an injected resolver.
import { parse } from 'yaml';
import { configParseProblems } from '../setup/aws-config.js';
import { shellWords, shimCommand } from '../setup/shim-command.js';

export { shellWords, shimCommand };

export interface ShimCommand {
  /** Profile or kubeconfig user name. */
  readonly name: string;
  /** The programs that must exist for the command to run: the shim, and node when it is named by path. */
  readonly programs: readonly string[];
  /** The environment the shim is asked for (the word after `aws`/`kube`). */
  readonly environment?: string;
}

export class ClientConfigError extends Error {}

/**
 * `[profile NAME]` / `[default]` sections whose credential_process runs the shim. Throws
 * ClientConfigError when the AWS CLI cannot read the file (a section or key given twice).
 */
export function awsConfigShimCommands(text: string): ShimCommand[] {
  const problems = configParseProblems(text);
  if (problems.length > 0) throw new ClientConfigError(`${problems.join('; ')}: the AWS CLI cannot read it (ConfigParseError)`);
  const found: ShimCommand[] = [];
  let section: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (header) {
      const name = header[1]!;
      section = name === 'default' ? 'default' : name.startsWith('profile ') ? name.slice('profile '.length).trim() : undefined;
      continue;
    }
    const setting = /^credential_process\s*=\s*(.*)$/.exec(line);
    if (section && setting) {
      const shim = shimCommand(shellWords(setting[1]!));
      if (shim) found.push({ name: section, ...shim });
    }
  }
  return found;
}

/** kubeconfig users whose exec plugin runs the shim. Throws ClientConfigError when the YAML is broken. */
export function kubeconfigShimCommands(text: string): ShimCommand[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new ClientConfigError(`not valid YAML (${(err as Error).message.split('\n')[0]})`);
  }
  const users = (doc as { users?: unknown } | null)?.users;
  if (!Array.isArray(users)) return [];
  const found: ShimCommand[] = [];
  for (const entry of users as unknown[]) {
    const { name, user } = (entry ?? {}) as { name?: unknown; user?: { exec?: { command?: unknown; args?: unknown } } };
    const exec = user?.exec;
    if (typeof exec?.command !== 'string') continue;
    const args = Array.isArray(exec.args) ? exec.args.filter((a): a is string => typeof a === 'string') : [];
    const shim = shimCommand([exec.command, ...args]);
    if (shim) found.push({ name: typeof name === 'string' ? name : '(unnamed)', ...shim });
  }
  return found;
}
