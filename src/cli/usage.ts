// Usage errors (an unknown flag, a missing argument) in escd's own style: one line on stderr naming
// the command's help, exit status 2, instead of commander's "error: …" and its extra hint lines.
import { Command, type ErrorOptions } from 'commander';
import { EscdError } from '../core/errors.js';
import { exitStatusOf } from './errors.js';

/** Exit status of a command line escd cannot parse (as for the shim, see shim/args.ts). */
export const EXIT_USAGE = exitStatusOf('usage');

/**
 * commander's message as one line: `error: unknown option '--fomat'\n(Did you mean --format?)` →
 * `unknown option '--fomat'; did you mean --format? (see escd open --help)`.
 */
export function usageLine(message: string, commandPath: string): string {
  const sentences = (text: string): string => text.replace(/\.$/, '').replace(/\. ([A-Z])/g, (_, c: string) => `: ${c.toLowerCase()}`);
  const [first = '', ...rest] = message.replace(/^error: /, '').split('\n');
  const hints = rest
    .map((line) => line.trim().replace(/^\((.*)\)$/, '$1'))
    .filter((line) => line.length > 0)
    .map((line) => line.charAt(0).toLowerCase() + line.slice(1));
  return [sentences(first), ...hints].join('; ') + ` (see ${commandPath} --help)`;
}

/** The command as typed from the root, e.g. `escd env set`. */
function pathOf(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** escd's commands: every subcommand is one too, so each reports its usage errors the same way. */
export class EscdCommand extends Command {
  override createCommand(name?: string): EscdCommand {
    return new EscdCommand(name);
  }

  override error(message: string, _options?: ErrorOptions): never {
    throw new EscdError('usage', usageLine(message, pathOf(this)));
  }
}
