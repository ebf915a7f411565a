// Syntax tree → environment AST: imports, values, expressions and builtin calls, with the load-stage
// diagnostics of §5.1, §5.3 and §5.6. Pure.
import { parseInterpolation, type PropertyAccess } from './interpolation.js';
import { goQuote } from './go-quote.js';
import type { ObjectSyntax, Position, ScalarSyntax, SyntaxNode } from './syntax.js';
import type { EscNumber } from './value.js';

export interface LoadProblem {
  readonly severity: 'error' | 'warning';
  readonly summary: string;
  readonly pos?: Position;
  readonly path?: string;
}

interface ExprBase {
  /** The syntax node the expression came from (position and document path of its diagnostics). */
  readonly node: SyntaxNode;
}

export interface LiteralExpr extends ExprBase {
  readonly kind: 'literal';
  readonly value: null | boolean | EscNumber | string;
}
export interface InterpolateExpr extends ExprBase {
  readonly kind: 'interpolate';
  readonly node: ScalarSyntax;
  readonly parts: readonly { readonly text: string; readonly access?: PropertyAccess }[];
}
export interface SymbolExpr extends ExprBase {
  readonly kind: 'symbol';
  readonly node: ScalarSyntax;
  readonly access: PropertyAccess;
}
export interface ArrayExpr extends ExprBase {
  readonly kind: 'array';
  readonly items: readonly Expr[];
}
export interface ObjectEntry {
  readonly key: string;
  readonly keyNode: ScalarSyntax;
  readonly value: Expr;
}
export interface ObjectExpr extends ExprBase {
  readonly kind: 'object';
  readonly entries: readonly ObjectEntry[];
  readonly keys: KeyIndex;
}

/**
 * The keys of an object's entries as evaluation looks them up and walks them, computed once per
 * parsed document (a cached document is evaluated again and again; a map and a sort per object and
 * evaluation cost more than the rest of a large environment's evaluation).
 */
export interface KeyIndex {
  /** Each key's first entry (its index in the entries); a later entry with the same key is a duplicate. */
  readonly first: ReadonlyMap<string, number>;
  /** The keys of `first` with their entries, in sorted key order (UTF-16 code units, as `Array.prototype.sort`): evaluation order. */
  readonly sorted: readonly { readonly key: string; readonly entry: number; readonly value: Expr }[];
  /** The entries of `first` whose value is an object or an array (declared with their parent), in source order. */
  readonly nested: readonly number[];
  /** Whether some key repeats. */
  readonly repeats: boolean;
}

