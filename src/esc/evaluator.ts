// The evaluator: imports, merging, references, builtins (§5). One Evaluation per top-level call;
// each environment of the import graph is evaluated once in it. Side effects are limited to the
// injected loader, providers and cipher; bad input only ever becomes diagnostics.
import { ProviderError, type Provider, type ProviderIssue, type Schema } from './provider.js';
import { decodeCiphertext, EnvelopeError } from '../secrets/envelope.js';
import type { Accessor } from './interpolation.js';
import {
  offsetPosition,
  type KeyIndex,
  type BinaryExpr,
  type BuiltinExpr,
  type EnvironmentDecl,
  type Expr,
  type ImportDecl,
  type OpenExpr,
  type RotateExpr,
  type SecretExpr,
  type UnaryExpr,
  type ValidateExpr,
  type LoadProblem,
} from './ast.js';
import * as builtins from './builtins.js';
import { isSchemaObject } from './schema/document.js';
import { goQuote } from './go-quote.js';
import {
  containsSecret,
  containsUnknown,
  copyVal,
  fromEsc,
  isKnownObject,
  secretDeep,
  stringify,
  toEscValue,
  typeName,
  unknownVal,
  val,
  type Site,
  type Val,
  type ValData,
} from './val.js';
import { decodeJSON, encodeJSON } from './go-json.js';
import { schemaItem, schemaProperty, validateSchema } from './schema.js';
import { joinIndex, joinKey, type ScalarSyntax, type SyntaxNode } from './syntax.js';
import type { Diagnostic, EvaluateOptions, RotationPatch, Rotator } from './types.js';
import { EscNumber, fromJS, isArray, secretTexts, type EscValue } from './value.js';
import { suggestKey } from './suggest.js';
import { loadDocument } from './document.js';
import { DEFAULT_LIMITS, overLimits, textTooLarge, weigh, type EvaluationLimits, type Weight } from './limits.js';
import { redact } from '../secrets/redact.js';

const enum State {
  Pending,
  Active,
  Done,
}

/** A declared expression of one environment, with its base and evaluation state. */
interface XNode {
  readonly expr?: Expr;
  /** Where it is (see pathOf): none for the root. */
  readonly parent?: XNode;
  /** Its key or index in `parent`; none for a builtin's argument (at its call's path). */
  readonly step?: string | number;
  readonly base?: Val;
  /** Objects: the entries, their keys, and the children by entry index (see Slot). */
  readonly entries?: readonly { readonly key: string; readonly value: Expr }[];
  readonly keys?: KeyIndex;
  readonly props?: Slot[];
  /** Arrays: the items (see Slot). */
  readonly items?: Slot[];
  state: State;
  value?: Val;
}

/**
 * A child of an object or array node. Objects and arrays are declared with their parent (declaring
 * reports their duplicate keys); any other expression only when it is first needed (undefined until
 * then), and a plain literal usually never: its value is the same in every evaluation (literal()).
 * Null: a duplicate or reserved key, which declares nothing.
 */
type Slot = XNode | undefined | null;

/** The path of a node relative to `values` (for `cyclic reference to P`), made only when reported. */
function pathOf(x: XNode): string {
  if (x.parent === undefined) return '';
  const parent = pathOf(x.parent);
  if (x.step === undefined) return parent;
  return typeof x.step === 'number' ? joinIndex(parent, x.step) : joinKey(parent, x.step);
}

/** The keys of object node `x` that are declared, in source order (for "did you mean"). */
function propKeys(x: XNode): string[] {
  return [...x.keys!.first].filter(([, entry]) => x.props![entry] !== null).map(([key]) => key);
}

/**
 * What an environment's evaluations share of one parsed document: each node's site and each plain
 * literal's value, made once (the document cache keeps a parsed document while its text is evaluated
 * again). Per-key allocation is what made 10,000 keys cost twice as much per key as 1,000: all of an
 * evaluation stays alive until it ends, so each scavenge during it copies what it made so far, and its
 * data no longer fits the CPU caches. Values are never modified once made (a change makes a new one),
 * so one serves every evaluation.
 */
interface NodeMemo {
  readonly sites: (Site | undefined)[];
  readonly literals: (Val | undefined)[];
  /** Per object, by place in its sorted keys (KeyIndex.sorted): see ObjectMemo. */
  readonly objects: Map<KeyIndex, ObjectMemo>;
  /** `fn::secret` ciphertexts by node: the envelope's payload, or why it has none (the reference's reason). */
  readonly ciphertexts: Map<number, Uint8Array | string>;
  /** Per array node: its value when its items were all constants, given again while they are the same (as ObjectMemo.shared). */
  readonly arrays: Map<number, { readonly items: readonly Val[]; readonly val: Val }>;
}

/**
 * An object's literal values by the place of their key in sorted order, so that evaluating it reads
 * two arrays front to back instead of following each entry through the syntax tree (10,000 entries'
 * expressions and nodes are spread over more memory than the CPU caches hold), and each literal's
 * value as a result shows it (frozen: every result of the document shares it, as it shares the value).
 */
interface ObjectMemo {
  /**
   * The keys in sorted order, copied together when the memo is made: the result's map is keyed by
   * them, and a map of 10,000 entries reads each key it adds; the parser's strings lie scattered among
   * everything else it made, these lie next to each other (building the map ~15 % faster at 10,000).
   */
  readonly keys: readonly string[];
  readonly literals: (Val | undefined)[];
  /**
   * A reference or interpolation whose every target is a plain literal with nothing imported at its
   * path: a constant, made once, and used while no import merged under the environment holds one of
   * those paths (unshadowed).
   */
  readonly folded: (Val | undefined)[];
  readonly exported: (EscValue | undefined)[];
  /** An object's or array's value when it was the one shared by every evaluation (EnvEval.sharedValue): a constant here too (exported when the map is made). */
  readonly nested: (Val | undefined)[];
  /**
   * A nested object with nothing merged under it whose values are all constants (literals, folded
   * references, shared objects): its value, made once and given again while its values are the very
   * ones it was made from, so that an environment holding it is made of constants too. Read-only like
   * every value: merging copies a map it did not make itself, and only the root's map is converted in place.
   */
  shared?: { readonly values: readonly (Val | undefined)[]; readonly val: Val; weight?: Weight };
  /**
   * The exported map of the last evaluation that made it from constants alone (literals and folded
   * references, the same objects each time) and the entries of the imports merged under them, with
   * what it was made from: the same values over the same imported entries (the very objects, which
   * are never modified once made) give the same map, which results share (EscObject is read-only).
   * A map of more than 4,096 entries lives in V8's large-object space, and building one maps fresh
   * pages from the kernel: the part of evaluating a large environment that grew faster than its
   * number of keys. Any other value (a provider's output, an override of an imported key, a value
   * read from an import) makes a map of its own each evaluation.
   */
  constant?: {
    readonly values: readonly (Val | undefined)[];
    readonly underKeys: readonly string[];
    readonly under: readonly Val[];
    readonly map: Map<string, Val>;
    /** Its expanded size (the limits), the same for every evaluation that shares it. */
    weight?: Weight;
  };
}

/** Whether two lists hold the very same objects, in the same order (what a memo of constants checks). */
function sameObjects(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The memo's constant map when `values` over `under` (the imports' entries) are the very ones it was made from. */
function sameConstantMap(memo: ObjectMemo, values: readonly (Val | undefined)[], under: ReadonlyMap<string, Val> | undefined): ObjectMemo['constant'] {
  const made = memo.constant;
  if (made === undefined || made.under.length !== (under?.size ?? 0) || !sameObjects(values, made.values)) return undefined;
  if (under !== undefined) {
    let i = 0;
    for (const [k, v] of under) {
      if (k !== made.underKeys[i] || v !== made.under[i]) return undefined;
      i++;
    }
  }
  return made;
}

/** Per parsed document (held by the document cache), per environment name. */
const nodeMemos = new WeakMap<EnvironmentDecl, Map<string, NodeMemo>>();

function nodeMemo(decl: EnvironmentDecl, name: string): NodeMemo {
  let byName = nodeMemos.get(decl);
  if (byName === undefined) nodeMemos.set(decl, (byName = new Map()));
  let memo = byName.get(name);
  if (memo === undefined) {
    const sites: (Site | undefined)[] = [];
    const literals: (Val | undefined)[] = [];
    for (let i = 0; i < decl.nodes; i++) {
      sites.push(undefined);
      literals.push(undefined);
    }
    byName.set(name, (memo = { sites, literals, objects: new Map(), ciphertexts: new Map(), arrays: new Map() }));
  }
  return memo;
}

