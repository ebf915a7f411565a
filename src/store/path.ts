// Property paths of the CLI (`a.b[0]["odd key"]`, the grammar of `${...}`) and the error of a bad
// definition or edit. Apart from store/definition.ts, which needs the yaml package: `escd open <env>
// <path>` parses a path without loading a YAML parser.
import { parsePropertyPath } from '../esc/interpolation.js';

/** One step of a property path: an object key or an array index. */
export type PathElement = string | number;

/** A problem with a definition or an edit; the message is the line to show (`file:line:column: ...` where known). */
export class DefinitionError extends Error {}

/** Parses a CLI property path such as `a.b[0]["k"]` (the interpolation grammar of `${...}`). */
export function parsePath(text: string): PathElement[] {
  if (text.trim() === '') throw new DefinitionError('path must contain at least one element');
  const { accessors, problems } = parsePropertyPath(text);
  if (problems.length > 0) throw new DefinitionError(`invalid path ${JSON.stringify(text)}: ${problems[0]!.summary}`);
  return accessors.map((a) => (a.kind === 'name' ? a.name : a.key));
}

/** Writes a path back in the syntax `parsePath` reads (`a.b[0]["odd key"]`). */
export function formatPath(path: readonly PathElement[]): string {
  let out = '';
  for (const step of path) {
    if (typeof step === 'number') out += `[${step}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(step)) out += out === '' ? step : `.${step}`;
    else out += `["${step.replace(/"/g, '\\"')}"]`;
  }
  return out;
}
