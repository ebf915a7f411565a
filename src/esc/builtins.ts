// The data transformations behind the fn:: builtins, one function each. Pure; flags (secret,
// unknown) and diagnostics are the evaluator's business.
import { decodeBase64 } from '../secrets/base64.js';
import { goQuote } from './go-quote.js';
import { encodeJSON, sortKeys } from './go-json.js';
import { EscNumber, isArray, isObject, type EscValue } from './value.js';

/**
 * Template stringification (§5.3), also `fn::toString`. `entries` picks an object's entries; the
 * evaluator passes one that leaves out keys merged in from imports, as the reference does.
 */
export function stringify(value: EscValue, entries: (v: EscValue) => ReadonlyMap<string, EscValue> = (v) => v.data as ReadonlyMap<string, EscValue>): string {
  const { data } = value;
  if (data === null) return '';
  if (typeof data === 'string') return data;
  if (typeof data === 'boolean') return data ? 'true' : 'false';
  if (data instanceof EscNumber) return data.text;
  if (isArray(data)) return data.map((item) => goQuote(stringify(item, entries))).join(',');
  if (isObject(data)) {
    const own = entries(value);
    return sortKeys([...own.keys()])
      .map((k) => `${goQuote(k)}=${goQuote(stringify(own.get(k)!, entries))}`)
      .join(',');
  }
  return '';
}

/** `fn::toJSON`. */
export function toJSONText(value: EscValue): string {
  return encodeJSON(value);
}

/** `fn::toBase64`: standard base64 with padding of the UTF-8 bytes. */
export function toBase64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** `fn::fromBase64`. */
export function fromBase64(text: string): { value: string } | { error: string } {
  const decoded = decodeBase64(text);
  if ('error' in decoded) return { error: `decoding base64 string: ${decoded.error}` };
  return { value: decoded.bytes.toString('utf8') };
}

/** `fn::join`. */
export function join(delimiter: string, items: readonly string[]): string {
  return items.join(delimiter);
}

/** `fn::split`, as Go's strings.Split: an empty delimiter splits into code points. */
export function split(delimiter: string, text: string): string[] {
  if (delimiter === '') return Array.from(text);
  return text.split(delimiter);
}
