// The local environment store. Every write makes a numbered, immutable revision:
//
//   <dir>/<project>/<env>.yaml                  the latest definition (what the daemon reads; people may edit it)
//   <dir>/<project>/.history/<env>/<N>.yaml     revision N, written once
//   <dir>/<project>/.history/<env>/history.json who and when, retractions, revision tags, environment tags
//   <dir>/<project>/.history/<env>.lock         held while one process changes the environment
//
// for the default org (config.yaml `org`); another org's environments live the same way under
// <dir>/.orgs/<org>/. A write takes the environment's lock (src/keystore/file-lock.ts), writes the
// revision file, then the definition, then history.json (the commit point), each atomically
// (temporary file, fsync, rename), files 0600 and directories 0700. So concurrent writers from
// several processes queue and none loses a revision, and a crash leaves the previous state or the
// new one. A definition file that differs from the latest revision (an existing file on first use,
// a hand edit, a crash before the commit) is adopted as a new revision on the next use.
import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, realpath, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, isAbsolute, sep } from 'node:path';
import type { EnvironmentLoader } from '../esc/types.js';
import { writeFileAtomic } from '../keystore/atomic-file.js';
import { withFileLock } from '../keystore/file-lock.js';
import { knownEnvironmentNames } from './known-names.js';
import {
  DEFAULT_PROJECT,
  didYouMean,
  environmentName,
  fullName,
  isValidSegment,
  parseEnvironmentRef,
  quoteName,
  type EnvironmentName,
  type EnvironmentRef,
} from './names.js';
import {
  checkHistory,
  defaultReplacement,
  emptyHistory,
  LATEST,
  latestRevision,
  resolveVersion,
  type EnvironmentTag,
  type History,
  type RevisionRecord,
  type RevisionTag,
  type Stamp,
  type Stamper,
} from './revisions.js';
import { EscdError } from '../core/errors.js';

export const ENVIRONMENT_EXTENSION = '.yaml';
const HISTORY_DIR = '.history';
const ORGS_DIR = '.orgs';
const HISTORY_FILE = 'history.json';

export interface StoredEnvironment extends EnvironmentName {
  readonly file: string;
}

/** A resolved reference: the environment, its file, and the version asked for (if any). */
export interface StoredRef extends StoredEnvironment {
  readonly version?: string;
  readonly twoPart: boolean;
}

export interface EnvironmentDefinition extends StoredEnvironment {
  readonly source: string;
  /** Last modification time of the definition file (of the latest revision). */
  readonly mtimeMs: number;
  /** The revision read, when it was read from the history (a version was asked for). */
  readonly revision?: number;
}

export interface EnvironmentSummary extends StoredEnvironment {
  readonly modified: Date;
}

export interface WriteOptions {
  /** Refuse to create: the environment must exist already. */
  readonly mustExist?: boolean;
  /** Refuse to overwrite: the environment must not exist yet. */
  readonly mustNotExist?: boolean;
  /** Refuse when the latest revision is no longer this one (someone else wrote meanwhile). */
  readonly expectedRevision?: number;
  /** Refuse when the definition file changed since it was read (its mtime differs). */
  readonly expectedMtimeMs?: number;
}

export interface StoreOptions {
  /** Time and identity of revisions, retractions and tags; default: now, no author. */
  readonly stamp?: Stamper;
  /** The revision a retraction without a replacement points to; default: the newest earlier live one. */
  readonly replacementFor?: (history: History, retracted: number) => number | undefined;
  /** Organizations known besides the default one and those that hold environments (two-part names). */
  readonly orgs?: readonly string[];
}

export interface CloneOptions {
  /** Copy every revision (default: only the latest, as revision 1). */
  readonly history?: boolean;
  readonly revisionTags?: boolean;
  readonly environmentTags?: boolean;
}

/** The outcome of a two-part name: which environment it means and whether the reference would warn. */
export interface Resolution {
  readonly ref: StoredRef;
  /** The first part also names an organization: the name could mean `org/default/env`. */
  readonly ambiguous: boolean;
}

const errnoCode = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const ioError = (verb: string, path: string, err: unknown): EscdError => new EscdError('io', `cannot ${verb} ${path}: ${errnoCode(err) ?? (err as Error).message}`);