interface ImportState {
  evaluating: boolean;
  value?: Val;
}

export type EvaluationStage = 'check' | 'eval' | 'rotate';

/**
 * State shared by the two passes of a live evaluation. The scout pass evaluates with provider
 * outputs unknown and starts every `fn::open` whose inputs are already known, so independent
 * providers run concurrently; the final pass then awaits those calls instead of making them.
 * Both passes are deterministic, so the final pass asks for exactly the calls the scout started.
 */
export class SharedPasses {
  readonly calls = new Map<string, Promise<EscValue>>();
  readonly sources = new Map<string, Promise<string>>();
  /** Work the scout left for the final pass (provider calls started, rotations skipped). */
  deferred = 0;
  expiresAt?: Date;
  /** Imports the scout evaluated before it deferred anything: the final pass takes them as they are (Settled). */
  readonly settled = new Map<string, Settled>();

  noteExpiry(at: Date): void {
    if (this.expiresAt === undefined || at.getTime() < this.expiresAt.getTime()) this.expiresAt = at;
  }
}

/**
 * What importing one environment did in the scout pass, for the final pass to take instead of doing
 * it again: every import state it made (its own and those of environments it imported first), the
 * names it loaded and the diagnostics it reported, in order. Only an import that the scout finished
 * before deferring anything is kept: everything it read was then made without a deferred call, so
 * the final pass would make exactly the same (both passes are deterministic). The imports of an
 * environment are evaluated before its values, so in a graph whose provider calls are in the values
 * of its root (the 26-environment bench graph), no import is evaluated twice.
 */
interface Settled {
  readonly imports: readonly (readonly [string, ImportState])[];
  readonly loaded: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
}

/** Shared state of one pass of a top-level evaluation. */
export class Evaluation {
  readonly diagnostics: Diagnostic[] = [];
  readonly loaded: string[] = [];
  readonly imports = new Map<string, ImportState>();
  /** The entries of `imports` in the order they were made (a scout's Settled takes the ones an import made). */
  private readonly importLog: (readonly [string, ImportState])[] = [];
  readonly patches: RotationPatch[] = [];
  /**
   * The root environment's value when its entries were exported as they were made (evaluateActive):
   * then it is the result as it stands, its map holding EscValues (see evaluate.ts run()).
   */
  exportedRoot?: Val;
  expiresAt?: Date;
  /** Expressions being evaluated right now (one pass evaluates sequentially). */
  depth = 0;
  readonly limits: EvaluationLimits;
  private readonly deadline: number;
  private timedOut = false;
  /** weigh()'s memo for this pass: expanded sizes of the values made so far. */
  private readonly weights = new Map<Val, Weight>();

  /**
   * @param stage `check` calls no provider and decrypts only with showSecrets; `rotate` also calls
   *   the rotators of the root environment selected by `rotatePaths` (document paths; all when undefined).
   */
  constructor(
    readonly options: Omit<EvaluateOptions, 'mode'>,
    readonly stage: EvaluationStage,
    readonly rotatePaths?: ReadonlySet<string>,
    readonly shared: SharedPasses = new SharedPasses(),
    readonly scout = false,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.deadline = Date.now() + this.limits.evaluationMs;
  }

  /** False (reported once, at `site`) when the evaluation has run past its time limit. */
  inTime(site: Site | undefined): boolean {
    if (this.timedOut) return false;
    if (Date.now() <= this.deadline) return true;
    this.timedOut = true;
    this.report('error', `evaluation took longer than ${this.limits.evaluationMs / 1000} s (evaluation limit)`, site);
    return false;
  }

  /** Whether the time limit was found passed already (the clock is not read: for a constant, which costs no time). */
  get timeRanOut(): boolean {
    return this.timedOut;
  }

  /**
   * The expanded size of `v`: `known` when an earlier evaluation weighed the same map (ObjectMemo.constant),
   * else weighed now; remembered for bounded(), which would otherwise walk every entry again.
   */
  weighAs(v: Val, known: Weight | undefined): Weight {
    if (known === undefined) return weigh(v, this.weights);
    this.weights.set(v, known);
    return known;
  }

  /** Whether a scalar is within the size limits (bounded() would return it as it is). */
  withinLimits(v: Val): boolean {
    const d = v.data;
    return !Array.isArray(d) && !(d instanceof Map) && this.limits.values >= 1 && (typeof d !== 'string' || d.length <= this.limits.valueBytes);
  }

  /** The value, or unknown with a diagnostic at `site` when it is over the size limits. */
  bounded(v: Val, site: Site | undefined): Val {
    // A scalar is weighed on the spot (weigh() makes an object for it): one value, its length in bytes.
    if (this.withinLimits(v)) return v;
    const over = overLimits(weigh(v, this.weights), this.limits);
    if (over === undefined) return v;
    this.report('error', over, site);
    return unknownVal(site, { secret: v.secret });
  }

  /** The loader's answer for `name`, asked once for both passes. */
  loadSource(name: string): Promise<string> {
    let pending = this.shared.sources.get(name);
    if (pending === undefined) {
      pending = this.options.loader(name).then((loaded) => loaded.source);
      pending.catch(() => undefined);
      this.shared.sources.set(name, pending);
    }
    return pending;
  }

  /** Whether ciphertexts are decrypted and providers opened. */
  get live(): boolean {
    return this.stage !== 'check';
  }

  report(severity: 'error' | 'warning', summary: string, site: Site | undefined): void {
    const d: { -readonly [K in keyof Diagnostic]: Diagnostic[K] } = { stage: this.stage, severity, summary };
    if (site !== undefined) {
      d.file = site.file;
      d.line = site.pos.line;
      d.column = site.pos.column;
      d.path = site.path;
    }
    this.diagnostics.push(d);
  }

  reportLoadProblems(file: string, problems: readonly LoadProblem[]): void {
    for (const p of problems) {
      this.report(p.severity, p.summary, p.pos === undefined ? undefined : { file, pos: p.pos, path: p.path ?? '' });
    }
  }

  noteExpiry(at: Date): void {
    if (this.expiresAt === undefined || at.getTime() < this.expiresAt.getTime()) this.expiresAt = at;
  }

  /**
   * Evaluates environment `name` (once per evaluation). Returns undefined when it cannot be used:
   * a cycle (reported at `site`), a loader failure or a document with load errors.
   */
  async importEnvironment(name: string, site: Site, inheritedRoot: string | undefined): Promise<Val | undefined> {
    this.options.signal?.throwIfAborted();
    const existing = this.imports.get(name);
    if (existing !== undefined) {
      if (existing.evaluating) {
        this.report('error', `cyclic import of ${name}`, site);
        return undefined;
      }
      return existing.value;
    }
    const settled = this.scout ? undefined : this.shared.settled.get(name);
    if (settled !== undefined) {
      for (const [imported, state] of settled.imports) this.setImport(imported, state);
      this.loaded.push(...settled.loaded);
      this.diagnostics.push(...settled.diagnostics);
      return this.imports.get(name)?.value;
    }
    if (!this.scout) return this.importFresh(name, site, inheritedRoot);
    const before = { imports: this.importLog.length, loaded: this.loaded.length, diagnostics: this.diagnostics.length };
    const value = await this.importFresh(name, site, inheritedRoot);
    if (this.shared.deferred === 0 && !this.timedOut) {
      this.shared.settled.set(name, {
        imports: this.importLog.slice(before.imports),
        loaded: this.loaded.slice(before.loaded),
        diagnostics: this.diagnostics.slice(before.diagnostics),
      });
    }
    return value;
  }

  private setImport(name: string, state: ImportState): void {
    this.imports.set(name, state);
    this.importLog.push([name, state]);
  }

