// `env set` refuses a plaintext value that looks like a secret (the reference's env_set.go rule): for a
// key matching passwd|pass|password|pwd|secret|token, the first 16 characters of a string value
// are scored for entropy; ≥ 80 bits, or ≥ 40 bits at ≥ 3 bits a character, looks like a secret.
//
// The reference scores with zxcvbn-go. This is its brute-force estimate (length × log2 of the
// character classes' cardinality) with its repeat and sequence patterns, but without its
// dictionaries and keyboard graphs: a value made of common words scores higher here than there, so
// escd may refuse a dictionary-word value the reference would take (pass --plaintext).

const KEY = /passwd|pass|password|pwd|secret|token/i;
const MAX_LENGTH = 16;
const THRESHOLD = 80;
const PER_CHAR = 3;

function cardinality(text: string): number {
  let lower = false;
  let upper = false;
  let digits = false;
  let symbols = false;
  let unicode = false;
  for (const ch of text) {
    if (/[a-z]/.test(ch)) lower = true;
    else if (/[A-Z]/.test(ch)) upper = true;
    else if (/[0-9]/.test(ch)) digits = true;
    else if (ch.charCodeAt(0) <= 0x7f) symbols = true;
    else unicode = true;
  }
  return (lower ? 26 : 0) + (upper ? 26 : 0) + (digits ? 10 : 0) + (symbols ? 33 : 0) + (unicode ? 100 : 0);
}

/** zxcvbn's low-entropy shapes: one repeated character, or a run such as `abcd` / `4321`. */
function patterned(text: string): number | undefined {
  const chars = [...text];
  if (chars.every((c) => c === chars[0])) return Math.log2(cardinality(chars[0]!) * chars.length);
  const step = (chars[1]?.codePointAt(0) ?? 0) - (chars[0]?.codePointAt(0) ?? 0);
  if (Math.abs(step) === 1 && chars.every((c, i) => i === 0 || c.codePointAt(0)! - chars[i - 1]!.codePointAt(0)! === step)) return Math.log2(chars.length) + 2;
  return undefined;
}

export function entropy(text: string): number {
  if (text.length === 0) return 0;
  return patterned(text) ?? [...text].length * Math.log2(cardinality(text));
}

/** True when `value` under the property `key` looks like a secret that should not be stored in plaintext. */
export function looksLikeSecret(key: string | number | undefined, value: unknown): boolean {
  if (typeof key !== 'string' || typeof value !== 'string' || !KEY.test(key)) return false;
  const head = [...value].slice(0, MAX_LENGTH).join('');
  const bits = entropy(head);
  return bits >= THRESHOLD || (bits >= THRESHOLD / 2 && bits / [...head].length >= PER_CHAR);
}
