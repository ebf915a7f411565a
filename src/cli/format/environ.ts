// `escd open --format dotenv|shell`: the environmentVariables projection as lines a shell or a
// dotenv loader reads back to the same values.
import type { ProjectedSection } from '../../esc/project.js';

/** Double-quoted with backslash escapes, as dotenv loaders unquote it (newlines as \n). */
function dotenvQuote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
}

/** POSIX single quotes: nothing inside is expanded; a quote is written '\''. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface RenderedEnviron {
  readonly text: string;
  /** Names skipped because a shell could not assign them. */
  readonly skipped: readonly string[];
}

export function renderEnviron(section: ProjectedSection, format: 'dotenv' | 'shell', options: { redact: boolean }): RenderedEnviron {
  const lines: string[] = [];
  const skipped: string[] = [];
  for (const [name, { value, secret }] of Object.entries(section)) {
    if (!VARIABLE_NAME.test(name)) {
      skipped.push(name);
      continue;
    }
    const shown = secret && options.redact ? '[secret]' : value;
    lines.push(format === 'shell' ? `export ${name}=${shellQuote(shown)}` : `${name}=${dotenvQuote(shown)}`);
  }
  return { text: lines.length > 0 ? lines.join('\n') + '\n' : '', skipped };
}
