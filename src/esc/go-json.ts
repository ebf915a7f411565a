// JSON text ↔ values with the reference's (Go encoding/json) behaviour: numbers kept as text, only
// the first value of the input read, Go's error wording, Go's string escaping. Pure.
import { goQuote } from './go-quote.js';
import { EscNumber, escValue, isArray, isObject, type EscValue } from './value.js';

export type JsonDecodeResult = { readonly value: EscValue } | { readonly error: string };

/** Go's quoteChar: a character in single quotes, escaped as strconv.Quote would. */
function quoteChar(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '"') return "'\"'";
  return `'${goQuote(c).slice(1, -1)}'`;
}

class DecodeError extends Error {}

/** Deeper documents are refused (Go refuses beyond 10000; our recursive consumers need a lower bound). */
const MAX_DEPTH = 1000;

class Decoder {
  private i = 0;
  private depth = 0;
  constructor(
    private readonly s: string,
    private readonly secret: boolean,
  ) {}

  private fail(context: string): never {
    if (this.i >= this.s.length) throw new DecodeError('unexpected EOF');
    throw new DecodeError(`invalid character ${quoteChar(this.s[this.i]!)} ${context}`);
  }

  private skipSpace(): void {
    while (this.i < this.s.length && ' \t\r\n'.includes(this.s[this.i]!)) this.i++;
  }

  decodeFirst(): EscValue {
    this.skipSpace();
    if (this.i >= this.s.length) throw new DecodeError('EOF');
    return this.value();
  }

  private value(): EscValue {
    this.skipSpace();
    const c = this.s[this.i];
    if (c === '{' || c === '[') {
      if (++this.depth > MAX_DEPTH) throw new DecodeError('exceeded max depth');
      const v = c === '{' ? this.object() : this.array();
      this.depth--;
      return v;
    }
    if (c === '"') return escValue(this.string(), { secret: this.secret });
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return escValue(this.number(), { secret: this.secret });
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (c === word[0]) {
        for (let k = 1; k < word.length; k++) {
          this.i++;
          if (this.s[this.i] !== word[k]) this.fail(`in literal ${word} (expecting ${quoteChar(word[k]!)})`);
        }
        this.i++;
        return escValue(v, { secret: this.secret });
      }
    }
    this.fail('looking for beginning of value');
  }

  private object(): EscValue {
    this.i++;
    const map = new Map<string, EscValue>();
    this.skipSpace();
    if (this.s[this.i] === '}') {
      this.i++;
      return escValue(map, { secret: this.secret });
    }
    for (;;) {
      this.skipSpace();
      if (this.s[this.i] !== '"') this.fail('looking for beginning of object key string');
      const key = this.string();
      this.skipSpace();
      if (this.s[this.i] !== ':') this.fail('after object key');
      this.i++;
      map.set(key, this.value());
      this.skipSpace();
      const c = this.s[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === '}') {
        this.i++;
        return escValue(map, { secret: this.secret });
      }
      this.fail('after object key:value pair');
    }
  }

  private array(): EscValue {
    this.i++;
    const items: EscValue[] = [];
    this.skipSpace();
    if (this.s[this.i] === ']') {
      this.i++;
      return escValue(items, { secret: this.secret });
    }
    for (;;) {
      items.push(this.value());
      this.skipSpace();
      const c = this.s[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === ']') {
        this.i++;
        return escValue(items, { secret: this.secret });
      }
      this.fail('after array element');
    }
  }

  private string(): string {
    const start = this.i;
    this.i++;
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined) throw new DecodeError('unexpected EOF');
      if (c === '"') {
        this.i++;
        return JSON.parse(this.s.slice(start, this.i)) as string;
      }
      if (c < ' ') this.fail('in string literal');
      if (c === '\\') {
        this.i++;
        const e = this.s[this.i];
        if (e === undefined) throw new DecodeError('unexpected EOF');
        if (e === 'u') {
          for (let k = 1; k <= 4; k++) {
            const h = this.s[this.i + k];
            if (h === undefined) throw new DecodeError('unexpected EOF');
            if (!/[0-9a-fA-F]/.test(h)) {
              this.i += k;
              this.fail('in \\u hexadecimal character escape');
            }
          }
          this.i += 4;
        } else if (!'"\\/bfnrt'.includes(e)) this.fail('in string escape code');
      }
      this.i++;
    }
  }

  private number(): EscNumber {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(this.s.slice(this.i));
    if (m === null) {
      this.i++;
      this.fail('in numeric literal');
    }
    const text = m[0];
    const next = this.s[this.i + text.length];
    // A dangling `.`, `e` or `-` is an error in Go's scanner.
    if (next === undefined && /[-.eE+]$/.test(text)) throw new DecodeError('unexpected EOF');
    if (next === '.' || next === 'e' || next === 'E') {
      // A `.` or exponent without digits after it.
      this.i += text.length + 1;
      if (next !== '.' && (this.s[this.i] === '+' || this.s[this.i] === '-')) this.i++;
      if (this.i >= this.s.length) throw new DecodeError('unexpected EOF');
      this.fail(next === '.' ? 'after decimal point in numeric literal' : 'in exponent of numeric literal');
    }
    if (text === '-') {
      this.i++;
      this.fail('in numeric literal');
    }
    this.i += text.length;
    return new EscNumber(text);
  }
}

/** Decodes the first JSON value of `text` (trailing text ignored, as Go's json.Decoder does). */
export function decodeJSON(text: string, options: { secret: boolean }): JsonDecodeResult {
  try {
    return { value: new Decoder(text, options.secret).decodeFirst() };
  } catch (err) {
    if (err instanceof DecodeError) return { error: err.message };
    throw err;
  }
}

/** A JSON string literal escaped as Go's encoding/json does (HTML-safe, U+2028/9 escaped). */
export function goJSONString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    const code = s.charCodeAt(i);
    if (c === '"') out += '\\"';
    else if (c === '\\') out += '\\\\';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (code < 0x20 || c === '<' || c === '>' || c === '&' || code === 0x2028 || code === 0x2029) {
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    } else if (code >= 0xd800 && code <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += c + s[i + 1]!;
        i++;
      } else out += '\\ufffd';
    } else if (code >= 0xdc00 && code <= 0xdfff) out += '\\ufffd';
    else out += c;
  }
  return `${out}"`;
}

/** Compact JSON as Go's json.Marshal writes it (keys sorted byte-wise, numbers as their text). */
export function encodeJSON(value: EscValue): string {
  const { data } = value;
  if (data === null) return 'null';
  if (typeof data === 'boolean') return data ? 'true' : 'false';
  if (data instanceof EscNumber) return data.text;
  if (typeof data === 'string') return goJSONString(data);
  if (isArray(data)) return `[${data.map(encodeJSON).join(',')}]`;
  if (isObject(data)) {
    const keys = sortKeys([...data.keys()]);
    return `{${keys.map((k) => `${goJSONString(k)}:${encodeJSON(data.get(k)!)}`).join(',')}}`;
  }
  return 'null';
}

/** Sorts strings by their UTF-8 bytes, as Go's sort.Strings does. */
export function sortKeys(keys: string[]): string[] {
  const astral = keys.some((k) => /[\ud800-\udfff]/.test(k));
  if (!astral) return keys.sort();
  return keys.sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}