  private async importFresh(name: string, site: Site, inheritedRoot: string | undefined): Promise<Val | undefined> {
    let source: string;
    try {
      source = await this.loadSource(name);
    } catch (err) {
      this.report('error', err instanceof Error ? err.message : String(err), site);
      return undefined;
    }
    this.loaded.push(name);
    const tooLarge = textTooLarge(source, this.limits);
    if (tooLarge) {
      this.report('error', `${name}: ${tooLarge}`, site);
      this.setImport(name, { evaluating: false });
      return undefined;
    }
    const doc = loadDocument(source);
    if (doc.fatal !== undefined) {
      this.report('error', doc.fatal, undefined);
      this.setImport(name, { evaluating: false });
      return undefined;
    }
    this.reportLoadProblems(name, doc.problems);
    if (doc.problems.some((p) => p.severity === 'error')) {
      this.setImport(name, { evaluating: false });
      return undefined;
    }
    return this.evaluateEnvironment(name, doc.env, inheritedRoot, false);
  }

  /** Evaluates one environment's document (the root, or an import). */
  async evaluateEnvironment(name: string, decl: EnvironmentDecl, inheritedRoot: string | undefined, isRoot: boolean): Promise<Val> {
    const state: ImportState = { evaluating: true };
    this.setImport(name, state);
    const env = new EnvEval(this, name, decl, inheritedRoot, isRoot);
    const value = await env.evaluate();
    state.evaluating = false;
    state.value = value;
    return value;
  }
}

const RESERVED_KEYS = ['imports', 'context', 'environments'] as const;

/** Three comparisons, not a Set look-up: a key of the same length as one of them made that a string comparison each. */
const isReserved = (key: string): boolean => key === 'imports' || key === 'context' || key === 'environments';

/** Reference chains and nesting deeper than this are reported instead of exhausting the stack. */
const MAX_DEPTH = 400;

/** Evaluation of one environment. */
class EnvEval {
  private base?: Val;
  /** Maps of `base` owned by this environment's import folding (see merge). */
  private readonly baseMaps = new WeakSet<Map<string, Val>>();
  private readonly myImports = new Map<string, Val>();
  private contextValue?: Val;
  private root!: XNode;
  /** What this environment's imports see as `context.rootEnvironment.name` (undefined: themselves). */
  private readonly rootForImports: string | undefined;
  private readonly rootName: string;
  private readonly memo: NodeMemo;
  /** Set by knownAt: whether the value it found is a plain literal's (see ObjectMemo.folded). */
  private knownLiteral = false;
  /** Set by evaluateKnown: whether the value it made is a constant (every target a plain literal's). */
  private knownConstant = false;
  /** Whether `base` has a top-level key this environment declares (see unshadowed), once it is known. */
  private overlap?: boolean;

  constructor(
    private readonly ev: Evaluation,
    readonly name: string,
    private readonly decl: EnvironmentDecl,
    inheritedRoot: string | undefined,
    private readonly isRoot: boolean,
  ) {
    this.rootName = inheritedRoot ?? name;
    // An anonymous root (`<yaml>`) does not count as a root for its imports (§5.8).
    this.rootForImports = inheritedRoot ?? (name === '<yaml>' ? undefined : name);
    this.memo = nodeMemo(decl, name);
  }

  site(node: SyntaxNode): Site {
    let site = this.memo.sites[node.id];
    if (site === undefined) this.memo.sites[node.id] = site = { file: this.name, pos: node.pos, path: node.path, range: node.range };
    return site;
  }

  /** A ciphertext's envelope payload, or why it has none: decoded once per document (decrypting is done every time). */
  private decodedCiphertext(id: number, ciphertext: string): Uint8Array | string {
    let decoded = this.memo.ciphertexts.get(id);
    if (decoded === undefined) {
      try {
        decoded = decodeCiphertext(ciphertext);
      } catch (err) {
        decoded = err instanceof EnvelopeError ? err.message : 'invalid envelope';
      }
      this.memo.ciphertexts.set(id, decoded);
    }
    return decoded;
  }

  private objectMemo(keys: KeyIndex): ObjectMemo {
    let memo = this.memo.objects.get(keys);
    if (memo === undefined) {
      const size = keys.sorted.length;
      memo = {
        // A new string each (V8 copies a short slice; a longer one points into its own fresh parent).
        keys: keys.sorted.map((e) => (' ' + e.key).slice(1)),
        literals: new Array<Val | undefined>(size).fill(undefined),
        folded: new Array<Val | undefined>(size).fill(undefined),
        exported: new Array<EscValue | undefined>(size).fill(undefined),
        nested: new Array<Val | undefined>(size).fill(undefined),
      };
      this.memo.objects.set(keys, memo);
    }
    return memo;
  }

  /** The value of a literal (the same object in every evaluation of this document). */
  private literal(expr: Extract<Expr, { kind: 'literal' }>): Val {
    let v = this.memo.literals[expr.node.id];
    if (v === undefined) this.memo.literals[expr.node.id] = v = val(expr.value, { site: this.site(expr.node) });
    return v;
  }

  accessorSite(node: SyntaxNode, accessor: Accessor): Site {
    const pos = node.kind === 'scalar' ? offsetPosition(node, accessor.offset) : node.pos;
    return { file: this.name, pos, path: node.path };
  }

  /** `context` as a value, made when first read (most environments never read it). */
  private get context(): Val {
    if (this.contextValue === undefined) {
      const ctx = { ...this.ev.options.context } as Record<string, unknown>;
      ctx['currentEnvironment'] = { name: this.name };
      ctx['rootEnvironment'] = { name: this.rootName };
      this.contextValue = fromEsc(fromJS(ctx), { file: this.name, pos: { line: 0, column: 0 }, path: '' });
    }
    return this.contextValue;
  }

  async evaluate(): Promise<Val> {
    for (const imp of this.decl.imports) await this.evaluateImport(imp);

    const keys = this.decl.keys;
    // Sized at once (holes: not declared yet): pushing 10,000 slots grew it through a dozen copies.
    const props: Slot[] = new Array<Slot>(this.decl.values.length);
    const root: XNode = { base: this.base, entries: this.decl.values, keys, props, state: State.Pending };
    this.root = root;
    if (keys.repeats || RESERVED_KEYS.some((k) => keys.first.has(k))) {
      this.decl.values.forEach((entry, i) => {
        if (isReserved(entry.key)) {
          this.ev.report('error', `${goQuote(entry.key)} is a reserved key`, this.site(entry.keyNode));
          props[i] = null;
        } else if (keys.repeats && keys.first.get(entry.key) !== i) {
          this.ev.report('error', `duplicate key ${goQuote(entry.key)}`, this.site(entry.keyNode));
          props[i] = null;
        } else if (entry.value.kind === 'object' || entry.value.kind === 'array') {
          props[i] = this.declare(entry.value, root, entry.key, property(this.base, entry.key));
        }
      });
    } else {
      // Nothing to report: only the objects and arrays are declared now (Slot), without a walk over every entry.
      for (const i of keys.nested) {
        const entry = this.decl.values[i]!;
        props[i] = this.declare(entry.value, root, entry.key, property(this.base, entry.key));
      }
    }
    return this.evaluateNode(root);
  }

  private async evaluateImport(imp: ImportDecl): Promise<void> {
    const value = await this.ev.importEnvironment(imp.name, this.site(imp.node), this.rootForImports);
    if (value === undefined) return;
    this.myImports.set(imp.name, value);
    if (imp.merge) this.base = this.merge(value, this.base, this.baseMaps);
  }

  private declare(expr: Expr, parent: XNode | undefined, step: string | number | undefined, base: Val | undefined): XNode {
    if (expr.kind === 'object') {
      const keys = expr.keys;
      const props: Slot[] = new Array<Slot>(expr.entries.length);
      const x: XNode = { expr, parent, step, base, entries: expr.entries, keys, props, state: State.Pending };
      if (keys.repeats) {
        expr.entries.forEach((entry, i) => {
          if (keys.first.get(entry.key) !== i) {
            this.ev.report('error', `duplicate key ${goQuote(entry.key)}`, this.site(entry.keyNode));
            props[i] = null;
          } else if (entry.value.kind === 'object' || entry.value.kind === 'array') {
            props[i] = this.declare(entry.value, x, entry.key, property(base, entry.key));
          }
        });
      } else {
        for (const i of keys.nested) {
          const entry = expr.entries[i]!;
          props[i] = this.declare(entry.value, x, entry.key, property(base, entry.key));
        }
      }
      return x;
    }
    if (expr.kind === 'array') {
      const items: Slot[] = new Array<Slot>(expr.items.length);
      const x: XNode = { expr, parent, step, base, items, state: State.Pending };
      expr.items.forEach((item, i) => {
        if (item.kind === 'object' || item.kind === 'array') items[i] = this.declare(item, x, i, undefined);
      });
      return x;
    }
    return { expr, parent, step, base, state: State.Pending };
  }

