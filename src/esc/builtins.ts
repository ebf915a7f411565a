// The data transformations behind the fn:: builtins, one function each. Pure; flags (secret,
// unknown) and diagnostics are the evaluator's business.
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

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * Strict standard base64 as Go's base64.StdEncoding.DecodeString: padding required, `\r`/`\n`
 * ignored; the error names the offset of the first bad byte.
 */
export function decodeBase64(text: string): { bytes: Buffer } | { error: string } {
  const input = Buffer.from(text, 'utf8');
  const fail = (at: number) => ({ error: `illegal base64 data at input byte ${at}` });
  const symbols: { value: number; at: number }[] = [];
  let paddingAt = -1;
  let padding = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c === 0x0a || c === 0x0d) continue;
    if (paddingAt >= 0) {
      if (c === 0x3d && padding < 2) {
        padding++;
        continue;
      }
      return fail(i);
    }
    if (c === 0x3d) {
      // `=` may only pad the third or fourth symbol of a quantum.
      const pos = symbols.length % 4;
      if (pos < 2) return fail(i);
      paddingAt = i;
      padding = 1;
      continue;
    }
    const v = BASE64_ALPHABET.indexOf(String.fromCharCode(c));
    if (v < 0) return fail(i);
    symbols.push({ value: v, at: i });
  }
  const rem = symbols.length % 4;
  if (paddingAt >= 0) {
    if (rem === 2 && padding !== 2) return fail(input.length);
    if (rem === 3 && padding !== 1) return fail(paddingAt + 1);
  } else if (rem !== 0) {
    return fail(rem === 1 ? symbols[symbols.length - 1]!.at : input.length);
  }
  if (rem === 1) return fail(symbols[symbols.length - 1]!.at);
  const out: number[] = [];
  for (let q = 0; q < symbols.length; q += 4) {
    const n = Math.min(4, symbols.length - q);
    let acc = 0;
    for (let k = 0; k < 4; k++) acc = (acc << 6) | (k < n ? symbols[q + k]!.value : 0);
    out.push((acc >> 16) & 0xff);
    if (n > 2) out.push((acc >> 8) & 0xff);
    if (n > 3) out.push(acc & 0xff);
  }
  return { bytes: Buffer.from(out) };
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
