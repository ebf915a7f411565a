// Recognising escd's shim in a command line (credential_process, a kubeconfig exec plugin): for
// `escd doctor`, and for `escd setup --remove`, which removes only what runs escd.
import { basename } from 'node:path';

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