  /** The child of object node `x` at entry `entry` (undefined: a duplicate or reserved key). */
  private propAt(x: XNode, entry: number): XNode | undefined {
    const slot = x.props![entry];
    if (slot !== undefined) return slot ?? undefined;
    const { key, value } = x.entries![entry]!;
    const child = this.declare(value, x, key, property(x.base, key));
    x.props![entry] = child;
    return child;
  }

  /** The child of object node `x` at `key`. */
  private propOf(x: XNode, key: string): XNode | undefined {
    const entry = x.keys?.first.get(key);
    return entry === undefined ? undefined : this.propAt(x, entry);
  }

  /** Item `index` of array node `x`. */
  private itemAt(x: XNode, index: number): XNode {
    const slot = x.items![index];
    if (slot) return slot;
    const item = this.declare((x.expr as Extract<Expr, { kind: 'array' }>).items[index]!, x, index, undefined);
    x.items![index] = item;
    return item;
  }

  /**
   * Merges `top` over `base` (§5.2): objects key by key, anything else replaces; final values win
   * with a warning. `scratch` holds maps this merge may update in place instead of copying: the
   * imports of an environment are folded into one base, and copying the growing base for every
   * import would be quadratic.
   */
  private merge(top: Val, base: Val | undefined, scratch?: WeakSet<Map<string, Val>>): Val {
    if (base === undefined || base === top) return top;
    if (base.final) {
      this.ev.report('warning', 'cannot override final value', top.site);
      return base;
    }
    if (!isKnownObject(top) || !isKnownObject(base)) {
      const out = copyVal(top);
      out.base = base;
      return out;
    }
    let merged: Map<string, Val>;
    if (scratch !== undefined && scratch.has(base.data as Map<string, Val>)) merged = base.data as Map<string, Val>;
    else {
      merged = new Map(base.data);
      scratch?.add(merged);
    }
    const own = new Map<string, Val>();
    for (const [k, v] of top.data) {
      const b = merged.get(k);
      const m = b === undefined ? v : this.merge(v, b, scratch);
      merged.set(k, m);
      own.set(k, m);
    }
    // `merged` holds every key of the base, so lookups need not fall through to it; a base folded in
    // place is read through `own` for traces (val.ts exportTraced).
    const out = copyVal(top);
    out.data = merged;
    out.base = base;
    out.own = own;
    return out;
  }

  /** Literals without an imported base, synchronously (most nodes; spares an async call each). */
  private evaluateLiteral(x: XNode): Val | undefined {
    if (x.state === State.Done) return x.value;
    if (x.state !== State.Pending || x.base !== undefined || x.expr?.kind !== 'literal') return undefined;
    x.value = this.literal(x.expr);
    x.state = State.Done;
    return x.value;
  }

  /**
   * A reference or an interpolation whose every target is evaluated already or a plain literal,
   * synchronously: the bulk of a large environment (`b: ${a}-x`), spared the chain of async calls of
   * the general path, whose allocations made 10,000 keys cost far more per key than 1,000. Exactly what
   * evaluateNode would give (such a node reports nothing); undefined: take the general path.
   */
  private evaluateKnown(x: XNode): Val | undefined {
    const expr = x.expr;
    if (x.state !== State.Pending || x.base !== undefined || expr === undefined || (expr.kind !== 'symbol' && expr.kind !== 'interpolate')) return undefined;
    let value: Val;
    const site = this.site(expr.node);
    let constant = true;
    if (expr.kind === 'symbol') {
      const v = this.knownAt(expr.access.accessors);
      if (v === undefined) return undefined;
      constant = this.knownLiteral;
      const copy = copyVal(v);
      copy.site = site;
      value = copy;
    } else {
      // A part not known yet, or a text past the limit (the general path reports it): nothing joined is kept.
      const joined = newJoin();
      for (const part of expr.parts) {
        let v: Val | undefined;
        if (part.access !== undefined) {
          if ((v = this.knownAt(part.access.accessors)) === undefined) return undefined;
          constant &&= this.knownLiteral;
        }
        if (joinPart(joined, part.text, v, this.ev.limits.valueBytes)) return undefined;
      }
      value = joinedValue(joined, site);
    }
    this.knownConstant = constant;
    if (this.ev.depth >= MAX_DEPTH || !this.ev.inTime(site)) return undefined;
    x.value = this.ev.bounded(value, site);
    x.state = State.Done;
    return x.value;
  }

  /**
   * Whether a folded reference's targets are still the document's literals in this evaluation: what
   * knownAt checked when it folded them, that the imports merged under this environment hold nothing
   * at their paths (an import's value there, final or not, takes the general path). Without imports
   * merged under, nothing can.
   */
  private unshadowed(expr: Expr): boolean {
    if (this.base === undefined) return true;
    // A path leads into an import only through one of its top-level keys declared here too: most often none is.
    this.overlap ??= isKnownObject(this.base) && [...(this.base.data as ReadonlyMap<string, Val>).keys()].some((k) => this.decl.keys.first.has(k));
    if (!this.overlap) return true;
    if (expr.kind === 'symbol') return this.notImported(expr.access.accessors);
    if (expr.kind !== 'interpolate') return false;
    for (const part of expr.parts) if (part.access !== undefined && !this.notImported(part.access.accessors)) return false;
    return true;
  }

  /** Whether the value merged under this environment has nothing at `accessors` (knownAt's paths are names only). */
  private notImported(accessors: readonly Accessor[]): boolean {
    let under: Val | undefined = this.base;
    for (let i = 0; i < accessors.length && under !== undefined; i++) {
      const accessor = accessors[i]!;
      const key = accessor.kind === 'name' ? accessor.name : accessor.key;
      if (typeof key !== 'string') return false;
      under = property(under, key);
    }
    return under === undefined;
  }

  /** The value at `accessors` (from this environment's root) when it is known without evaluating anything that may wait. */
  private knownAt(accessors: readonly Accessor[]): Val | undefined {
    const first = accessors[0];
    if (first === undefined || (first.kind === 'name' ? isReserved(first.name) : typeof first.key !== 'string' || isReserved(first.key))) return undefined;
    let receiver = this.root;
    for (let i = 0; i < accessors.length; i++) {
      const accessor = accessors[i]!;
      const key = accessor.kind === 'name' ? accessor.name : accessor.key;
      const entry = typeof key === 'string' ? receiver.keys?.first.get(key) : undefined;
      if (entry === undefined) return undefined;
      // A plain literal at the end of the path needs no node (see evaluateActive).
      const expr = receiver.entries![entry]!.value;
      if (i === accessors.length - 1 && receiver.props![entry] === undefined && expr.kind === 'literal' && property(receiver.base, key as string) === undefined) {
        this.knownLiteral = true;
        return this.literal(expr);
      }
      const prop = this.propAt(receiver, entry);
      if (prop === undefined) return undefined;
      receiver = prop;
    }
    this.knownLiteral = receiver.expr?.kind === 'literal' && receiver.base === undefined;
    return this.evaluateLiteral(receiver);
  }

  private async evaluateNode(x: XNode): Promise<Val> {
    if (x.state === State.Done) return x.value!;
    const site = x.expr === undefined ? undefined : this.site(x.expr.node);
    if (x.state === State.Active) {
      this.ev.report('error', `cyclic reference to ${pathOf(x)}`, site);
      return unknownVal(site);
    }
    if (this.ev.depth >= MAX_DEPTH) {
      this.ev.report('error', `expressions are nested too deeply (more than ${MAX_DEPTH} levels)`, site);
      return unknownVal(site);
    }
    if (!this.ev.inTime(site)) return unknownVal(site);
    x.state = State.Active;
    this.ev.depth++;
    try {
      x.value = this.ev.bounded(await this.evaluateActive(x, site), site);
    } finally {
      this.ev.depth--;
    }
    x.state = State.Done;
    return x.value;
  }

