// A local environment may import a cloud one. The local evaluator imports definitions, but a cloud
// definition's secrets are sealed under the service's keys, so the import is served as the opened
// environment's values instead: a definition made in memory (never written) whose secrets are
// plaintext `fn::secret` (still secret to the evaluator, and redacted like any other).
import { stringify } from 'yaml';
import { isArray, isObject, type EscValue } from '../esc/value.js';

export function definitionFromValues(values: EscValue | undefined): string {
  return stringify({ values: values === undefined ? {} : toDefinition(values) }, { lineWidth: 0 });
}

/** `fn::secret` takes a string: a secret leaf is kept as its text, a secret container by its leaves. */
function toDefinition(value: EscValue, insideSecret = false): unknown {
  const { data } = value;
  const secret = insideSecret || value.secret;
  if (isArray(data)) return data.map((item) => toDefinition(item, secret));
  if (isObject(data)) return Object.fromEntries([...data].map(([k, v]) => [k, toDefinition(v, secret)]));
  const plain = data === null || typeof data === 'boolean' || typeof data === 'string' ? data : Number(data.text);
  return secret ? { 'fn::secret': plain === null ? '' : String(plain) } : plain;
}
