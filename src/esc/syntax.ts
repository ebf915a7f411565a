// YAML text → a small syntax tree with source positions and document paths.
// The `yaml` package does the parsing; this module only reshapes its nodes so the rest of the
// language never touches the YAML library, and rejects what ESC does not support (aliases,
// non-string keys are reported later by the AST builder).
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, Scalar } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import { EscNumber } from './value.js';
import { formatGoFloat } from './numbers.js';

export interface Position {
  readonly line: number;
  readonly column: number;
}

/** A position with its UTF-8 byte offset, as source ranges in value traces carry it. */
export interface SourcePos extends Position {
  readonly byte: number;
}

/**
 * The source range of a node as the reference reports it in traces: it begins at the node and ends
 * at the end of its last item (a flow collection's closing bracket is not included), and a scalar
 * ends its value's length in bytes after its start (a literal block scalar: on its last line).
 */
export interface SourceRange {
  readonly begin: SourcePos;
  readonly end: SourcePos;
}

interface SyntaxBase {
  /** Its number in the document (0, 1, …, in no particular order): evaluation memoizes per node by it. */
  readonly id: number;
  readonly pos: Position;
  readonly range: SourceRange;
  /** Document path, e.g. `values.a["fn::open"][0]`. */
  readonly path: string;
}

export interface ScalarSyntax extends SyntaxBase {
  readonly kind: 'scalar';
  readonly value: null | boolean | EscNumber | string;
  /** True for a single-line plain scalar, whose value text is its source text (positions of `${...}` parts are exact). */
  readonly exactText: boolean;
}

export interface ArraySyntax extends SyntaxBase {
  readonly kind: 'array';
  readonly items: readonly SyntaxNode[];
}

export interface EntrySyntax {
  readonly key: ScalarSyntax;
  readonly value: SyntaxNode;
}

export interface ObjectSyntax extends SyntaxBase {
  readonly kind: 'object';
  readonly entries: readonly EntrySyntax[];
}

export type SyntaxNode = ScalarSyntax | ArraySyntax | ObjectSyntax;

export interface SyntaxError {
  readonly summary: string;
  readonly pos?: Position;
  readonly path?: string;
}

export interface ParsedYaml {
  /** Absent for an empty document or a syntax error. */
  readonly root?: SyntaxNode;
  /** A YAML syntax error stops everything (reported without position, like the reference). */
  readonly fatal?: SyntaxError;
  /** Non-fatal problems (aliases, non-string keys). */
  readonly errors: readonly SyntaxError[];
  /** How many nodes the tree numbered (every `id` is below it). */
  readonly nodes: number;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Appends a key to a document path (§5.9). */
export function joinKey(path: string, key: string): string {
  if (IDENTIFIER.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}["${key.replace(/"/g, '\\"')}"]`;
}

export function joinIndex(path: string, index: number): string {
  return `${path}[${index}]`;
}

const INT = /^[-+]?[0-9]+$/;

function scalarValue(node: Scalar): null | boolean | EscNumber | string {
  const value: unknown = node.value;
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') {
    const source = typeof node.source === 'string' ? node.source.trim() : String(value);
    if (INT.test(source)) return new EscNumber(source.startsWith('+') ? source.slice(1) : source);
    if (typeof value === 'bigint') return new EscNumber(value.toString());
    if (Number.isInteger(value) && /^[-+]?0[xXoO]/.test(source)) return new EscNumber(String(value));
    return new EscNumber(formatGoFloat(value));
  }
  return String(value);
}