/** The state of one environment under its lock. */
interface Locked {
  readonly stored: StoredEnvironment;
  /** The definition file's text; undefined when the environment does not exist. */
  readonly text: string | undefined;
  readonly history: History;
}

export class EnvironmentStore {
  private readonly stamp: Stamper;

  constructor(
    readonly dir: string,
    /** The default org: names without one belong to it. */
    readonly org: string,
    private readonly options: StoreOptions = {},
  ) {
    this.stamp = options.stamp ?? (() => ({ at: new Date().toISOString() }));
  }

  /** Resolves a name (two-part = project/env of the default org) to its file without touching the disk. */
  resolve(name: string): StoredRef {
    let parsed: EnvironmentRef;
    try {
      parsed = parseEnvironmentRef(name, this.org);
    } catch (err) {
      throw new EscdError('bad_request', (err as Error).message);
    }
    return { ...this.locate(parsed), ...(parsed.version !== undefined ? { version: parsed.version } : {}), twoPart: parsed.twoPart };
  }

  private locate(name: EnvironmentName): StoredEnvironment {
    const base = this.orgDir(name.org);
    const file = join(base, name.project, name.env + ENVIRONMENT_EXTENSION);
    // Belt and braces: the name grammar already rules out separators and dot segments.
    const rel = relative(this.dir, file);
    if (rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).length !== (name.org === this.org ? 2 : 4)) {
      throw new EscdError('bad_request', `invalid environment name ${quoteName(name.name)}`);
    }
    return { ...environmentName(name.org, name.project, name.env, this.org), file };
  }

  private orgDir(org: string): string {
    return org === this.org ? this.dir : join(this.dir, ORGS_DIR, org);
  }

  /** The organizations known here: the default, those configured, those that hold an environment. */
  async orgs(): Promise<string[]> {
    const found = new Set([this.org, ...(this.options.orgs ?? [])]);
    for (const entry of await this.readDir(join(this.dir, ORGS_DIR))) if (entry.isDirectory() && isValidSegment(entry.name)) found.add(entry.name);
    return [...found];
  }

  /**
   * Resolves the name of an environment that should exist, as the reference does for a two-part
   * `a/b`: project `a` of the default org, unless only `a/default/b` exists (org `a`); both is an error.
   */
  async resolveExisting(name: string): Promise<Resolution> {
    const ref = this.resolve(name);
    if (!ref.twoPart) return { ref, ambiguous: false };
    const legacy = this.legacyOf(ref);
    const [here, there] = await Promise.all([this.exists(ref), legacy ? this.exists(legacy) : false]);
    const ambiguous = legacy !== undefined && (await this.orgs()).includes(legacy.org);
    if (here && there && legacy) {
      throw new EscdError(
        'bad_request',
        `ambiguous path provided\n\nEnvironments found at both '${fullName(ref)}' and '${fullName(legacy)}'.\nPlease specify the full path as <org-name>/<project-name>/<env-name>`,
      );
    }
    return { ref: there && legacy ? legacy : ref, ambiguous };
  }

  /** Resolves the name of an environment to create: `a/b` is `a/default/b` when org `a` has a default project. */
  async resolveNew(name: string): Promise<Resolution> {
    const ref = this.resolve(name);
    const legacy = ref.twoPart ? this.legacyOf(ref) : undefined;
    if (!legacy || !(await this.orgs()).includes(legacy.org)) return { ref, ambiguous: false };
    const hasDefaultProject = (await this.readDir(dirname(legacy.file))).some((e) => e.isFile() && e.name.endsWith(ENVIRONMENT_EXTENSION));
    return { ref: hasDefaultProject ? legacy : ref, ambiguous: true };
  }

  private legacyOf(ref: StoredRef): StoredRef | undefined {
    if (!isValidSegment(ref.project)) return undefined;
    const located = this.locate({ org: ref.project, project: DEFAULT_PROJECT, env: ref.env, name: '' });
    return { ...located, ...(ref.version !== undefined ? { version: ref.version } : {}), twoPart: true };
  }

  /** Every environment of every org: the default org's first (`project/env`), then the others by name. */
  async list(): Promise<EnvironmentSummary[]> {
    const out: EnvironmentSummary[] = [];
    for (const org of [this.org, ...(await this.orgs()).filter((o) => o !== this.org).sort()]) {
      const base = this.orgDir(org);
      for (const project of await this.readDir(base)) {
        if (!project.isDirectory() || !isValidSegment(project.name)) continue;
        for (const entry of await this.readDir(join(base, project.name))) {
          if (!entry.isFile() || !entry.name.endsWith(ENVIRONMENT_EXTENSION)) continue;
          const env = entry.name.slice(0, -ENVIRONMENT_EXTENSION.length);
          if (!isValidSegment(env)) continue;
          const stored = this.locate({ org, project: project.name, env, name: '' });
          const info = await stat(stored.file).catch(() => undefined);
          if (info) out.push({ ...stored, modified: info.mtime });
        }
      }
    }
    const key = (e: EnvironmentSummary): [number, string, string, string] => [e.org === this.org ? 0 : 1, e.org, e.project, e.env];
    return out.sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      for (let i = 0; i < x.length; i++) if (x[i]! !== y[i]!) return x[i]! < y[i]! ? -1 : 1;
      return 0;
    });
  }

  async exists(name: string | StoredEnvironment): Promise<boolean> {
    const { file } = typeof name === 'string' ? this.resolve(name) : name;
    await this.checkInside(file);
    return (await lstat(file).catch(() => undefined)) !== undefined;
  }

  /**
   * The definition: the latest one from its file, or with a version (`env@3`, `env@stable`) that
   * revision's text from the history.
   */
  async read(name: string | StoredRef): Promise<EnvironmentDefinition> {
    const stored = typeof name === 'string' ? this.resolve(name) : name;
    if (stored.version !== undefined) return this.readRevision(stored, stored.version);
    await this.checkInside(stored.file);
    try {
      const [source, info] = await Promise.all([readFile(stored.file, 'utf8'), stat(stored.file)]);
      return { ...this.plain(stored), source, mtimeMs: info.mtimeMs };
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') throw this.notFound(stored);
      if (errnoCode(err) === 'EISDIR') throw new EscdError('io', `${stored.file} is a directory, not an environment file`);
      throw ioError('read', stored.file, err);
    }
  }

  /** One revision's text (a number, `latest` or a revision tag); `not found` when there is none. */
  async readRevision(name: string | StoredEnvironment, version: string | undefined): Promise<EnvironmentDefinition> {
    const stored = typeof name === 'string' ? this.resolve(name) : name;
    return this.withEnvironment(stored, async (state) => {
      const revision = resolveVersion(state.history, version);
      if (revision === undefined) throw new EscdError('not_found', 'not found');
      const source = await this.revisionText(state.stored, revision);
      const info = await stat(stored.file).catch(() => undefined);
      return { ...this.plain(state.stored), source, mtimeMs: info?.mtimeMs ?? 0, revision };
    });
  }

  /** The history (revisions, revision tags, environment tags); an existing file without one gets revision 1. */
  async history(name: string | StoredEnvironment): Promise<History> {
    return this.withEnvironment(typeof name === 'string' ? this.resolve(name) : name, async (state) => state.history);
  }

  /** Creates an environment with `source` as revision 1 (the reference's `env init` makes an empty one). */
  async create(name: string | StoredEnvironment, source = ''): Promise<{ stored: StoredEnvironment; revision: number }> {
    return this.write(name, source, { mustNotExist: true });
  }

  /** Adds a revision with `source` to an existing environment; returns its number. */
  async update(name: string | StoredEnvironment, source: string, options: { expectedRevision?: number } = {}): Promise<number> {
    return (await this.write(name, source, { ...options, mustExist: true })).revision;
  }

  /**
   * Read-modify-write under the environment's lock: `edit` gets the latest text and its revision and
   * returns the new text (a new revision) or undefined (no change). Concurrent callers in any process
   * queue, so none overwrites another's change.
   */
  async modify(name: string | StoredEnvironment, edit: (source: string, revision: number) => Promise<string | undefined> | string | undefined): Promise<number> {
    const stored = this.plain(typeof name === 'string' ? this.resolve(name) : name);
    return this.withEnvironment(stored, async (state) => {
      const latest = latestRevision(state.history);
      const next = await edit(state.text ?? '', latest);
      return next === undefined ? latest : latestRevision(await this.append(state, next));
    });
  }

  /** Writes a new revision (creating the environment unless `mustExist`). */
  async write(name: string | StoredEnvironment, source: string, options: WriteOptions = {}): Promise<{ stored: StoredEnvironment; revision: number }> {
    const stored = this.plain(typeof name === 'string' ? this.resolve(name) : name);
    return this.locked(stored, async (state) => {
      const exists = state.text !== undefined;
      if (options.mustExist && !exists) throw this.notFound(stored);
      if (options.mustNotExist && exists) throw new EscdError('exists', 'already exists');
      if (options.expectedMtimeMs !== undefined && (await stat(stored.file).catch(() => undefined))?.mtimeMs !== options.expectedMtimeMs) {
        throw new EscdError('conflict', `environment ${stored.name} was changed by someone else while you were editing it (${stored.file})`);
      }
      const current = exists ? await this.synced(state) : { ...state, history: emptyHistory() };
      if (options.expectedRevision !== undefined && latestRevision(current.history) !== options.expectedRevision) {
        throw new EscdError('conflict', `environment ${stored.name} was changed by someone else meanwhile (now at revision ${latestRevision(current.history)})`);
      }
      const history = await this.append(current, source);
      return { stored, revision: latestRevision(history) };
    });
  }

  /** Deletes an environment and its history. */
  async remove(name: string | StoredEnvironment): Promise<StoredEnvironment> {
    const stored = this.plain(typeof name === 'string' ? this.resolve(name) : name);
    await this.locked(stored, async (state) => {
      if (state.text === undefined) throw this.notFound(stored);
      try {
        await unlink(stored.file);
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') throw this.notFound(stored);
        throw ioError('remove', stored.file, err);
      }
      await rm(this.historyDir(stored), { recursive: true, force: true });
    });
    // Drop the history and project directories once empty; not empty is fine.
    await rmdir(join(dirname(stored.file), HISTORY_DIR)).catch(() => undefined);
    await rmdir(dirname(stored.file)).catch(() => undefined);
    return stored;
  }

  /** Points a revision tag at a revision (creating or moving it). `latest` is the store's own. */
  async tagRevision(name: string | StoredEnvironment, tag: string, revision: number): Promise<void> {
    await this.change(name, (history, stored) => {
      if (tag === LATEST) throw new EscdError('bad_request', `the ${LATEST} tag always names the newest revision and cannot be moved`);
      if (!history.revisions.some((r) => r.number === revision)) throw new EscdError('not_found', 'not found');
      const stamp = this.stamp({ kind: 'revision-tag', environment: fullName(stored), tag, revision });
      return { ...history, revisionTags: { ...history.revisionTags, [tag]: { revision, ...stamp } } };
    });
  }

  async untagRevision(name: string | StoredEnvironment, tag: string): Promise<void> {
    await this.change(name, (history) => {
      if (tag === LATEST) throw new EscdError('bad_request', `the ${LATEST} tag always names the newest revision and cannot be removed`);
      if (!(tag in history.revisionTags)) throw new EscdError('not_found', 'not found');
      const revisionTags = { ...history.revisionTags };
      delete revisionTags[tag];
      return { ...history, revisionTags };
    });
  }

  /** Marks a revision retracted (its text stays readable), naming its replacement and why. */
  async retract(name: string | StoredEnvironment, revision: number, options: { replacement?: number; reason?: string } = {}): Promise<void> {
    await this.change(name, (history, stored) => {
      const target = history.revisions.find((r) => r.number === revision);
      if (!target) throw new EscdError('not_found', 'not found');
      if (revision === latestRevision(history)) throw new EscdError('bad_request', 'the latest revision cannot be retracted: update the environment first');
      const replacement = options.replacement ?? (this.options.replacementFor ?? defaultReplacement)(history, revision);
      if (replacement === undefined) throw new EscdError('bad_request', `revision ${revision} has no earlier revision to replace it; name one with --replace-with`);
      if (options.replacement !== undefined && !history.revisions.some((r) => r.number === replacement)) throw new EscdError('not_found', 'not found');
      const stamp = this.stamp({ kind: 'retraction', environment: fullName(stored), revision });
      const retracted = { replacement, ...(options.reason ? { reason: options.reason } : {}), ...stamp };
      // Tags that pointed at the retracted revision now point at its replacement.
      const revisionTags = Object.fromEntries(
        Object.entries(history.revisionTags).map(([tag, t]) => [tag, t.revision === revision && tag !== LATEST ? { ...t, revision: replacement } : t]),
      );
      return { ...history, revisionTags, revisions: history.revisions.map((r) => (r.number === revision ? { ...r, retracted } : r)) };
    });
  }

  /** Sets an environment tag (creating or updating it). */
  async setTag(name: string | StoredEnvironment, tag: string, value: string): Promise<EnvironmentTag> {
    let result: EnvironmentTag | undefined;
    await this.change(name, (history, stored) => {
      const stamp = this.stamp({ kind: 'environment-tag', environment: fullName(stored), tag });
      const old = history.tags[tag];
      result = { value, ...pick(old?.created ?? stamp.at, 'created'), ...pick(stamp.at, 'modified'), ...pick(stamp.by, 'editor') };
      return { ...history, tags: { ...history.tags, [tag]: result } };
    });
    return result!;
  }

  /** Renames an environment tag and/or changes its value. */
  async renameTag(name: string | StoredEnvironment, tag: string, newName: string, newValue?: string): Promise<EnvironmentTag> {
    let result: EnvironmentTag | undefined;
    await this.change(name, (history, stored) => {
      const old = history.tags[tag];
      if (!old) throw new EscdError('not_found', 'tag not found');
      if (newName !== tag && newName in history.tags) throw new EscdError('exists', 'tag already exists');
      const stamp = this.stamp({ kind: 'environment-tag', environment: fullName(stored), tag: newName });
      const tags = { ...history.tags };
      delete tags[tag];
      result = { value: newValue ?? old.value, ...pick(old.created, 'created'), ...pick(stamp.at, 'modified'), ...pick(stamp.by, 'editor') };
      tags[newName] = result;
      return { ...history, tags };
    });
    return result!;
  }

  async removeTag(name: string | StoredEnvironment, tag: string): Promise<void> {
    await this.change(name, (history) => {
      if (!(tag in history.tags)) throw new EscdError('not_found', 'tag not found');
      const tags = { ...history.tags };
      delete tags[tag];
      return { ...history, tags };
    });
  }

  /** Copies an environment: its latest definition as revision 1, or with `history` every revision as it was. */
  async clone(source: string | StoredEnvironment, destination: string | StoredEnvironment, options: CloneOptions = {}): Promise<StoredEnvironment> {
    const from = this.plain(typeof source === 'string' ? this.resolve(source) : source);
    const to = this.plain(typeof destination === 'string' ? this.resolve(destination) : destination);
    const snapshot = await this.withEnvironment(from, async (state) => {
      const wanted = options.history ? state.history.revisions : state.history.revisions.slice(-1);
      const texts = await Promise.all(wanted.map((r) => this.revisionText(state.stored, r.number)));
      return { history: state.history, texts };
    }).catch((err: unknown) => {
      if (err instanceof EscdError && err.code === 'not_found') throw new EscdError('not_found', 'source env not found');
      throw err;
    });
    return this.locked(to, async (state) => {
      if (state.text !== undefined) throw new EscdError('exists', 'already exists');
      const dest = { ...state, history: emptyHistory() };
      let history: History;
      if (options.history) {
        history = dest.history;
        for (const [i, record] of snapshot.history.revisions.entries()) await this.writeRevisionFile(to, record.number, snapshot.texts[i]!);
        history = { ...history, revisions: snapshot.history.revisions };
        const latest = snapshot.history.revisionTags[LATEST];
        if (latest) history = { ...history, revisionTags: { [LATEST]: latest } };
        await this.commit(to, snapshot.texts[snapshot.texts.length - 1] ?? '', history);
      } else {
        history = await this.append(dest, snapshot.texts[0] ?? '');
      }
      const keptTags = options.revisionTags
        ? Object.fromEntries(Object.entries(snapshot.history.revisionTags).filter(([tag, t]) => tag !== LATEST && history.revisions.some((r) => r.number === t.revision)))
        : {};
      if (Object.keys(keptTags).length > 0 || options.environmentTags) {
        history = { ...history, revisionTags: { ...history.revisionTags, ...keptTags }, tags: options.environmentTags ? snapshot.history.tags : {} };
        await this.writeHistory(to, history);
      }
      return to;
    });
  }

  /**
   * The evaluator's loader: maps an import name (`proj/env`, `env`, `proj/env@2`, `proj/env@stable`)
   * to the text it names, relative to the importing root's org. Failures name the environment.
   */
  loader(overrides: ReadonlyMap<string, string> = new Map(), org: string = this.org): EnvironmentLoader {
    return async (name) => {
      let stored: StoredRef;
      try {
        const parsed = parseEnvironmentRef(name, org);
        stored = { ...this.locate(parsed), ...(parsed.version !== undefined ? { version: parsed.version } : {}), twoPart: parsed.twoPart };
      } catch (err) {
        throw new Error(`cannot import ${quoteName(name)}: ${(err as Error).message}`);
      }
      const override = stored.version === undefined ? overrides.get(stored.name) : undefined;
      if (override !== undefined) return { name, source: override };
      try {
        return { name, source: (await this.read(stored)).source };
      } catch (err) {
        throw new Error((err as Error).message);
      }
    };
  }

  /** The file that changes with every revision and tag of an environment (for caches to watch). */
  historyFile(stored: StoredEnvironment): string {
    return join(this.historyDir(stored), HISTORY_FILE);
  }

  // ---- internals ----

  private plain(stored: StoredEnvironment): StoredEnvironment {
    return { org: stored.org, project: stored.project, env: stored.env, name: stored.name, file: stored.file };
  }

  /** A name without a file, with the closest existing name: a typo must not pass silently. */
  private notFound(stored: StoredEnvironment): EscdError {
    const known = knownEnvironmentNames(dirname(dirname(stored.file)));
    return new EscdError('not_found', `environment ${stored.name} does not exist (no file ${stored.file})${didYouMean(stored.name, known)}`);
  }

  private historyDir(stored: StoredEnvironment): string {
    return join(dirname(stored.file), HISTORY_DIR, stored.env);
  }

  private lockFile(stored: StoredEnvironment): string {
    return join(dirname(stored.file), HISTORY_DIR, `${stored.env}.lock`);
  }

  /** Runs `fn` holding the environment's lock, with its definition text and recorded history. */
  private async locked<T>(stored: StoredEnvironment, fn: (state: Locked) => Promise<T>): Promise<T> {
    await this.ensureDir(join(dirname(stored.file), HISTORY_DIR));
    await this.checkInside(stored.file);
    const lock = this.lockFile(stored);
    const inside = (err: unknown): never => {
      throw err instanceof EscdError ? err : ioError('write', stored.file, err);
    };
    return withFileLock(lock, async () => {
      const text = await readFile(stored.file, 'utf8').catch((err: unknown) => {
        if (errnoCode(err) === 'ENOENT') return undefined;
        if (errnoCode(err) === 'EISDIR') throw new EscdError('io', `${stored.file} is a directory, not an environment file`);
        throw ioError('read', stored.file, err);
      });
      return fn({ stored, text, history: text === undefined ? emptyHistory() : await this.readHistory(stored) });
    }).catch(inside);
  }

  /** Like `locked` for an environment that must exist, its history brought up to date with its file. */
  private async withEnvironment<T>(stored: StoredEnvironment, fn: (state: Locked) => Promise<T>): Promise<T> {
    // A missing environment is reported before the lock, which would create its directories.
    if (!(await this.exists(stored))) throw new EscdError('not_found', 'not found');
    return this.locked(this.plain(stored), async (state) => {
      if (state.text === undefined) throw new EscdError('not_found', 'not found');
      return fn(await this.synced(state));
    });
  }

  /** Changes the history of an existing environment (tags, retractions) and commits it. */
  private async change(name: string | StoredEnvironment, edit: (history: History, stored: StoredEnvironment) => History): Promise<void> {
    const stored = this.plain(typeof name === 'string' ? this.resolve(name) : name);
    await this.withEnvironment(stored, async (state) => this.writeHistory(stored, edit(state.history, stored)));
  }

  /** Adopts the definition file as a new revision when it is not the latest recorded one. */
  private async synced(state: Locked): Promise<Locked> {
    const text = state.text ?? '';
    const last = state.history.revisions[state.history.revisions.length - 1];
    if (last && last.sha256 === sha256(text)) return state;
    return { ...state, history: await this.append(state, text) };
  }

  /** Writes `source` as the next revision and makes it the latest; returns the committed history. */
  private async append(state: Locked, source: string): Promise<History> {
    const { stored } = state;
    const number = latestRevision(state.history) + 1;
    const environment = fullName(stored);
    const record: RevisionRecord = { number, sha256: sha256(source), ...this.stamp({ kind: 'revision', environment, revision: number }) };
    const latest: RevisionTag = { revision: number, ...this.stamp({ kind: 'revision-tag', environment, tag: LATEST, revision: number }) };
    const history: History = {
      ...state.history,
      revisions: [...state.history.revisions, record],
      revisionTags: { ...state.history.revisionTags, [LATEST]: latest },
    };
    await this.writeRevisionFile(stored, number, source);
    await this.commit(stored, source, history);
    return history;
  }

  private async writeRevisionFile(stored: StoredEnvironment, number: number, source: string): Promise<void> {
    const dir = this.historyDir(stored);
    await this.ensureDir(dir);
    const file = join(dir, `${number}${ENVIRONMENT_EXTENSION}`);
    await writeFileAtomic(file, source, 0o600).catch((err: unknown) => {
      throw ioError('write', file, err);
    });
  }

  /** The definition file, then the history: the history is the commit point. */
  private async commit(stored: StoredEnvironment, source: string, history: History): Promise<void> {
    await writeFileAtomic(stored.file, source, 0o600).catch((err: unknown) => {
      throw ioError('write', stored.file, err);
    });
    await this.writeHistory(stored, history);
  }

  private async writeHistory(stored: StoredEnvironment, history: History): Promise<void> {
    const dir = this.historyDir(stored);
    await this.ensureDir(dir);
    const file = join(dir, HISTORY_FILE);
    await writeFileAtomic(file, JSON.stringify(history, null, 2) + '\n', 0o600).catch((err: unknown) => {
      throw ioError('write', file, err);
    });
  }

  private async readHistory(stored: StoredEnvironment): Promise<History> {
    const file = join(this.historyDir(stored), HISTORY_FILE);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return emptyHistory();
      throw ioError('read', file, err);
    }
    try {
      return checkHistory(JSON.parse(text), file);
    } catch (err) {
      throw new EscdError('io', err instanceof SyntaxError ? `${file} is damaged: not JSON` : (err as Error).message);
    }
  }

  private async revisionText(stored: StoredEnvironment, number: number): Promise<string> {
    const file = join(this.historyDir(stored), `${number}${ENVIRONMENT_EXTENSION}`);
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      throw ioError('read', file, err);
    }
  }

  private async readDir(dir: string) {
    try {
      return await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return [];
      throw ioError('list', dir, err);
    }
  }

  /** Creates a directory and its parents inside the store as 0700 when missing. */
  private async ensureDir(dir: string): Promise<void> {
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw ioError('create', dir, err);
    }
  }

  /**
   * Follows symbolic links: the file (or, before it exists, its directory) must really be inside
   * the environments directory, so a link cannot redirect reads or writes elsewhere.
   */
  private async checkInside(file: string): Promise<void> {
    const root = await realpath(this.dir).catch(() => undefined);
    if (root === undefined) return; // no store yet: nothing can point outside it
    let target: string | undefined;
    for (const candidate of [file, dirname(file)]) {
      target = await realpath(candidate).catch(() => undefined);
      if (target !== undefined) {
        if (candidate !== file) target = join(target, relative(dirname(file), file));
        break;
      }
    }
    if (target === undefined) return; // neither exists yet: it will be created inside
    const rel = relative(root, target);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
      throw new EscdError('bad_request', `refusing to use ${file}: it resolves to ${target}, outside the environments directory ${root}`);
    }
  }
}

/** `{[key]: value}` when value is defined, else `{}` (exactOptionalPropertyTypes-friendly spreading). */
function pick<K extends string, V>(value: V | undefined, key: K): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

export type { Stamp, Stamper, History };
