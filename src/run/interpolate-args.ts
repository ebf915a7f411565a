// `escd run env -- echo '${aws.region}'`: each argument that holds `${path}` gets the text of that
// property of the environment, as `esc run` does. Pure; secrets come out in the clear (the child's
// output is filtered unless -i, as for its variables).
import { stringify } from '../esc/builtins.js';
import { formatAccessors, parseInterpolation, type Accessor } from '../esc/interpolation.js';
import { isArray, isObject, type EscValue } from '../esc/value.js';

export class ArgumentError extends Error {}

function lookup(values: EscValue | undefined, accessors: readonly Accessor[], arg: number): EscValue {
  let current = values;
  for (let i = 0; i < accessors.length; i++) {
    const a = accessors[i]!;
    const key = a.kind === 'name' ? a.name : a.key;
    const data = current?.data;
    let next: EscValue | undefined;
    if (current !== undefined && !current.unknown) {
      if (typeof key === 'number' && data !== undefined && isArray(data)) next = data[key];
      else if (typeof key === 'string' && data !== undefined && isObject(data)) next = data.get(key);
    }
    if (next === undefined) throw new ArgumentError(`argument ${arg}: the environment has no value at ${formatAccessors(accessors.slice(0, i + 1))}`);
    current = next;
  }
  if (current === undefined) throw new ArgumentError(`argument ${arg}: the environment has no values`);
  return current;
}

/** The arguments with every `${path}` replaced; an argument without `${` is passed unchanged. */
export function interpolateArgs(args: readonly string[], values: EscValue | undefined): string[] {
  return args.map((arg, index) => {
    if (!arg.includes('${')) return arg;
    const { parts, problems } = parseInterpolation(arg);
    if (problems.length > 0) throw new ArgumentError(`argument ${index + 1}: ${problems[0]!.summary}`);
    return parts.map((part) => part.text + (part.access ? stringify(lookup(values, part.access.accessors, index + 1)) : '')).join('');
  });
}