/** Parses YAML source into the syntax tree. Never throws. */
export function parseYaml(source: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, uniqueKeys: false, keepSourceTokens: false, prettyErrors: false, version: '1.2' });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const offset = first.pos[0];
    const line = lineCounter.linePos(offset).line;
    let message = first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    if (/call stack/i.test(message)) message = 'document is nested too deeply';
    return { fatal: { summary: `yaml: line ${line}: ${message}` }, errors: [], nodes: 0 };
  }
  const errors: SyntaxError[] = [];
  let nodes = 0;
  const position = (offset: number | undefined): Position => {
    const p = lineCounter.linePos(offset ?? 0);
    return { line: p.line, column: p.col };
  };
  const at = sourcePositions(source);
  const scalarRange = (node: Scalar, begin: Position): SourceRange => {
    const value: unknown = node.value;
    // The reference measures the value (a string's decoded text, another scalar's source), not the source text.
    let text = typeof value === 'string' ? value : typeof node.source === 'string' ? node.source : String(value ?? '');
    let line = begin.line;
    if (node.type === Scalar.BLOCK_LITERAL) {
      const lines = text.split('\n');
      line += lines.length - 1;
      text = lines[lines.length - 1]!;
    }
    return { begin: at(begin.line, begin.column), end: at(line, begin.column + Buffer.byteLength(text, 'utf8')) };
  };
  const pointRange = (begin: Position): SourceRange => {
    const p = at(begin.line, begin.column);
    return { begin: p, end: p };
  };
  const collectionRange = (begin: Position, last: SyntaxNode | undefined): SourceRange => ({
    begin: at(begin.line, begin.column),
    end: last === undefined ? at(begin.line, begin.column) : last.range.end,
  });

  const convert = (node: unknown, path: string, fallbackOffset: number): SyntaxNode => {
    if (node === null || node === undefined) {
      const pos = position(fallbackOffset);
      return { id: nodes++, kind: 'scalar', value: null, pos, range: pointRange(pos), path, exactText: false };
    }
    const yamlNode = node as YamlNode;
    const start = yamlNode.range?.[0] ?? fallbackOffset;
    if (isAlias(node)) {
      const pos = position(start);
      errors.push({ summary: 'alias nodes are not supported', pos, path });
      return { id: nodes++, kind: 'scalar', value: null, pos, range: pointRange(pos), path, exactText: false };
    }
    if (isScalar(node)) {
      const value = scalarValue(node);
      if (node.source === '' && value === null) {
        // An empty node sits right after its indicator (`- `, `key: `), as the reference places it.
        let offset = start;
        while (offset > 0 && (source[offset - 1] === ' ' || source[offset - 1] === '\t')) offset--;
        const pos = position(offset);
        return { id: nodes++, kind: 'scalar', value, pos, range: pointRange(pos), path, exactText: false };
      }
      const exactText =
        node.type === Scalar.PLAIN && typeof value === 'string' && typeof node.source === 'string' && !node.source.includes('\n');
      const pos = position(start);
      return { id: nodes++, kind: 'scalar', value, pos, range: scalarRange(node, pos), path, exactText };
    }
    if (isSeq(node)) {
      const items = node.items.map((item, i) => convert(item, joinIndex(path, i), start));
      const pos = position(start);
      return { id: nodes++, kind: 'array', items, pos, range: collectionRange(pos, items[items.length - 1]), path };
    }
    if (isMap(node)) {
      const entries: EntrySyntax[] = [];
      let last: SyntaxNode | undefined;
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key as unknown;
        const keyStart = (keyNode as YamlNode | null)?.range?.[0] ?? start;
        let key: ScalarSyntax;
        const valueNode = pair.value as unknown;
        const valueFallback = (keyNode as YamlNode | null)?.range?.[2] ?? keyStart;
        if (isScalar(keyNode)) {
          // Non-string scalar keys (`1:`, `true:`, `null:`) are their source text, as in the reference.
          const raw = typeof keyNode.value === 'string' ? keyNode.value : String(keyNode.source ?? keyNode.value ?? '');
          const exactText = keyNode.type === Scalar.PLAIN && typeof keyNode.source === 'string' && !keyNode.source.includes('\n');
          const pos = position(keyStart);
          key = { id: nodes++, kind: 'scalar', value: raw, pos, range: scalarRange(keyNode, pos), path: joinKey(path, raw), exactText };
        } else {
          errors.push({ summary: 'mapping keys must be strings', pos: position(keyStart), path });
          continue;
        }
        last = convert(valueNode, key.path, valueFallback);
        entries.push({ key, value: last });
      }
      const pos = position(start);
      return { id: nodes++, kind: 'object', entries, pos, range: collectionRange(pos, last), path };
    }
    const pos = position(start);
    return { id: nodes++, kind: 'scalar', value: null, pos, range: pointRange(pos), path, exactText: false };
  };

  if (doc.contents === null || doc.contents === undefined) return { errors, nodes };
  const root = convert(doc.contents, '', 0);
  if (root.kind === 'scalar' && root.value === null) return { errors, nodes };
  return { root, errors, nodes };
}

/**
 * `(line, column)` → a SourcePos with its byte offset, by the reference's position index: a line past
 * the last line break of the text has no byte offset (0); on an ASCII line the column is the offset
 * (even past the line's end), on another one the offset stops at the line's end.
 */
function sourcePositions(source: string): (line: number, column: number) => SourcePos {
  const ascii = !/[^\x00-\x7f]/.test(source);
  const starts = [0];
  for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) starts.push(i + 1);
  const byteStarts = ascii ? starts : starts.map((s) => Buffer.byteLength(source.slice(0, s), 'utf8'));
  return (line, column) => {
    if (line < 1 || line >= starts.length) return { line, column, byte: 0 };
    if (ascii) return { line, column, byte: starts[line - 1]! + column - 1 };
    const from = starts[line - 1]!;
    const text = source.slice(from, Math.min(from + column - 1, starts[line]! - 1));
    return { line, column, byte: byteStarts[line - 1]! + Buffer.byteLength(text, 'utf8') };
  };
}