  private async evaluateActive(x: XNode, site: Site | undefined): Promise<Val> {
    let v: Val;
    if (x.props !== undefined) {
      // Objects: children are evaluated (and merged with their own bases) in sorted key order.
      const sorted = x.keys!.sorted;
      const memo = this.objectMemo(x.keys!);
      // The values first, the map once they are all there: see below.
      const values = new Array<Val | undefined>(sorted.length);
      const imported = importedEntries(x, sorted.length);
      // An index loop: for-of in an async function allocated an iterator result per key.
      for (let i = 0; i < sorted.length; i++) {
        const { entry, value: expr } = sorted[i]!;
        const slot = x.props[entry];
        if (slot === null) continue;
        // A plain literal with nothing under it needs no node: its value is made once (literal(), ObjectMemo),
        // and so is a constant reference or interpolation (ObjectMemo.folded) while no import holds its targets.
        const fresh = slot === undefined && (imported === undefined ? property(x.base, memo.keys[i]!) === undefined : imported[entry] === 0);
        if (fresh) {
          const known = memo.literals[i];
          if (known !== undefined) {
            values[i] = known;
            continue;
          }
          if (expr.kind === 'literal') {
            values[i] = memo.literals[i] = this.literal(expr);
            continue;
          }
          const folded = memo.folded[i];
          // The checks evaluateKnown makes on the way (a breach takes the general path, which reports it),
          // but for the clock: like a literal, a constant costs no time (10,000 reads of it cost a quarter of the rest).
          if (folded !== undefined && this.unshadowed(expr) && this.ev.depth < MAX_DEPTH && !this.ev.timeRanOut && this.ev.withinLimits(folded)) {
            values[i] = folded;
            continue;
          }
        }
        const child = this.propAt(x, entry)!;
        let value = this.evaluateLiteral(child);
        if (value === undefined) {
          value = this.evaluateKnown(child);
          // Unknown: over the limits (reported now, and again each time: not kept).
          if (value !== undefined && fresh && this.knownConstant && !value.unknown) memo.folded[i] = value;
        }
        values[i] = value ?? (await this.evaluateNode(child));
        if (child.props !== undefined || child.items !== undefined) memo.nested[i] = this.sharedValue(child) === values[i] ? values[i] : undefined;
      }
      // Built in one go after the values: V8 keeps a map of more than 4,096 entries in its
      // large-object space, and one that a young-generation GC finds alive is moved to the old
      // generation at once, where it keeps whatever it points to alive until the next full GC. Filled
      // while its values were evaluated, a 10,000-key environment's map was there for most of its
      // evaluation, and took a copy of what it held into the old generation at each scavenge.
      // The top-level environment's values, when no traces are asked for, are the result: nothing reads
      // them as Vals any more, so their entries are exported as they are put in, sparing a second pass
      // over a map that no longer fits the CPU caches, and so are those of the imports merged under
      // them: one map, where merging made one of its own entries and then the merged one.
      const exporting = x === this.root && this.isRoot && !this.ev.options.traces && (x.base === undefined || isKnownObject(x.base));
      const under = exporting && x.base !== undefined ? (x.base.data as ReadonlyMap<string, Val>) : undefined;
      // A scout pass that left work for the final pass is thrown away with its result (evaluate.ts runLive):
      // its root's map, 10,000 entries for as many keys, is not made.
      if (x === this.root && this.isRoot && this.ev.scout && this.ev.shared.deferred > 0) return unknownVal(site);
      // Any other object than a root, with nothing merged under it, may be a constant (ObjectMemo.shared).
      const sharing = !exporting && x !== this.root && x.base === undefined;
      const shared = sharing && memo.shared !== undefined && sameObjects(values, memo.shared.values) ? memo.shared : undefined;
      if (shared !== undefined) {
        shared.weight = this.ev.weighAs(shared.val, shared.weight);
        return shared.val;
      }
      let made = exporting ? sameConstantMap(memo, values, under) : undefined;
      let out = made?.map;
      let constant = exporting || sharing;
      if (out === undefined) {
        out = new Map<string, Val>();
        if (under !== undefined) {
          // The imports' entries first, in their order: a key declared here keeps its place (as in merge())
          // and gets its value below (an import holds no reserved key, so every key declared here has one).
          for (const [k, b] of under) out.set(k, x.keys!.first.has(k) ? (undefined as unknown as Val) : (toEscValue(b) as Val));
        }
        for (let i = 0; i < sorted.length; i++) {
          const v = values[i];
          if (v === undefined) continue;
          if (!exporting) {
            out.set(memo.keys[i]!, v);
            if (constant && v !== memo.literals[i] && v !== memo.folded[i] && v !== memo.nested[i]) constant = false;
            continue;
          }
          // A literal's exported value is made once (the bulk of a large environment); anything else now.
          // An exported scalar is a Val (its extra fields are optional); an exported object's map holds EscValues, which nothing reads as Vals.
          let exported: EscValue | undefined;
          if (v === memo.literals[i] || v === memo.folded[i]) {
            exported = memo.exported[i];
            if (exported === undefined) memo.exported[i] = exported = Object.freeze(toEscValue(v));
          } else {
            exported = toEscValue(v);
            if (v !== memo.nested[i]) constant = false;
          }
          out.set(memo.keys[i]!, exported as Val);
        }
        if (constant && exporting) made = memo.constant = { values, underKeys: under === undefined ? [] : [...under.keys()], under: under === undefined ? [] : [...under.values()], map: out };
      }
      v = val(out, { site });
      if (constant && sharing) memo.shared = { values, val: v };
      if (made !== undefined) made.weight = this.ev.weighAs(v, made.weight);
      if (exporting) this.ev.exportedRoot = v;
      else if (x.base?.final && x.expr !== undefined) {
        this.ev.report('warning', 'cannot override final value', site);
        v = x.base;
      } else if (isKnownObject(x.base)) {
        const merged = new Map(x.base.data);
        for (const [k, item] of out) merged.set(k, item);
        const m = copyVal(v);
        m.data = merged;
        m.base = x.base;
        m.own = out;
        v = m;
      } else if (x.base !== undefined) {
        const m = copyVal(v);
        m.base = x.base;
        v = m;
      }
    } else {
      v = this.merge(await this.evaluateExpr(x, x.expr!), x.base);
    }
    return v;
  }

  private async evaluateExpr(x: XNode, expr: Expr): Promise<Val> {
    const site = this.site(expr.node);
    switch (expr.kind) {
      case 'literal':
        return this.literal(expr);
      case 'array': {
        const items: Val[] = [];
        let constant = true;
        for (let i = 0; i < expr.items.length; i++) {
          const item = this.itemAt(x, i);
          const v = this.evaluateLiteral(item) ?? this.evaluateKnown(item) ?? (await this.evaluateNode(item));
          items.push(v);
          if (constant && v !== this.sharedValue(item)) constant = false;
        }
        if (!constant) return val(items, { site });
        // Items that are all constants (literals, shared objects and arrays): the value made from them last time, if they are the same.
        const made = this.memo.arrays.get(expr.node.id);
        if (made !== undefined && sameObjects(items, made.items)) return made.val;
        const v = val(items, { site });
        this.memo.arrays.set(expr.node.id, { items, val: v });
        return v;
      }
      case 'object':
        throw new Error('objects are evaluated by evaluateNode');
      case 'symbol': {
        const v = copyVal(await this.evaluateAccess(expr.node, expr.access.accessors));
        v.site = site;
        return v;
      }
      case 'interpolate': {
        const joined = newJoin();
        for (const part of expr.parts) {
          const v = part.access === undefined ? undefined : await this.evaluateAccess(expr.node, part.access.accessors);
          // Checked as it grows: ten parts of a large string must not be joined first.
          if (joinPart(joined, part.text, v, this.ev.limits.valueBytes)) return this.ev.bounded(val(joined.text, { secret: joined.secret, site }), site);
        }
        return joinedValue(joined, site);
      }
      case 'builtin':
        return this.evaluateBuiltin(x, expr, site);
    }
  }

  /**
   * The value node `x` has when it is a constant shared by every evaluation of the document (a plain
   * literal's, ObjectMemo.shared, NodeMemo.arrays), to tell whether the value it gave is that one.
   */
  private sharedValue(x: XNode): Val | undefined {
    if (x.props !== undefined) return this.memo.objects.get(x.keys!)?.shared?.val;
    const expr = x.expr;
    if (expr?.kind === 'literal') return this.memo.literals[expr.node.id];
    if (expr?.kind === 'array') return this.memo.arrays.get(expr.node.id)?.val;
    return undefined;
  }

