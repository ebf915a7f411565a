// `open --format dotenv|shell` and `env get --value dotenv|shell`: the environmentVariables
// projection, then the files projection (each as the path of the file holding it), each sorted by
// name, as the reference's PrepareEnvironment lists them: `NAME="value"` quoted as Go's
// strconv.Quote does, with `export ` in front for a shell.
import type { ProjectedSection } from '../../esc/project.js';
import { goQuote } from '../../esc/go-quote.js';
import { sortKeys } from '../../esc/go-json.js';

/** POSIX single quotes: nothing inside is expanded; a quote is written '\''. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The reference's double quotes, except that a value a shell would expand inside them (`$`, a
 * backquote) is single-quoted instead: `eval "$(escd open … --format shell)"` must not run it.
 */
function shellValue(value: string): string {
  return /[$`]/.test(value) ? shellQuote(value) : goQuote(value);
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface RenderedEnviron {
  readonly text: string;
  /** Names skipped because a shell could not assign them. */
  readonly skipped: readonly string[];
}

/**
 * `files` maps each file variable to the path of its file (or `[unknown]` when none was written).
 * Secret variables show `[secret]` when redacting.
 */
export function renderEnviron(
  section: ProjectedSection,
  format: 'dotenv' | 'shell',
  options: { redact: boolean },
  files: Readonly<Record<string, string>> = {},
): RenderedEnviron {
  const lines: string[] = [];
  const skipped: string[] = [];
  const line = (name: string, value: string): void => {
    if (!VARIABLE_NAME.test(name)) skipped.push(name);
    else lines.push(format === 'shell' ? `export ${name}=${shellValue(value)}` : `${name}=${goQuote(value)}`);
  };
  for (const name of sortKeys(Object.keys(section))) {
    const { value, secret } = section[name]!;
    line(name, secret && options.redact ? '[secret]' : value);
  }
  for (const name of sortKeys(Object.keys(files))) line(name, files[name]!);
  return { text: lines.length > 0 ? lines.join('\n') + '\n' : '', skipped };
}
