// Editing environment definitions in place with the yaml Document API, so comments, key order and
// formatting of everything not touched survive `escd env set` and `escd env get --show-secrets`.
import { Document, isMap, isScalar, isSeq, LineCounter, parseDocument, Scalar, YAMLMap, YAMLSeq, type Node } from 'yaml';
import { DefinitionError, formatPath, type PathElement } from './path.js';

function parseWithPosition(source: string): { doc: Document; problem?: { line: number; column: number; message: string } } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, uniqueKeys: false, prettyErrors: false, version: '1.2' });
  const first = doc.errors[0];
  if (!first) return { doc };
  const { line, col } = lineCounter.linePos(first.pos[0]);
  return { doc, problem: { line, column: col, message: first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '') } };
}

/** The first YAML syntax error of a definition with its position (the evaluator reports none). */
export function syntaxProblem(source: string): { line: number; column: number; message: string } | undefined {
  return parseWithPosition(source).problem;
}

/** Parses a definition as the evaluator does (YAML 1.2); a syntax error names file, line and column. */
export function parseDefinition(source: string, file: string): Document {
  const { doc, problem } = parseWithPosition(source);
  if (problem) throw new DefinitionError(`${file}:${problem.line}:${problem.column}: error: ${problem.message}`);
  if (doc.contents !== null && !isMap(doc.contents) && !(isScalar(doc.contents) && doc.contents.value === null)) {
    throw new DefinitionError(`${file}:1:1: error: an environment definition must be a mapping (with keys such as imports and values)`);
  }
  return doc;
}

/**
 * Writes a definition back as text. Flow collections stay unpadded (`{a: 1}`, `[x]`), as people
 * and the reference's emitter write them.
 */
export function renderDefinition(doc: Document): string {
  return doc.toString({ flowCollectionPadding: false });
}

const keyText = (key: unknown): string | undefined => (isScalar(key) ? String(key.value) : typeof key === 'string' ? key : undefined);
const isEmpty = (node: unknown): boolean => node === null || node === undefined || (isScalar(node) && node.value === null);

function kindOf(node: unknown): string {
  if (isMap(node)) return 'an object';
  if (isSeq(node)) return 'an array';
  if (isScalar(node)) return node.value === null ? 'null' : typeof node.value === 'string' ? 'a string' : `a ${typeof node.value}`;
  return 'not a collection';
}

/**
 * Sets `path` to `value` as the reference CLI does: the path is relative to `values` unless it
 * starts with `imports`; missing objects and arrays are created; an index may append (= length).
 */
export function setValue(doc: Document, path: readonly PathElement[], value: Node): void {
  if (path.length === 0) throw new DefinitionError('path must contain at least one element');
  if (isEmpty(doc.contents)) doc.contents = new YAMLMap();
  const root = doc.contents as YAMLMap;
  const top = path[0] === 'imports' ? 'imports' : 'values';
  const rest = top === 'imports' ? path.slice(1) : path;
  // Top-level keys are case-insensitive for the evaluator: `Values:` is `values`.
  const pair = root.items.find((p) => keyText(p.key)?.toLowerCase() === top);
  const updated = assign(doc, pair?.value, rest, value, top === 'imports' ? ['imports'] : []);
  if (pair) pair.value = updated;
  else root.items.push(doc.createPair(top, updated));
}

/** A replaced value keeps the comments written around it (`key: old # note` → `key: new # note`). */
function keepComments(old: unknown, value: Node): Node {
  if (isScalar(old) || isMap(old) || isSeq(old)) {
    if (old.comment && !value.comment) value.comment = old.comment;
    if (old.commentBefore && !value.commentBefore) value.commentBefore = old.commentBefore;
  }
  return value;
}

/**
 * The reference replaces a node's kind, tag, value and content but keeps its style: a new scalar in
 * place of a quoted one stays quoted, a new collection is written in block style unless it replaces
 * a flow one.
 */
function replaceNode(old: unknown, value: Node): Node {
  if (isScalar(value)) {
    value.type = isScalar(old) ? old.type : undefined;
    if (isScalar(old) && typeof old.value !== typeof value.value) value.type = undefined;
  } else if (isMap(value) || isSeq(value)) {
    value.flow = (isMap(old) || isSeq(old)) && old.flow === true;
  }
  return keepComments(old, value);
}

/**
 * Removes `path` as the reference CLI's `env rm <env> <path>` does (relative to `values` unless it
 * starts with `imports`); a missing last key is no change.
 */