  /** Evaluates a sub-expression of a builtin (arguments are not merged with anything). */
  private async evaluateArg(x: XNode, expr: Expr): Promise<Val> {
    return this.evaluateNode(this.declare(expr, x, undefined, undefined));
  }

  // ---- property access (§5.3) ----

  private async evaluateAccess(node: ScalarSyntax, accessors: readonly Accessor[]): Promise<Val> {
    const first = accessors[0]!;
    const firstKey = first.kind === 'name' ? first.name : typeof first.key === 'string' ? first.key : undefined;
    if (firstKey === 'imports') {
      const imports = val(new Map(this.myImports));
      return this.valueAccess(node, imports, accessors.slice(1));
    }
    if (firstKey === 'context') return this.valueAccess(node, this.context, accessors.slice(1));
    if (firstKey === 'environments') return this.environmentAccess(node, accessors);

    let receiver: XNode = this.root;
    let rest = accessors;
    while (rest.length > 0) {
      const accessor = rest[0]!;
      if (receiver.items !== undefined) {
        const index = this.arrayIndex(node, accessor, receiver.items.length);
        if (index === undefined) return unknownVal(undefined);
        receiver = this.itemAt(receiver, index);
      } else if (receiver.props !== undefined) {
        const key = this.objectKey(node, accessor);
        if (key === undefined) return unknownVal(undefined);
        const prop = this.propOf(receiver, key);
        if (prop === undefined) {
          if (isKnownObject(receiver.base)) return this.valueAccess(node, receiver.base, rest);
          this.unknownProperty(node, accessor, key, propKeys(receiver));
          return unknownVal(undefined);
        }
        receiver = prop;
      } else {
        return this.valueAccess(node, await this.evaluateNode(receiver), rest);
      }
      rest = rest.slice(1);
    }
    return this.evaluateNode(receiver);
  }

  private async environmentAccess(node: ScalarSyntax, accessors: readonly Accessor[]): Promise<Val> {
    if (accessors.length < 3) return unknownVal(undefined);
    const project = this.objectKey(node, accessors[1]!);
    const envName = this.objectKey(node, accessors[2]!);
    if (project === undefined || envName === undefined) return unknownVal(undefined);
    const value = await this.ev.importEnvironment(`${project}/${envName}`, this.site(node), this.rootForImports);
    if (value === undefined) return unknownVal(undefined);
    return this.valueAccess(node, value, accessors.slice(3));
  }

  private valueAccess(node: ScalarSyntax, receiver: Val, accessors: readonly Accessor[]): Val {
    let current = receiver;
    for (let i = 0; i < accessors.length; i++) {
      const accessor = accessors[i]!;
      if (current.unknown) return this.unknownAccess(node, current.schema, accessors.slice(i), current.secret);
      const d = current.data;
      if (isArray(d)) {
        const items = d as readonly Val[];
        const index = this.arrayIndex(node, accessor, items.length);
        if (index === undefined) return unknownVal(undefined);
        current = items[index]!;
      } else if (d instanceof Map) {
        const key = this.objectKey(node, accessor);
        if (key === undefined) return unknownVal(undefined);
        const prop = d.get(key);
        if (prop === undefined) {
          // An object merged over a base already holds the base's keys (merge), so there is nothing to fall through to.
          this.unknownProperty(node, accessor, key, d.keys());
          return unknownVal(undefined);
        }
        current = prop;
      } else {
        this.ev.report('error', 'receiver must be an array or an object', this.accessorSite(node, accessor));
        return unknownVal(undefined);
      }
    }
    return current;
  }

  /** Accesses into an unknown value: unknown, unless its schema rules the accessor out. */
  private unknownAccess(node: ScalarSyntax, schema: Schema | undefined, accessors: readonly Accessor[], secret: boolean): Val {
    let s = schema;
    for (const accessor of accessors) {
      if (s === undefined || typeof s === 'boolean') {
        s = undefined;
        break;
      }
      const type = s['type'];
      if (type === 'array') {
        const prefix = Array.isArray(s['prefixItems']) ? (s['prefixItems'] as Schema[]) : [];
        const closed = s['items'] === false;
        const index = this.arrayIndex(node, accessor, closed ? prefix.length : -1);
        if (index === undefined) return unknownVal(undefined);
        s = schemaItem(s, index);
      } else if (type === 'object') {
        const key = this.objectKey(node, accessor);
        if (key === undefined) return unknownVal(undefined);
        const property = schemaProperty(s, key);
        // A closed record (additionalProperties: false, e.g. aws-login's outputs) rules the key out.
        if (property === false) {
          this.unknownProperty(node, accessor, key, Object.keys(isSchemaObject(s['properties']) ? s['properties'] : {}));
          return unknownVal(undefined);
        }
        s = property;
      } else if (typeof type === 'string') {
        this.ev.report('error', 'receiver must be an array or an object', this.accessorSite(node, accessor));
        return unknownVal(undefined);
      } else {
        s = undefined;
        break;
      }
    }
    return unknownVal(undefined, s === undefined ? { secret } : { secret, schema: s });
  }

  private arrayIndex(node: ScalarSyntax, accessor: Accessor, length: number): number | undefined {
    if (accessor.kind === 'name' || typeof accessor.key !== 'number') {
      this.ev.report('error', 'cannot access an array element using a property name', this.accessorSite(node, accessor));
      return undefined;
    }
    const index = accessor.key;
    if (index < 0) {
      this.ev.report('error', 'array indices must not be negative', this.accessorSite(node, accessor));
      return undefined;
    }
    if (length >= 0 && index >= length) {
      this.ev.report('error', `array index ${index} out-of-bounds for array of length ${length}`, this.accessorSite(node, accessor));
      return undefined;
    }
    return index;
  }

  private objectKey(node: ScalarSyntax, accessor: Accessor): string | undefined {
    if (accessor.kind === 'name') return accessor.name;
    if (typeof accessor.key === 'string') return accessor.key;
    this.ev.report('error', 'cannot access an object property using an integer index', this.accessorSite(node, accessor));
    return undefined;
  }

  private unknownProperty(node: ScalarSyntax, accessor: Accessor, key: string, candidates: Iterable<string>): void {
    const suggestion = suggestKey(key, candidates);
    const summary = `unknown property ${goQuote(key)}${suggestion === undefined ? '' : `; did you mean ${goQuote(suggestion)}?`}`;
    this.ev.report('error', summary, this.accessorSite(node, accessor));
  }

  // ---- rotation (§7) ----

  private providerContext(): Parameters<Provider['open']>[1] {
    return {
      rootEnvironment: this.rootName,
      currentEnvironment: this.name,
      execution: this.ev.options.context,
      signal: this.ev.options.signal,
      noteExpiry: (at) => this.ev.noteExpiry(at),
    };
  }

  private async evaluateRotate(x: XNode, expr: RotateExpr, site: Site): Promise<Val> {
    if (expr.provider === undefined) return unknownVal(site);
    const rotator: Rotator | undefined = this.ev.options.rotators?.get(expr.provider);
    if (rotator === undefined) this.ev.report('error', `unknown rotator ${goQuote(expr.provider)}`, site);
    if (expr.inputs === undefined) return unknownVal(site, { schema: rotator?.outputSchema });
    const inputs = await this.evaluateRotateInputs(x, expr.inputs, rotator?.inputSchema);
    const state = expr.state === undefined ? val(null, { site }) : await this.evaluateArg(x, expr.state);
    if (rotator === undefined) return unknownVal(site);
    const schemaOk = this.checkInputs(rotator.inputSchema, inputs, site);
    const inputsOk = (await this.validateInputs(rotator, inputs, site)) && schemaOk;
    const stateOk = this.checkInputs({ oneOf: [rotator.stateSchema, { type: 'null' }] }, state, state.site ?? site);
    const blocking = (v: Val): boolean => {
      if (v.unknown) return v.rotateOnly !== true;
      const d = v.data;
      if (Array.isArray(d)) return (d as readonly Val[]).some(blocking);
      if (d instanceof Map) for (const item of d.values()) if (blocking(item)) return true;
      return false;
    };
    const unknown = unknownVal(site, { schema: rotator.outputSchema });
    if (!inputsOk || !stateOk || blocking(inputs) || containsUnknown(state) || !this.ev.live) return unknown;
    if (this.ev.scout) {
      // Rotators run only in the final pass (rotate() has side effects).
      this.ev.shared.deferred++;
      return unknown;
    }

    const docPath = expr.node.path;
    let current: EscValue | null = state.data === null ? null : toEscValue(state);
    const selected = this.ev.rotatePaths === undefined || this.ev.rotatePaths.has(docPath);
    if (this.ev.stage === 'rotate' && this.isRoot && selected) {
      try {
        const next = checkedOutput(await rotator.rotate(toEscValue(inputs), current, this.providerContext()), expr.provider);
        this.ev.patches.push({ docPath: `${joinKey(docPath, expr.name)}.state`, replacement: next });
        current = next;
      } catch (err) {
        this.reportFailure(err, inputs, site, 'rotate: ');
        return unknown;
      }
    }
    try {
      const output = checkedOutput(await rotator.open(toEscValue(inputs), current, this.providerContext()), expr.provider);
      const v = fromEsc(output, site);
      return output.secret ? secretDeep(v) : v;
    } catch (err) {
      this.reportFailure(err, inputs, site);
      return unknown;
    }
  }

