// Which strings `escd run` filters from a child's output: every secret scalar of the evaluated
// environment (not only the exported ones: a secret can reach the child in a file or argument)
// and every secret projected variable or file.
import { stringify } from '../esc/builtins.js';
import { projectedSecrets, type Projection } from '../esc/project.js';
import { isArray, isObject, type EscValue } from '../esc/value.js';

function collect(value: EscValue, insideSecret: boolean, out: Set<string>): void {
  const secret = insideSecret || value.secret;
  if (value.unknown) return;
  const { data } = value;
  if (isArray(data)) data.forEach((v) => collect(v, secret, out));
  else if (isObject(data)) data.forEach((v) => collect(v, secret, out));
  else if (secret) out.add(stringify(value));
}

export function secretStrings(values: EscValue | undefined, projection: Projection): string[] {
  const out = new Set<string>(projectedSecrets(projection));
  if (values) collect(values, false, out);
  return [...out];
}