export function removeValue(doc: Document, path: readonly PathElement[]): void {
  if (path.length === 0) throw new DefinitionError('path must contain at least one element');
  const top = path[0] === 'imports' ? 'imports' : 'values';
  const rest = top === 'imports' ? path.slice(1) : path;
  let node: unknown = isMap(doc.contents) ? (doc.contents.items.find((p) => keyText(p.key)?.toLowerCase() === top)?.value ?? null) : null;
  const prefix: PathElement[] = top === 'imports' ? ['imports'] : [];
  if (top === 'imports' && rest.length === 0) {
    const root = doc.contents as YAMLMap;
    root.items = root.items.filter((p) => keyText(p.key)?.toLowerCase() !== 'imports');
    return;
  }
  for (const [i, step] of rest.entries()) {
    prefix.push(step);
    const last = i === rest.length - 1;
    if (isSeq(node)) {
      if (typeof step !== 'number') throw new DefinitionError(`${formatPath(prefix)}: key for an array must be an int`);
      if (step < 0 || step >= node.items.length) throw new DefinitionError(`${formatPath(prefix)}: array index out of range`);
      if (last) node.items.splice(step, 1);
      else node = node.items[step];
    } else if (isMap(node)) {
      if (typeof step !== 'string') throw new DefinitionError(`${formatPath(prefix)}: key for a map must be a string`);
      const index = node.items.findIndex((p) => keyText(p.key) === step);
      if (last) {
        if (index >= 0) node.items.splice(index, 1);
        // The yaml library keeps the comment above a nested mapping's first key on the mapping;
        // it belongs to that key (as go-yaml has it) and goes with it.
        if (index === 0 && !node.flow && node !== doc.contents) delete node.commentBefore;
      } else {
        node = index >= 0 ? node.items[index]!.value : null;
      }
    } else {
      throw new DefinitionError(`${formatPath(prefix)}: expected an array or an object`);
    }
  }
}

function assign(doc: Document, current: unknown, path: readonly PathElement[], value: Node, done: PathElement[]): Node {
  if (path.length === 0) return replaceNode(current, value);
  const [step, ...rest] = path as [PathElement, ...PathElement[]];
  const here = done.length === 0 ? 'values' : formatPath(done);
  let node = current;
  if (isEmpty(node)) node = typeof step === 'number' ? new YAMLSeq() : new YAMLMap();
  // `values: {}` grows into a block mapping, not an ever longer flow line.
  if ((isMap(node) || isSeq(node)) && node.flow && node.items.length === 0) node.flow = false;
  if (isMap(node)) {
    if (typeof step !== 'string') throw new DefinitionError(`${here} is an object: use a key, not the index [${step}]`);
    const pair = node.items.find((p) => keyText(p.key) === step);
    const child = assign(doc, pair?.value, rest, value, [...done, step]);
    if (pair) pair.value = child;
    else node.items.push(doc.createPair(step, child));
    return node;
  }
  if (isSeq(node)) {
    if (typeof step !== 'number') throw new DefinitionError(`${here} is an array: use an index such as [0], not the key ${JSON.stringify(step)}`);
    if (step > node.items.length) throw new DefinitionError(`${here}[${step}] is out of range: the array has ${node.items.length} element(s); use [${node.items.length}] to append`);
    const child = assign(doc, node.items[step], rest, value, [...done, step]);
    if (step === node.items.length) node.items.push(child);
    else node.items[step] = child;
    return node;
  }
  throw new DefinitionError(`cannot set ${formatPath([...done, ...path])}: ${here} is ${kindOf(node)}, not an object or an array`);
}

/** Parses a command-line value as YAML (`--string` skips this); an empty value is the empty string. */
export function parseValue(text: string): Node {
  const parsed = parseDocument(text, { prettyErrors: false, version: '1.2' });
  const first = parsed.errors[0];
  if (first) throw new DefinitionError(`invalid value: ${first.message.split('\n')[0]}`);
  if (isEmpty(parsed.contents) && text.trim() === '') return new Scalar('');
  return (parsed.contents ?? new Scalar(null)) as Node;
}

/** A literal string node (`--string`), quoted in the file when YAML would read it as something else. */
export function stringValue(text: string): Node {
  return new Scalar(text);
}

/** The `fn::secret: {ciphertext: ...}` node for a sealed secret. */
export function secretNode(doc: Document, ciphertext: string): Node {
  return doc.createNode({ 'fn::secret': { ciphertext } });
}

/**
 * The text a `--secret` value stands for: a YAML string's content (`'"quoted"'` → `quoted`),
 * otherwise the argument as typed (minus one final line break), so that any password works
 * (`1234`, `[x`, `a: b`) and a value that is not valid YAML is never quoted back in an error.
 */
export function secretPlaintext(raw: string): string {
  try {
    const node = parseValue(raw);
    if (isScalar(node) && typeof node.value === 'string') return node.value;
  } catch {
    // Not YAML: the text itself.
  }
  return raw.replace(/\r?\n$/, '');
}