  /**
   * Evaluates a rotator's inputs. Properties the input schema marks `rotateOnly` are evaluated only
   * in the root environment while checking or rotating; elsewhere they stay unknown (§7).
   */
  private async evaluateRotateInputs(x: XNode, inputs: Expr, schema: Schema | undefined): Promise<Val> {
    const node = this.declare(inputs, x, undefined, undefined);
    const rotateOnly = rotateOnlyProperties(schema);
    if (node.props === undefined || rotateOnly.size === 0) return this.evaluateNode(node);
    const evaluateThem = this.isRoot && this.ev.stage !== 'eval';
    const out = new Map<string, Val>();
    for (const { key, entry } of node.keys!.sorted) {
      const prop = this.propAt(node, entry);
      if (prop === undefined) continue;
      if (rotateOnly.has(key) && !evaluateThem) {
        const v = copyVal(unknownVal(prop.expr === undefined ? undefined : this.site(prop.expr.node)));
        v.rotateOnly = true;
        out.set(key, v);
      } else out.set(key, await this.evaluateNode(prop));
    }
    return val(out, { site: this.site(inputs.node) });
  }

  // ---- builtins (§5.6) ----

  /** Checks a value's type; reports `expected T, got U` at the value's site. Unknown values pass. */
  private expectType(v: Val, type: 'string' | 'array', fallback: Site): boolean {
    if (v.unknown) return true;
    const actual = typeName(v);
    if (actual === type) return true;
    this.ev.report('error', `expected ${type}, got ${actual}`, v.site ?? fallback);
    return false;
  }

  private expectStringList(v: Val, fallback: Site): boolean {
    if (!this.expectType(v, 'array', fallback)) return false;
    if (v.unknown) return true;
    let ok = true;
    for (const item of v.data as readonly Val[]) if (!this.expectType(item, 'string', v.site ?? fallback)) ok = false;
    return ok;
  }

  private async evaluateBuiltin(x: XNode, expr: BuiltinExpr, site: Site): Promise<Val> {
    switch (expr.fn) {
      case 'open':
        return this.evaluateOpen(x, expr, site);
      case 'rotate':
        return this.evaluateRotate(x, expr, site);
      case 'secret':
        return this.evaluateSecret(expr, site);
      case 'join':
      case 'split':
        return this.evaluateBinary(x, expr, site);
      case 'validate':
        return this.evaluateValidate(x, expr, site);
      default:
        return this.evaluateUnary(x, expr, site);
    }
  }

  private async evaluateOpen(x: XNode, expr: OpenExpr, site: Site): Promise<Val> {
    if (expr.provider === undefined) return unknownVal(site);
    const provider: Provider | undefined = this.ev.options.providers.get(expr.provider);
    if (provider === undefined) this.ev.report('error', `unknown provider ${goQuote(expr.provider)}`, site);
    if (expr.inputs === undefined) return unknownVal(site, { schema: provider?.outputSchema });
    const inputs = await this.evaluateArg(x, expr.inputs);
    if (provider === undefined) return unknownVal(site);
    const schemaOk = this.checkInputs(provider.inputSchema, inputs, site);
    const inputsOk = (await this.validateInputs(provider, inputs, site)) && schemaOk;
    if (!inputsOk || containsUnknown(inputs) || !this.ev.live) {
      return unknownVal(site, { schema: provider.outputSchema });
    }
    const plainInputs = toEscValue(inputs);
    const key = `${this.name}\u0000${expr.node.path}\u0000${encodeJSON(plainInputs)}`;
    let pending = this.ev.shared.calls.get(key);
    if (this.ev.scout) {
      if (pending === undefined) {
        const shared = this.ev.shared;
        const context = { ...this.providerContext(), noteExpiry: (at: Date) => shared.noteExpiry(at) };
        // Async wrapper: a provider that throws synchronously becomes a rejected call like any other.
        pending = (async () => provider.open(plainInputs, context))();
        pending.catch(() => undefined);
        shared.calls.set(key, pending);
      }
      this.ev.shared.deferred++;
      return unknownVal(site, { schema: provider.outputSchema });
    }
    try {
      const output = checkedOutput(await (pending ?? provider.open(plainInputs, this.providerContext())), expr.provider);
      const v = fromEsc(output, site);
      return output.secret ? secretDeep(v) : v;
    } catch (err) {
      this.reportFailure(err, inputs, site);
      return unknownVal(site, { schema: provider.outputSchema });
    }
  }

  /** Runs a provider's or rotator's own input checks; each issue at its input's line. */
  private async validateInputs(checker: Pick<Provider, 'validate'>, inputs: Val, site: Site): Promise<boolean> {
    if (checker.validate === undefined) return true;
    const issues = await checker.validate(toEscValue(inputs));
    this.reportIssues(issues, inputs, site);
    return issues.length === 0;
  }

  private reportIssues(issues: readonly ProviderIssue[], inputs: Val, site: Site, prefix = ''): void {
    for (const issue of issues) {
      this.ev.report('error', prefix + redact(issue.message, secretTexts(toEscValue(inputs))), siteAt(inputs, issue.path, site));
    }
  }

  /** A provider's failure: at the inputs it names (ProviderError), else at the call. */
  private reportFailure(err: unknown, inputs: Val, site: Site, prefix = ''): void {
    if (err instanceof ProviderError && err.issues.length > 0) this.reportIssues(err.issues, inputs, site, prefix);
    else this.ev.report('error', prefix + withoutSecrets(err, inputs), site);
  }

  /** Checks provider inputs (or a `fn::validate` value) against a schema (§5.7). */
  private checkInputs(schema: Schema, inputs: Val, site: Site): boolean {
    const mode = this.ev.stage === 'check' ? 'check' : 'eval';
    let result: ReturnType<typeof validateSchema>;
    try {
      result = validateSchema(schema, inputs, { mode, schemaOf: (v) => (v as Val).schema });
    } catch {
      // A pathological schema (e.g. `$ref` loops) must not take evaluation down.
      this.ev.report('error', 'invalid schema: cannot be checked', site);
      return false;
    }
    const { valid, violations } = result;
    for (const violation of violations) this.ev.report('error', violation.message, siteAt(inputs, violation.path, site));
    return valid;
  }

  private async evaluateSecret(expr: SecretExpr, site: Site): Promise<Val> {
    if (expr.ciphertext === undefined) return val(expr.plaintext ?? '', { secret: true, site });
    const decoded = this.decodedCiphertext(expr.node.id, expr.ciphertext);
    if (typeof decoded === 'string') {
      this.ev.report('error', `invalid ciphertext: ${decoded}`, site);
      return unknownVal(site, { secret: true });
    }
    if (!this.ev.live && !this.ev.options.showSecrets) return unknownVal(site, { secret: true });
    try {
      // A copy: the memo's bytes are never handed out.
      const plaintext = await this.ev.options.cipher.decrypt(decoded.slice());
      return val(Buffer.from(plaintext).toString('utf8'), { secret: true, site });
    } catch (err) {
      this.ev.report('error', `decrypting: ${err instanceof Error ? err.message : String(err)}`, site);
      return unknownVal(site, { secret: true });
    }
  }

