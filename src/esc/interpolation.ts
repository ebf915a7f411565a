// Parses `${...}` interpolations and property paths (§5.3). Pure; offsets are positions in the
// string value so callers can map them to source columns.

/** `.name` / root name, or `["key"]` (key: string) / `[N]` (key: number). */
export type Accessor =
  | { readonly kind: 'name'; readonly name: string; readonly offset: number }
  | { readonly kind: 'subscript'; readonly key: string | number; readonly offset: number };

export interface PropertyAccess {
  readonly accessors: readonly Accessor[];
}

export interface InterpolationPart {
  /** Literal text before the access (with `$$` already unescaped). */
  readonly text: string;
  readonly access?: PropertyAccess;
}

export interface ParseProblem {
  readonly summary: string;
  readonly offset: number;
}

export interface ParsedInterpolation {
  readonly parts: readonly InterpolationPart[];
  readonly problems: readonly ParseProblem[];
}

const isSpace = (c: string): boolean => /\s/.test(c);
const terminatesName = (c: string): boolean => c === '.' || c === '[' || c === '}' || isSpace(c);

class AccessParser {
  readonly accessors: Accessor[] = [];
  readonly problems: ParseProblem[] = [];

  constructor(
    private readonly text: string,
    public offset: number,
  ) {}

  private peek(): string | undefined {
    return this.offset < this.text.length ? this.text[this.offset] : undefined;
  }

  private error(offset: number, summary: string): void {
    this.problems.push({ summary, offset });
  }

  /** Parses up to and including the closing `}`; returns the offset after it. */
  parse(): number {
    for (;;) {
      const c = this.peek();
      if (c === undefined) {
        this.error(this.offset, "missing closing brace '}' in interpolation");
        return this.finish(this.offset);
      }
      if (c === '}') {
        const at = this.offset++;
        return this.finish(at);
      }
      if (c === '.') {
        const at = this.offset++;
        this.accessors.push(this.parseName(at));
      } else if (c === '[') {
        const at = this.offset++;
        this.accessors.push(this.parseSubscript(at));
      } else if (isSpace(c)) {
        this.error(this.offset, "missing closing brace '}' in interpolation");
        return this.finish(this.offset);
      } else {
        this.accessors.push(this.parseName(this.offset));
      }
    }
  }

  private finish(start: number): number {
    if (this.accessors.length === 0) this.accessors.push({ kind: 'name', name: '', offset: start });
    return this.offset;
  }

  private parseName(start: number): Accessor {
    let end = this.offset;
    while (end < this.text.length && !terminatesName(this.text[end]!)) end++;
    const name = this.text.slice(this.offset, end);
    this.offset = end;
    if (name === '') this.error(start, 'property name must not be empty');
    return { kind: 'name', name, offset: start };
  }

  private parseSubscript(start: number): Accessor {
    const c = this.peek();
    if (c === undefined) {
      this.error(start, "subscript is missing closing bracket ']'");
      return { kind: 'subscript', key: '', offset: start };
    }
    let key: string | number;
    if (c === '"') {
      this.offset++;
      key = this.parseStringSubscript(start);
    } else {
      key = this.parseIndexSubscript(start);
    }
    if (this.peek() !== ']') this.error(start, "subscript is missing closing bracket ']'");
    else this.offset++;
    return { kind: 'subscript', key, offset: start };
  }

  private parseStringSubscript(start: number): string {
    let key = '';
    for (;;) {
      const c = this.peek();
      if (c === undefined) {
        this.error(start + 1, "key subscript is missing closing quote '\"'");
        return key;
      }
      this.offset++;
      if (c === '"') {
        if (key === '') this.error(start + 1, 'key subscript must not be empty');
        return key;
      }
      if (c === '\\' && this.peek() === '"') {
        this.offset++;
        key += '"';
        continue;
      }
      key += c;
    }
  }

  private parseIndexSubscript(start: number): string | number {
    let end = this.offset;
    while (end < this.text.length && this.text[end] !== ']' && !terminatesName(this.text[end]!)) end++;
    const digits = this.text.slice(this.offset, end);
    this.offset = end;
    // Go's strconv.ParseInt: optional sign, decimal digits, must fit in 64 bits.
    if (!/^[-+]?[0-9]+$/.test(digits) || !Number.isSafeInteger(Number(digits))) {
      this.error(start + 1, 'numeric subscript must be a positive base-10 integer');
      return digits;
    }
    if (this.accessors.length === 0) {
      this.error(start, 'the first accessor must be a property name or key subscript, not a numeric subscript');
    }
    return Number(digits);
  }
}

/** Splits a string into literal text and `${...}` accesses. `$$` is an escaped `$`. */
export function parseInterpolation(value: string): ParsedInterpolation {
  const parts: InterpolationPart[] = [];
  const problems: ParseProblem[] = [];
  let text = '';
  let i = 0;
  while (i < value.length) {
    if (value.startsWith('$$', i)) {
      text += '$';
      i += 2;
    } else if (value.startsWith('${', i)) {
      const parser = new AccessParser(value, i + 2);
      i = parser.parse();
      problems.push(...parser.problems);
      parts.push({ text, access: { accessors: parser.accessors } });
      text = '';
    } else {
      text += value[i];
      i++;
    }
  }
  if (text !== '') parts.push({ text });
  return { parts, problems };
}

/** Parses a property path such as `a.b[0]["c"]` (used for `rotatePaths` and CLI property paths). */
export function parsePropertyPath(path: string): { accessors: readonly Accessor[]; problems: readonly ParseProblem[] } {
  const parser = new AccessParser(`${path}}`, 0);
  parser.parse();
  return { accessors: parser.accessors, problems: parser.problems };
}

/** Writes accessors back as a path relative to `values` (`a.p`, `a["x y"][0]`). */
export function formatAccessors(accessors: readonly Accessor[]): string {
  let out = '';
  for (const a of accessors) {
    if (a.kind === 'name') out += out === '' ? a.name : `.${a.name}`;
    else if (typeof a.key === 'number') out += `[${a.key}]`;
    else out += `["${a.key.replace(/"/g, '\\"')}"]`;
  }
  return out;
}
