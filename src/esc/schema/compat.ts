// Checking a schema against a schema: what the check stage does for a value that is not known yet
// but whose schema is (a provider output, a reference into one). The question is "can every value of
// `given` be accepted by `accept`?", answered as leniently as the reference: only types, $ref,
// anyOf/oneOf, array items and object properties/required are compared; value constraints (const,
// minimum, pattern, ...) cannot be judged without the value and pass.
import type { Schema } from '../provider.js';
import { joinIndex, joinKey } from '../syntax.js';
import {
  dependentRequired,
  isSchemaObject,
  prefixItems,
  properties,
  refTarget,
  restItems,
  strings,
  subschema,
  subschemas,
  types,
  type SchemaObject,
  type SchemaTypeName,
} from './document.js';

/** A failure found inside an unknown value: `relative` is the path below it ('' for the value itself). */
export interface CompatFailure {
  readonly relative: string;
  readonly message: string;
}

/** Where a schema lives: `$ref`s resolve against its document root. */
interface Rooted {
  readonly schema: Schema | undefined;
  readonly root: Schema;
}

export function describeTypes(list: readonly SchemaTypeName[]): string {
  return list.join(' or ');
}

/** Whether a value of type `actual` can satisfy `type: expected` (integer is a kind of number). */
export function typeAccepts(expected: readonly SchemaTypeName[], actual: SchemaTypeName): boolean {
  return expected.some((t) => t === actual || (t === 'number' && actual === 'integer'));
}