export function keyIndex(entries: readonly { readonly key: string; readonly value: Expr }[]): KeyIndex {
  const first = new Map<string, number>();
  const nested: number[] = [];
  entries.forEach((e, i) => {
    if (first.has(e.key)) return;
    first.set(e.key, i);
    if (e.value.kind === 'object' || e.value.kind === 'array') nested.push(i);
  });
  const sorted = [...first]
    .map(([key, entry]) => ({ key, entry, value: entries[entry]!.value }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { first, sorted, nested, repeats: first.size !== entries.length };
}

/** A builtin call; `node` is the object holding the single `fn::` key. */
interface BuiltinBase extends ExprBase {
  readonly kind: 'builtin';
  readonly name: string;
}
export interface OpenExpr extends BuiltinBase {
  readonly fn: 'open';
  readonly provider?: string;
  readonly inputs?: Expr;
}
export interface RotateExpr extends BuiltinBase {
  readonly fn: 'rotate';
  readonly provider?: string;
  readonly inputs?: Expr;
  readonly state?: Expr;
  /** The argument node (for patches' DocPath). */
  readonly keyPath: string;
}
export interface SecretExpr extends BuiltinBase {
  readonly fn: 'secret';
  readonly plaintext?: string;
  readonly ciphertext?: string;
}
export interface UnaryExpr extends BuiltinBase {
  readonly fn: 'toJSON' | 'fromJSON' | 'toString' | 'toBase64' | 'fromBase64' | 'final' | 'concat';
  readonly arg: Expr;
}
export interface BinaryExpr extends BuiltinBase {
  readonly fn: 'join' | 'split';
  readonly first?: Expr;
  readonly second?: Expr;
}
export interface ValidateExpr extends BuiltinBase {
  readonly fn: 'validate';
  readonly schema?: Expr;
  readonly value?: Expr;
}
export type BuiltinExpr = OpenExpr | RotateExpr | SecretExpr | UnaryExpr | BinaryExpr | ValidateExpr;

export type Expr = LiteralExpr | InterpolateExpr | SymbolExpr | ArrayExpr | ObjectExpr | BuiltinExpr;

export interface ImportDecl {
  readonly node: SyntaxNode;
  readonly name: string;
  readonly merge: boolean;
}

export interface ValueEntry {
  readonly key: string;
  readonly keyNode: ScalarSyntax;
  readonly value: Expr;
}

export interface EnvironmentDecl {
  readonly imports: readonly ImportDecl[];
  readonly values: readonly ValueEntry[];
  readonly keys: KeyIndex;
  /** How many syntax nodes the document has (see SyntaxNode.id). */
  readonly nodes: number;
  /** True when the document has `values` or `imports` entries (an environment with neither evaluates to nothing). */
  readonly hasContent: boolean;
}

/** Column-exact position of an offset inside a scalar, or the scalar's start when the text is not exact. */
export function offsetPosition(node: ScalarSyntax, offset: number): Position {
  return node.exactText ? { line: node.pos.line, column: node.pos.column + offset } : node.pos;
}

class AstBuilder {
  readonly problems: LoadProblem[] = [];

  error(node: { pos: Position; path: string }, summary: string, severity: 'error' | 'warning' = 'error'): void {
    this.problems.push({ severity, summary, pos: node.pos, path: node.path });
  }

  parseString(node: ScalarSyntax, value: string): LiteralExpr | InterpolateExpr | SymbolExpr {
    const { parts, problems } = parseInterpolation(value);
    for (const p of problems) this.problems.push({ severity: 'error', summary: p.summary, pos: offsetPosition(node, p.offset), path: node.path });
    if (parts.length === 0) return { kind: 'literal', node, value: '' };
    if (parts.length === 1) {
      const only = parts[0]!;
      if (only.access === undefined) return { kind: 'literal', node, value: only.text };
      if (only.text === '') return { kind: 'symbol', node, access: only.access };
    }
    return { kind: 'interpolate', node, parts };
  }

  expr(node: SyntaxNode): Expr {
    switch (node.kind) {
      case 'scalar':
        if (typeof node.value === 'string') return this.parseString(node, node.value);
        return { kind: 'literal', node, value: node.value };
      case 'array':
        return { kind: 'array', node, items: node.items.map((item) => this.expr(item)) };
      case 'object':
        return this.object(node);
    }
  }

  private object(node: ObjectSyntax): Expr {
    if (node.entries.length === 1) {
      const builtin = this.builtin(node);
      if (builtin !== undefined) return builtin;
    } else {
      for (const entry of node.entries) {
        const k = entry.key.value as string;
        if (k.startsWith('fn::')) {
          this.error(node, `illegal call to builtin function: ${goQuote(k)} must be the only key within its containing object`);
        }
      }
    }
    const entries: ObjectEntry[] = [];
    for (const entry of node.entries) {
      const keyExpr = this.parseString(entry.key, entry.key.value as string);
      const value = this.expr(entry.value);
      if (keyExpr.kind !== 'literal') {
        this.error(entry.key, 'object keys must be strings');
        continue;
      }
      entries.push({ key: keyExpr.value as string, keyNode: entry.key, value });
    }
    return { kind: 'object', node, entries, keys: keyIndex(entries) };
  }

  private builtin(node: ObjectSyntax): Expr | undefined {
    const entry = node.entries[0]!;
    const key = entry.key.value as string;
    const base = { kind: 'builtin' as const, node, name: key };
    const argNode = entry.value;
    const parse = (): Expr => this.expr(argNode);
    switch (key) {
      case 'fn::open':
        return this.open(base, parse());
      case 'fn::rotate':
        return this.rotate(base, parse(), undefined, entry.key.path);
      case 'fn::secret':
        return this.secret(base, parse());
      case 'fn::toJSON':
      case 'fn::fromJSON':
      case 'fn::toString':
      case 'fn::toBase64':
      case 'fn::fromBase64':
      case 'fn::final':
        return { ...base, fn: key.slice(4) as UnaryExpr['fn'], arg: parse() };
      case 'fn::concat': {
        const arg = parse();
        if (arg.kind !== 'array') this.error(arg.node, 'the argument to fn::concat must be an array of arrays');
        return { ...base, fn: 'concat', arg };
      }
      case 'fn::join':
      case 'fn::split': {
        const arg = parse();
        const fn = key.slice(4) as 'join' | 'split';
        if (arg.kind !== 'array' || arg.items.length !== 2) {
          this.error(arg.node, `the argument to fn::${fn} must be a two-valued list`);
          return { ...base, fn };
        }
        return { ...base, fn, first: arg.items[0]!, second: arg.items[1]! };
      }
      case 'fn::validate':
        return this.validate(base, parse());
      default:
        break;
    }
    if (key.startsWith('fn::open::')) {
      return { ...base, fn: 'open', provider: key.slice('fn::open::'.length), inputs: parse() };
    }
    if (key.startsWith('fn::rotate::')) {
      return this.rotate(base, parse(), key.slice('fn::rotate::'.length), entry.key.path);
    }
    if (key.toLowerCase().startsWith('fn::')) {
      this.problems.push({ severity: 'error', summary: "'fn::' is a reserved prefix", pos: entry.key.pos, path: node.path });
    }
    return undefined;
  }

  private open(base: Omit<BuiltinBase, 'fn'>, args: Expr): OpenExpr {
    if (args.kind !== 'object') {
      this.error(args.node, "the argument to fn::open must be an object containing 'provider' and 'inputs'");
      return { ...base, fn: 'open' };
    }
    const providerExpr = args.entries.find((e) => e.key === 'provider')?.value;
    const inputs = args.entries.find((e) => e.key === 'inputs')?.value;
    let provider: string | undefined;
    if (providerExpr === undefined) this.error(args.node, "missing provider name ('provider')");
    else if (providerExpr.kind !== 'literal' || typeof providerExpr.value !== 'string') {
      this.error(providerExpr.node, 'provider name must be a string literal');
    } else provider = providerExpr.value;
    if (inputs === undefined) this.error(args.node, "missing provider inputs ('inputs')");
    return { ...base, fn: 'open', provider, inputs };
  }

  private rotate(base: Omit<BuiltinBase, 'fn'>, args: Expr, shortProvider: string | undefined, keyPath: string): RotateExpr {
    if (args.kind !== 'object') {
      const wants = shortProvider === undefined ? "'provider', 'inputs' and 'state'" : "'inputs' and 'state'";
      this.error(args.node, `the argument to fn::rotate must be an object containing ${wants}`);
      return { ...base, fn: 'rotate', keyPath };
    }
    let provider = shortProvider;
    if (shortProvider === undefined) {
      const providerExpr = args.entries.find((e) => e.key === 'provider')?.value;
      if (providerExpr === undefined) this.error(args.node, "missing provider name ('provider')");
      else if (providerExpr.kind !== 'literal' || typeof providerExpr.value !== 'string') {
        this.error(providerExpr.node, 'provider name must be a string literal');
      } else provider = providerExpr.value;
    }
    const inputs = args.entries.find((e) => e.key === 'inputs')?.value;
    const state = args.entries.find((e) => e.key === 'state')?.value;
    if (inputs === undefined) this.error(args.node, "missing provider inputs ('inputs')");
    if (state !== undefined && state.kind !== 'object') this.error(state.node, 'rotation state must be an object literal');
    return { ...base, fn: 'rotate', provider, inputs, state, keyPath };
  }

  private secret(base: Omit<BuiltinBase, 'fn'>, args: Expr): SecretExpr {
    if (args.kind === 'object' && args.entries.length === 1 && args.entries[0]!.key === 'ciphertext') {
      const value = args.entries[0]!.value;
      if (value.kind === 'literal' && typeof value.value === 'string') return { ...base, fn: 'secret', ciphertext: value.value };
    }
    if (args.kind === 'literal' && typeof args.value === 'string') return { ...base, fn: 'secret', plaintext: args.value };
    this.error(args.node, 'secret values must be string literals');
    return { ...base, fn: 'secret', plaintext: '' };
  }

  private validate(base: Omit<BuiltinBase, 'fn'>, args: Expr): ValidateExpr {
    if (args.kind !== 'object') {
      this.error(args.node, "the argument to fn::validate must be an object containing 'schema' and 'value'");
      return { ...base, fn: 'validate' };
    }
    const schema = args.entries.find((e) => e.key === 'schema')?.value;
    const value = args.entries.find((e) => e.key === 'value')?.value;
    if (schema === undefined) this.error(args.node, "missing required property 'schema'");
    if (value === undefined) this.error(args.node, "missing required property 'value'");
    return { ...base, fn: 'validate', schema, value };
  }
}

const TOP_LEVEL_FIELDS = ['imports', 'values', 'description'] as const;

/** Builds the environment declaration from a parsed YAML document. */
export function buildEnvironment(root: SyntaxNode | undefined, nodes: number): { env: EnvironmentDecl; problems: LoadProblem[] } {
  const builder = new AstBuilder();
  const empty: EnvironmentDecl = emptyEnvironment();
  if (root === undefined) return { env: empty, problems: builder.problems };
  if (root.kind !== 'object') {
    builder.error(root, 'environment must be an object');
    return { env: empty, problems: builder.problems };
  }

  // Top-level keys match case-insensitively; a repeated one warns and the last wins.
  const fields = new Map<string, SyntaxNode>();
  for (const entry of root.entries) {
    const key = entry.key.value as string;
    const field = TOP_LEVEL_FIELDS.find((f) => f === key.toLowerCase());
    if (field === undefined) {
      builder.error(
        entry.key,
        `Field '${key}' does not exist on Object 'environment'. Existing fields are: ${TOP_LEVEL_FIELDS.map((f) => `'${f}'`).join(', ')}`,
        'warning',
      );
      continue;
    }
    if (fields.has(field)) builder.error(entry.key, `duplicate key ${goQuote(key)}`, 'warning');
    fields.set(field, entry.value);
  }

  const imports: ImportDecl[] = [];
  let importCount = 0;
  const importsNode = fields.get('imports');
  if (importsNode !== undefined) {
    if (importsNode.kind !== 'array') builder.error(importsNode, 'imports must be a list');
    else {
      importCount = importsNode.items.length;
      for (const item of importsNode.items) {
        const decl = parseImport(builder, item);
        if (decl !== undefined) imports.push(decl);
      }
    }
  }

  const values: ValueEntry[] = [];
  let valueCount = 0;
  const valuesNode = fields.get('values');
  if (valuesNode !== undefined && !(valuesNode.kind === 'scalar' && valuesNode.value === null)) {
    if (valuesNode.kind !== 'object') builder.error(valuesNode, 'values must be an object');
    else {
      valueCount = valuesNode.entries.length;
      for (const entry of valuesNode.entries) {
        const key = entry.key.value as string;
        if (key.startsWith('fn::')) {
          builder.error(entry.key, `builtin function call ${goQuote(key)} not allowed at the top level`);
          continue;
        }
        values.push({ key, keyNode: entry.key, value: builder.expr(entry.value) });
      }
    }
  }

  const descriptionNode = fields.get('description');
  if (descriptionNode !== undefined && descriptionNode.kind !== 'scalar') builder.error(descriptionNode, 'description must be a string');

  return { env: { imports, values, keys: keyIndex(values), nodes, hasContent: importCount > 0 || valueCount > 0 }, problems: builder.problems };
}

export const emptyEnvironment = (): EnvironmentDecl => ({ imports: [], values: [], keys: keyIndex([]), nodes: 0, hasContent: false });

function parseImport(builder: AstBuilder, node: SyntaxNode): ImportDecl | undefined {
  if (node.kind === 'scalar' && typeof node.value === 'string') return { node, name: node.value, merge: true };
  if (node.kind === 'object') {
    if (node.entries.length !== 1) {
      builder.error(node, 'import must have a single key');
      return undefined;
    }
    const entry = node.entries[0]!;
    let merge = true;
    const meta = entry.value;
    if (meta.kind === 'object') {
      for (const m of meta.entries) {
        if (m.key.value === 'merge') {
          if (m.value.kind === 'scalar' && typeof m.value.value === 'boolean') merge = m.value.value;
          else builder.error(m.value, 'merge must be a boolean');
        }
      }
    } else if (!(meta.kind === 'scalar' && meta.value === null)) {
      builder.error(meta, 'import must be an object');
    }
    return { node, name: entry.key.value as string, merge };
  }
  builder.error(node, 'import must be a string or an object');
  return undefined;
}

// goQuote moved to go-quote.ts; re-exported for existing importers.
export { goQuote };
