// Go's base64.StdEncoding decoding, byte for byte: `fn::fromBase64` and the `fn::secret` envelope
// (src/secrets/envelope.ts) report the reference's error texts.

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_VALUES = new Map([...BASE64_ALPHABET].map((c, i) => [c.charCodeAt(0), i]));
const isNewline = (c: number | undefined): boolean => c === 0x0a || c === 0x0d;

/** Whole quanta of the alphabet, the last one padded as Go requires: what Node's decoder reads the same way. */
const WELL_FORMED = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Strict standard base64, as Go's base64.StdEncoding.DecodeString: padding required, `\r`/`\n`
 * skipped, and the error names the same input byte Go's does. Well-formed text (every ciphertext
 * of every evaluation) is decoded by Node; anything else quantum by quantum (decodeBase64Quanta).
 */
export function decodeBase64(text: string): { bytes: Buffer } | { error: string } {
  return WELL_FORMED.test(text) ? { bytes: Buffer.from(text, 'base64') } : decodeBase64Quanta(text);
}

/** Go's decoding loop, quantum by quantum (the errors and their byte offsets). */
export function decodeBase64Quanta(text: string): { bytes: Buffer } | { error: string } {
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