/** Every failure found when checking that `accept` takes any value of `given`; ok is false on silent rejections too. */
export function compareSchemas(given: Rooted, accept: Rooted): { ok: boolean; failures: CompatFailure[] } {
  const comparer = new Comparer();
  const ok = comparer.check(given, accept, '');
  // A $ref on both sides reaches the same pair of schemas twice (through either $ref first).
  const seen = new Set<string>();
  const failures = comparer.failures.filter((f) => {
    const key = `${f.relative}\u0000${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { ok, failures };
}

const ids = new WeakMap<object, number>();
let nextId = 1;

function identity(schema: object): number {
  let id = ids.get(schema);
  if (id === undefined) {
    id = nextId++;
    ids.set(schema, id);
  }
  return id;
}

class Comparer {
  failures: CompatFailure[] = [];
  private readonly visiting = new Set<string>();

  check(given: Rooted, accept: Rooted, relative: string): boolean {
    const a = accept.schema;
    if (a === undefined || a === true) return true;
    if (a === false) return false;
    const x = given.schema;
    if (x === undefined || x === true) return true;
    if (x === false) return false;
    if (!isSchemaObject(a) || !isSchemaObject(x)) return true;

    // Recursive schemas compared against recursive schemas would loop: a pair already being
    // compared further up is assumed compatible (its own failures are reported there).
    const key = `${identity(x)}:${identity(a)}`;
    if (this.visiting.has(key)) return true;
    this.visiting.add(key);
    try {
      return this.checkObjects(given, x, accept, a, relative);
    } finally {
      this.visiting.delete(key);
    }
  }

  private checkObjects(given: Rooted, x: SchemaObject, accept: Rooted, a: SchemaObject, relative: string): boolean {
    const acceptRef = refTarget(accept.root, a);
    const givenRef = refTarget(given.root, x);
    const results = [
      acceptRef === undefined || this.check(given, { schema: acceptRef, root: accept.root }, relative),
      givenRef === undefined || this.check({ schema: givenRef, root: given.root }, accept, relative),
      this.anyMatch(subschemas(x, 'anyOf').map((alt) => () => this.check({ schema: alt, root: given.root }, accept, relative)), relative),
      this.anyMatch(subschemas(x, 'oneOf').map((alt) => () => this.check({ schema: alt, root: given.root }, accept, relative)), relative),
      this.checkType(x, a, relative),
      this.anyMatch(subschemas(a, 'anyOf').map((alt) => () => this.check(given, { schema: alt, root: accept.root }, relative)), relative),
      // oneOf is judged like anyOf here: a schema can rarely prove that only one branch applies.
      this.anyMatch(subschemas(a, 'oneOf').map((alt) => () => this.check(given, { schema: alt, root: accept.root }, relative)), relative),
      subschemas(a, 'allOf').map((sub) => this.check(given, { schema: sub, root: accept.root }, relative)).every(Boolean),
      this.checkStructure(given, x, accept, a, relative),
    ];
    return results.every(Boolean);
  }

  /** Runs each attempt into its own list; if none succeeds, reports all their failures and a summary. */
  private anyMatch(attempts: readonly (() => boolean)[], relative: string): boolean {
    if (attempts.length === 0) return true;
    const outer = this.failures;
    const collected: CompatFailure[] = [];
    let matched = false;
    try {
      for (const attempt of attempts) {
        this.failures = [];
        if (attempt()) matched = true;
        collected.push(...this.failures);
      }
    } finally {
      this.failures = outer;
    }
    if (matched) return true;
    this.failures.push(...collected);
    this.fail(relative, 'at least one subschema must match');
    return false;
  }

  private checkType(x: SchemaObject, a: SchemaObject, relative: string): boolean {
    const given = types(x);
    const expected = types(a);
    if (given === undefined || expected === undefined) return true;
    // integer and number overlap, so only a type that can never satisfy `expected` is an error.
    const rejected = given.find((t) => !typeAccepts(expected, t) && !(t === 'number' && expected.includes('integer')));
    if (rejected === undefined) return true;
    this.fail(relative, `expected ${describeTypes(expected)}, got ${rejected === 'integer' ? 'number' : rejected}`);
    return false;
  }

  private checkStructure(given: Rooted, x: SchemaObject, accept: Rooted, a: SchemaObject, relative: string): boolean {
    const givenTypes = types(x);
    if (givenTypes?.length === 1 && givenTypes[0] === 'array') return this.checkArray(given, x, accept, a, relative);
    if (givenTypes?.length === 1 && givenTypes[0] === 'object') return this.checkObject(given, x, accept, a, relative);
    return true;
  }

  /**
   * Position by position, the accepted item schema must accept the given one; the given tuple's extra
   * positions meet accept's `items`, accept's extra positions meet the given `items`.
   */
  private checkArray(given: Rooted, x: SchemaObject, accept: Rooted, a: SchemaObject, relative: string): boolean {
    const givenPrefix = prefixItems(x);
    const acceptPrefix = prefixItems(a);
    const givenRest = restItems(x);
    const acceptRest = restItems(a);
    let ok = true;
    const positions = Math.max(givenPrefix.length, acceptPrefix.length);
    for (let i = 0; i < positions; i++) {
      const g = i < givenPrefix.length ? givenPrefix[i] : givenRest;
      const r = i < acceptPrefix.length ? acceptPrefix[i] : acceptRest;
      ok = this.check({ schema: g, root: given.root }, { schema: r, root: accept.root }, joinIndex(relative, i)) && ok;
    }
    if (givenRest !== undefined && givenRest !== false) {
      ok = this.check({ schema: givenRest, root: given.root }, { schema: acceptRest, root: accept.root }, relative) && ok;
    }
    return ok;
  }

  /**
   * Each given property must be accepted by accept's property (or its additionalProperties). When the
   * given object is closed (no additionalProperties), accept's required properties must be required
   * by it too; otherwise accept's additionalProperties must take the given ones.
   */
  private checkObject(given: Rooted, x: SchemaObject, accept: Rooted, a: SchemaObject, relative: string): boolean {
    let ok = true;
    const acceptProps = properties(a);
    const acceptAdditional = subschema(a, 'additionalProperties');
    for (const [name, schema] of [...properties(x)].sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0))) {
      const target = acceptProps.has(name) ? acceptProps.get(name) : acceptAdditional;
      ok = this.check({ schema, root: given.root }, { schema: target, root: accept.root }, joinKey(relative, name)) && ok;
    }
    const givenAdditional = subschema(x, 'additionalProperties');
    if (givenAdditional === undefined) {
      const required = new Set(strings(x, 'required'));
      const demand = (names: readonly string[]): void => {
        for (const name of names) {
          if (required.has(name)) continue;
          this.fail(joinKey(relative, name), 'missing required property');
          ok = false;
        }
      };
      demand(strings(a, 'required'));
      for (const [name, needs] of dependentRequired(a)) if (required.has(name)) demand(needs);
    } else if (givenAdditional !== false) {
      ok = this.check({ schema: givenAdditional, root: given.root }, { schema: acceptAdditional, root: accept.root }, relative) && ok;
    }
    return ok;
  }

  private fail(relative: string, message: string): void {
    this.failures.push({ relative, message });
  }
}
