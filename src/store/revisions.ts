// The history of one environment, as data: numbered immutable revisions (who, when, retracted or
// not), revision tags (`latest`, `stable`, …) and environment tags. Pure functions over the record
// that src/store/store.ts keeps in `<project>/.history/<env>/history.json`.

/** Who did something: a display name and a login (`Test Tester <test-tester>`). */
export interface Person {
  readonly name: string;
  readonly login: string;
}

/** When and by whom; either may be unknown (the reference prints `0001-01-01 …` and `<unknown>`). */
export interface Stamp {
  /** ISO 8601. */
  readonly at?: string;
  readonly by?: Person;
}

/** What is being stamped: the store asks its Stamper once per event. */
export type StampEvent =
  | { readonly kind: 'revision'; readonly environment: string; readonly revision: number }
  | { readonly kind: 'retraction'; readonly environment: string; readonly revision: number }
  | { readonly kind: 'revision-tag'; readonly environment: string; readonly tag: string; readonly revision: number }
  | { readonly kind: 'environment-tag'; readonly environment: string; readonly tag: string };

/** The store's source of time and identity; injected (the configured user and the clock by default). */
export type Stamper = (event: StampEvent) => Stamp;

export interface Retraction extends Stamp {
  readonly replacement: number;
  readonly reason?: string;
}

export interface RevisionRecord extends Stamp {
  readonly number: number;
  /** sha256 of the text, to notice a definition file edited outside escd. */
  readonly sha256: string;
  readonly retracted?: Retraction;
}

export interface RevisionTag extends Stamp {
  readonly revision: number;
}

export interface EnvironmentTag {
  readonly value: string;
  readonly created?: string;
  readonly modified?: string;
  readonly editor?: Person;
}

export interface History {
  readonly version: 1;
  readonly revisions: readonly RevisionRecord[];
  /** Revision tags by name; `latest` is one, moved by every new revision. */
  readonly revisionTags: Readonly<Record<string, RevisionTag>>;
  /** Environment tags by name. */
  readonly tags: Readonly<Record<string, EnvironmentTag>>;
}

export const LATEST = 'latest';

export const emptyHistory = (): History => ({ version: 1, revisions: [], revisionTags: {}, tags: {} });

export function latestRevision(history: History): number {
  return history.revisions[history.revisions.length - 1]?.number ?? 0;
}

/**
 * The revision a version names, as the reference service reads it: empty or `latest` → the newest;
 * a leading digit → that revision number (1..count); anything else → a revision tag.
 * Undefined when there is no such revision or tag.
 */
export function resolveVersion(history: History, version: string | undefined): number | undefined {
  if (version === undefined || version === '' || version === LATEST) return latestRevision(history) || undefined;
  if (/^[0-9]/.test(version)) {
    const n = /^[0-9]+$/.test(version) ? Number(version) : NaN;
    return Number.isSafeInteger(n) && history.revisions.some((r) => r.number === n) ? n : undefined;
  }
  return history.revisionTags[version]?.revision;
}

/** The revision a retraction without `--replace-with` points readers to: the newest earlier one that is not retracted. */
export function defaultReplacement(history: History, retracted: number): number | undefined {
  for (let i = history.revisions.length - 1; i >= 0; i--) {
    const r = history.revisions[i]!;
    if (r.number < retracted && !r.retracted) return r.number;
  }
  return undefined;
}

/** Checks that a parsed history file has the shape this module writes; throws with the field at fault. */
export function checkHistory(raw: unknown, file: string): History {
  const fail = (what: string): never => {
    throw new Error(`${file} is damaged: ${what}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('expected a JSON object');
  const h = raw as Partial<History>;
  if (h.version !== 1) fail(`unknown version ${JSON.stringify(h.version)}`);
  if (!Array.isArray(h.revisions)) fail('"revisions" must be a list');
  let previous = 0;
  for (const r of h.revisions!) {
    if (typeof r !== 'object' || r === null || !Number.isSafeInteger(r.number) || r.number <= previous || typeof r.sha256 !== 'string') {
      fail('"revisions" must hold increasing revision numbers with their sha256');
    }
    previous = r.number;
  }
  if (typeof h.revisionTags !== 'object' || h.revisionTags === null) fail('"revisionTags" must be an object');
  if (typeof h.tags !== 'object' || h.tags === null) fail('"tags" must be an object');
  return h as History;
}