/** One `fn::secret` in a definition: a plaintext string, or a `{ciphertext}` envelope. */
export interface SecretSite {
  readonly form: 'plaintext' | 'ciphertext';
  /** The plaintext, or the base64 ciphertext. */
  readonly text: string;
  /** 1-based line of the `fn::secret` object, for messages. */
  readonly line: number;
  /** Inside the top-level `values` (the reference decrypts only there). */
  readonly underValues: boolean;
  /** Rewrites this site as `fn::secret: <plaintext>` (comments kept). */
  showPlaintext(plaintext: string): void;
  /** Rewrites this site as `fn::secret: {ciphertext: ...}` (comments and flow style kept). */
  showCiphertext(ciphertext: string): void;
}

const SECRET_KEY = 'fn::secret';

/** Every `fn::secret` call in the document, in document order. */
export function findSecrets(doc: Document, source: string): SecretSite[] {
  const lineAt = (offset: number): number => source.slice(0, offset).split('\n').length;
  const sites: SecretSite[] = [];
  const walk = (node: unknown, underValues: boolean, top: boolean): void => {
    if (isSeq(node)) node.items.forEach((item) => walk(item, underValues, false));
    if (!isMap(node)) return;
    const only = node.items.length === 1 ? node.items[0]! : undefined;
    if (only && !top && keyText(only.key) === SECRET_KEY) {
      const site = secretSite(doc, node, only, underValues, lineAt(node.range?.[0] ?? 0));
      if (site) {
        sites.push(site);
        return;
      }
    }
    for (const pair of node.items) walk(pair.value, underValues || (top && keyText(pair.key)?.toLowerCase() === 'values'), false);
  };
  walk(doc.contents, false, true);
  return sites;
}

function secretSite(doc: Document, holder: YAMLMap, pair: YAMLMap['items'][number], underValues: boolean, line: number): SecretSite | undefined {
  const value = pair.value;
  const base = {
    line,
    underValues,
    showPlaintext(plaintext: string): void {
      const old = innerScalar(pair.value);
      pair.value = keepComments(old, new Scalar(plaintext));
    },
    showCiphertext(ciphertext: string): void {
      const old = pair.value;
      const scalar = keepComments(innerScalar(old), new Scalar(ciphertext));
      const inner = doc.createNode({}) as YAMLMap;
      inner.flow = holder.flow ?? false;
      inner.items.push(doc.createPair('ciphertext', scalar));
      pair.value = inner;
    },
  };
  if (isScalar(value) && typeof value.value === 'string') return { ...base, form: 'plaintext', text: value.value };
  if (isMap(value) && value.items.length === 1) {
    const inner = value.items[0]!;
    if (keyText(inner.key) === 'ciphertext' && isScalar(inner.value) && typeof inner.value.value === 'string') {
      return { ...base, form: 'ciphertext', text: inner.value.value };
    }
  }
  return undefined;
}

/** The scalar that holds a secret's text: the value itself, or the `ciphertext` inside it. */
function innerScalar(value: unknown): unknown {
  if (isMap(value) && value.items.length === 1) return value.items[0]!.value;
  return value;
}

/**
 * Secrets at rest: every plaintext `fn::secret` anywhere in the document becomes a ciphertext.
 * `reuse` maps plaintexts to the ciphertexts they were shown from, so an unchanged secret keeps
 * its exact ciphertext (no diff noise after an edit).
 */
export async function sealSecrets(
  doc: Document,
  source: string,
  seal: (plaintext: string) => Promise<string>,
  reuse: ReadonlyMap<string, string> = new Map(),
): Promise<{ rewritten: number; fresh: number }> {
  const plain = findSecrets(doc, source).filter((s) => s.form === 'plaintext');
  let fresh = 0;
  for (const site of plain) {
    let ciphertext = reuse.get(site.text);
    if (ciphertext === undefined) {
      ciphertext = await seal(site.text);
      fresh++;
    }
    site.showCiphertext(ciphertext);
  }
  return { rewritten: plain.length, fresh };
}

export interface RevealProblem {
  readonly line: number;
  readonly message: string;
}

/** Shows the ciphertexts under `values` as plaintext; returns plaintext → ciphertext and what could not be opened. */
export async function revealSecrets(
  doc: Document,
  source: string,
  open: (ciphertext: string) => Promise<string>,
): Promise<{ shown: Map<string, string>; problems: RevealProblem[] }> {
  const shown = new Map<string, string>();
  const problems: RevealProblem[] = [];
  for (const site of findSecrets(doc, source)) {
    if (site.form !== 'ciphertext' || !site.underValues) continue;
    try {
      const plaintext = await open(site.text);
      site.showPlaintext(plaintext);
      shown.set(plaintext, site.text);
    } catch (err) {
      problems.push({ line: site.line, message: (err as Error).message });
    }
  }
  return { shown, problems };
}
