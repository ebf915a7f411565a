// Finds the places in ~/.aws/config and kubeconfig that run the escd shim. Pure text → references;
// whether the paths exist is asked through an injected resolver.
import { basename } from 'node:path';
import { parse } from 'yaml';

export interface ShimCommand {
  /** Profile or kubeconfig user name. */
  readonly name: string;
  /** The programs that must exist for the command to run: the shim, and node when it is named by path. */
  readonly programs: readonly string[];
  /** The environment the shim is asked for (the word after `aws`/`kube`). */
  readonly environment?: string;
}

export class ClientConfigError extends Error {}

/** Splits a command line the way a POSIX shell would (quotes and backslashes), as the AWS CLI does. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) word += line[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

const isShim = (word: string): boolean => basename(word) === 'escd-shim' || /(^|\/)shim\/main\.js$/.test(word);
const isNode = (word: string): boolean => /^node(\.exe|\d+)?$/.test(basename(word));

/** The programs a command needs and the environment it asks for, when it is the escd shim (directly, or node running the shim script). */
export function shimCommand(command: readonly string[]): { programs: string[]; environment?: string } | undefined {
  const [first, second] = command;
  if (first === undefined) return undefined;
  const programs = isShim(first) ? [first] : isNode(first) && second !== undefined && isShim(second) ? [first, second] : undefined;
  if (!programs) return undefined;
  const [verb, environment] = command.slice(programs.length);
  return (verb === 'aws' || verb === 'kube') && environment && !environment.startsWith('-') ? { programs, environment } : { programs };
}

/** `[profile NAME]` / `[default]` sections whose credential_process runs the shim. */
export function awsConfigShimCommands(text: string): ShimCommand[] {
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
