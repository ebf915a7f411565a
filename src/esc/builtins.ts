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
const BASE64_VALUES = new Map([...BASE64_ALPHABET].map((c, i) => [c.charCodeAt(0), i]));
const isNewline = (c: number | undefined): boolean => c === 0x0a || c === 0x0d;

/**
 * Strict standard base64, following Go's base64.StdEncoding.DecodeString quantum by quantum:
 * padding required, `\r`/`\n` skipped, and the error names the same input byte Go's does.
 */
export function decodeBase64(text: string): { bytes: Buffer } | { error: string } {
  const src = Buffer.from(text, 'utf8');
  const fail = (at: number) => ({ error: `illegal base64 data at input byte ${at}` });
  const out: number[] = [];
  let si = 0;
  while (si < src.length) {
    const quantum: number[] = [];
    let padded = false;
    while (quantum.length < 4) {
      if (si === src.length) {
        if (quantum.length === 0) return { bytes: Buffer.from(out) };
        return fail(si - quantum.length);
      }
      const c = src[si++]!;
      const v = BASE64_VALUES.get(c);
      if (v !== undefined) {
        quantum.push(v);
        continue;
      }
      if (isNewline(c)) continue;
      if (c !== 0x3d || quantum.length < 2) return fail(si - 1);
      // Padding: "==" after two symbols, "=" after three, then only newlines may follow.
      if (quantum.length === 2) {
        while (isNewline(src[si])) si++;
        if (si === src.length) return fail(src.length);
        if (src[si] !== 0x3d) return fail(si - 1);
        si++;
      }
      while (isNewline(src[si])) si++;
      if (si < src.length) return fail(si);
      padded = true;
      break;
    }
    const n = quantum.length;
    let acc = 0;
    for (let k = 0; k < 4; k++) acc = (acc << 6) | (quantum[k] ?? 0);
    out.push((acc >> 16) & 0xff);
    if (n > 2) out.push((acc >> 8) & 0xff);
    if (n > 3) out.push(acc & 0xff);
    if (padded) break;
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