  private async evaluateBinary(x: XNode, expr: BinaryExpr, site: Site): Promise<Val> {
    if (expr.first === undefined || expr.second === undefined) return unknownVal(site);
    const first = await this.evaluateArg(x, expr.first);
    const second = await this.evaluateArg(x, expr.second);
    const firstOk = this.expectType(first, 'string', site);
    const secondOk = expr.fn === 'join' ? this.expectStringList(second, site) : this.expectType(second, 'string', site);
    const secret = containsSecret(first) || containsSecret(second);
    if (!firstOk || !secondOk || containsUnknown(first) || containsUnknown(second)) return unknownVal(site, { secret });
    if (expr.fn === 'join') {
      const items = (second.data as readonly Val[]).map((item) => item.data as string);
      return val(builtins.join(first.data as string, items), { secret, site });
    }
    const parts = builtins.split(first.data as string, second.data as string).map((p) => val(p, { secret, site }));
    return val(parts, { secret, site });
  }

  private async evaluateValidate(x: XNode, expr: ValidateExpr, site: Site): Promise<Val> {
    // Without a value there is nothing to return; without a schema the value passes unchecked.
    if (expr.value === undefined) return unknownVal(site);
    const schema = expr.schema === undefined ? undefined : await this.evaluateArg(x, expr.schema);
    const value = await this.evaluateArg(x, expr.value);
    if (schema === undefined || containsUnknown(schema)) return value;
    const plain = toPlainSchema(schema);
    this.checkInputs(plain, value, site);
    return value;
  }

  private async evaluateUnary(x: XNode, expr: UnaryExpr, site: Site): Promise<Val> {
    const arg = await this.evaluateArg(x, expr.arg);
    const secret = containsSecret(arg);
    switch (expr.fn) {
      case 'final': {
        const v = copyVal(arg);
        v.final = true;
        return v;
      }
      case 'toJSON':
        if (containsUnknown(arg)) return unknownVal(site, { secret });
        return val(builtins.toJSONText(arg), { secret, site });
      case 'toString':
        if (containsUnknown(arg)) return unknownVal(site, { secret });
        return val(stringify(arg), { secret, site });
      case 'concat': {
        if (!this.expectType(arg, 'array', site)) return unknownVal(site, { secret });
        if (arg.unknown) return unknownVal(site, { secret });
        const lists = arg.data as readonly Val[];
        let ok = true;
        for (const list of lists) if (!this.expectType(list, 'array', site)) ok = false;
        if (!ok || containsUnknown(arg)) return unknownVal(site, { secret });
        const items = lists.flatMap((list) => list.data as readonly Val[]);
        return val(items, { secret, site });
      }
      default:
        break;
    }
    // String-argument builtins.
    if (!this.expectType(arg, 'string', site) || arg.unknown) return unknownVal(site, { secret });
    const text = arg.data as string;
    switch (expr.fn) {
      case 'toBase64':
        return val(builtins.toBase64(text), { secret, site });
      case 'fromBase64': {
        const result = builtins.fromBase64(text);
        if ('error' in result) {
          this.ev.report('error', result.error, site);
          return unknownVal(site, { secret });
        }
        return val(result.value, { secret, site });
      }
      case 'fromJSON': {
        const result = decodeJSON(text, { secret });
        if ('error' in result) {
          // Go's message quotes the offending character; never quote a secret's.
          const reason = secret ? result.error.replace(/'(?:[^'\\]|\\.)+'/, '[secret]') : result.error;
          this.ev.report('error', `decoding JSON string: ${reason}`, site);
          return unknownVal(site, { secret });
        }
        return fromEsc(result.value, site);
      }
    }
    return unknownVal(site);
  }
}

/** The source site of the input at `path` inside `inputs` (the nearest one that has a site). */
/** An interpolation being joined (§5.3): its text so far, and whether any inserted value was unknown or secret. */
interface Join {
  text: string;
  unknown: boolean;
  secret: boolean;
}

const newJoin = (): Join => ({ text: '', unknown: false, secret: false });

/** Appends one part (its literal text, then its value when it has one); true when a value took the text past `limit`. */
function joinPart(join: Join, text: string, v: Val | undefined, limit: number): boolean {
  join.text += text;
  if (v === undefined) return false;
  if (containsUnknown(v)) join.unknown = true;
  if (containsSecret(v)) join.secret = true;
  if (!join.unknown) join.text += stringify(v);
  return join.text.length > limit;
}

/** The joined string, or unknown when a part was (secret either way if a part was). */
const joinedValue = (join: Join, site: Site): Val => (join.unknown ? unknownVal(site, { secret: join.secret }) : val(join.text, { secret: join.secret, site }));

function siteAt(inputs: Val, path: readonly (string | number)[], fallback: Site): Site {
  let target: Val | undefined = inputs;
  let at = inputs.site ?? fallback;
  for (const step of path) {
    const d: ValData | undefined = target?.data;
    if (typeof step === 'number' && Array.isArray(d)) target = (d as readonly Val[])[step];
    else if (typeof step === 'string' && d instanceof Map) target = d.get(step);
    else target = undefined;
    if (target?.site !== undefined) at = target.site;
  }
  return at;
}

/** A provider's answer must be a value tree; anything else is the provider's error, not a crash. */
function checkedOutput(output: unknown, name: string): EscValue {
  const ok = (v: unknown, depth: number): boolean => {
    if (depth > 1000 || typeof v !== 'object' || v === null) return false;
    const { data, secret, unknown } = v as EscValue;
    if (typeof secret !== 'boolean' || typeof unknown !== 'boolean') return false;
    if (Array.isArray(data)) return data.every((item) => ok(item, depth + 1));
    if (data instanceof Map) return [...data.values()].every((item) => ok(item, depth + 1));
    return data === null || typeof data === 'boolean' || typeof data === 'string' || data instanceof EscNumber;
  };
  if (!ok(output, 0)) throw new Error(`provider ${goQuote(name)} returned a malformed value`);
  return output as EscValue;
}

/**
 * Which entries of object node `x` have a value merged under them (1 by entry index), when its base
 * has fewer keys than it: found from the base's keys, instead of a look-up of each of its own keys
 * (reading the hash of 10,000 keys scattered through the parse made a cache miss of each). Undefined:
 * look each key up (property()).
 */
function importedEntries(x: XNode, size: number): Uint8Array | undefined {
  if (!isKnownObject(x.base)) return undefined;
  const under: ReadonlyMap<string, Val> = x.base.data;
  if (under.size >= size) return undefined;
  const imported = new Uint8Array(x.entries!.length);
  for (const key of under.keys()) {
    const entry = x.keys!.first.get(key);
    if (entry !== undefined) imported[entry] = 1;
  }
  return imported;
}

function property(base: Val | undefined, key: string): Val | undefined {
  return isKnownObject(base) ? base.data.get(key) : undefined;
}

function toPlainSchema(v: Val): Schema {
  const d = v.data;
  if (typeof d === 'boolean') return d;
  const plain = (x: Val): unknown => {
    const xd = x.data;
    if (xd instanceof EscNumber) return Number(xd.text);
    if (isArray(xd)) return (xd as readonly Val[]).map(plain);
    if (xd instanceof Map) return Object.fromEntries([...xd].map(([k, item]) => [k, plain(item)]));
    return xd;
  };
  const out = plain(v);
  return typeof out === 'object' && out !== null && !Array.isArray(out) ? (out as Schema) : true;
}

function rotateOnlyProperties(schema: Schema | undefined): Set<string> {
  const out = new Set<string>();
  if (schema === undefined || typeof schema === 'boolean') return out;
  const props = schema['properties'];
  if (typeof props !== 'object' || props === null) return out;
  for (const [k, v] of Object.entries(props as Record<string, unknown>)) {
    if (typeof v === 'object' && v !== null && (v as Record<string, unknown>)['rotateOnly'] === true) out.add(k);
  }
  return out;
}

/** A provider's error message with its secret inputs blanked out: providers quote a bad input, and it may be a secret. */
function withoutSecrets(err: unknown, inputs: Val): string {
  return redact(err instanceof Error ? err.message : String(err), secretTexts(toEscValue(inputs)));
}
