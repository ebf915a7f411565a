// `escd env version …`, `escd env tag …` and `escd env clone`: the history of an environment —
// revisions, retractions, revision tags, environment tags — read and changed as the reference CLI
// does (env_version*.go, env_tag*.go, env_clone.go), over the local revision store.
import type { Runtime } from '../../runtime/runtime.js';
import { fullName } from '../../store/names.js';
import { LATEST, latestRevision, resolveVersion, type History } from '../../store/revisions.js';
import { type StoredRef } from '../../store/store.js';
import { checkArgCount, existingRef } from '../env-ref.js';
import { openRuntime } from '../evaluate.js';
import { formatEnvironmentTag, formatRevision, formatRevisionTag, formatTable, goTime, tagsByRevision } from '../format/history.js';
import { EscdError } from '../../core/errors.js';

const out = (text: string): void => void process.stdout.write(text);
const isRevisionNumber = (version: string): boolean => /^[0-9]/.test(version);

interface Utc {
  readonly utc?: boolean;
}

/** The revision a version names in this history; `not found` as the service says it. */
function revisionOf(history: History, version: string | undefined): number {
  const revision = resolveVersion(history, version);
  if (revision === undefined) throw new EscdError('not_found', 'not found');
  return revision;
}

/** `@3`, `@latest`, `env@3`: a version relative to `ref` (the reference's getRelativeEnvRef). */
async function relativeRevision(runtime: Runtime, ref: StoredRef, text: string): Promise<number> {
  const version = text.startsWith('@') ? text.slice(1) : text;
  if (text.startsWith('@') || !text.includes('@')) return revisionOf(await runtime.store.history(ref), version);
  const other = await existingRef(runtime, text);
  return revisionOf(await runtime.store.history(other), other.version);
}

/** `env version <env>@<version>`: one revision, or where a revision tag points. */
export async function show(name: string, options: Utc): Promise<void> {
  const runtime = await openRuntime();
  const ref = await existingRef(runtime, name);
  if (ref.version === undefined) throw new EscdError('bad_request', 'please specify a version');
  const history = await runtime.store.history(ref);
  if (isRevisionNumber(ref.version)) {
    const number = revisionOf(history, ref.version);
    const record = history.revisions.find((r) => r.number === number)!;
    out(formatRevision(record, tagsByRevision(history).get(number) ?? [], options.utc ?? false));
    return;
  }
  const tag = history.revisionTags[ref.version];
  if (!tag) throw new EscdError('not_found', 'not found');
  out(formatRevisionTag(ref.version, tag, options.utc ?? false));
}

/** `env version history <env>[@<version>]`: newest first, from the version if one is given. */
export async function history(name: string, options: Utc): Promise<void> {
  const runtime = await openRuntime();
  const ref = await existingRef(runtime, name);
  const h = await runtime.store.history(ref);
  const from = ref.version === undefined ? latestRevision(h) : revisionOf(h, ref.version);
  const tags = tagsByRevision(h);
  for (const r of [...h.revisions].reverse()) {
    if (r.number > from) continue;
    out(formatRevision(r, tags.get(r.number) ?? [], options.utc ?? false) + '\n');
  }
}

/** `env version retract <env>@<version> [--replace-with <version>] [--reason <text>]`. */
export async function retract(name: string, options: { replaceWith?: string; reason?: string }): Promise<void> {
  const runtime = await openRuntime();
  const ref = await existingRef(runtime, name);
  if (ref.version === LATEST) throw new EscdError('bad_request', 'cannot retract the `latest` revision');
  const h = await runtime.store.history(ref);
  const revision = revisionOf(h, ref.version);
  const replacement = options.replaceWith ? await relativeRevision(runtime, ref, options.replaceWith) : undefined;
  await runtime.store.retract(ref, revision, { ...(replacement !== undefined ? { replacement } : {}), ...(options.reason ? { reason: options.reason } : {}) });
}

/** `env version tag <env>@<tag> [@<version>]`: creates or moves a revision tag (to latest by default). */
export async function tagVersion(args: readonly string[], _options: Utc): Promise<void> {
  checkArgCount(args, 1, 2);
  const runtime = await openRuntime();
  const ref = await existingRef(runtime, args[0]!);
  if (ref.version === undefined || isRevisionNumber(ref.version)) throw new EscdError('bad_request', 'please specify a name for the tagged version');
  const h = await runtime.store.history(ref);
  const revision = args[1] === undefined ? latestRevision(h) : await relativeRevision(runtime, ref, args[1]);
  await runtime.store.tagRevision(ref, ref.version, revision);
}

/** `env version tag ls <env>`: every revision tag, `latest` included, as a table. */
export async function tagVersionList(name: string, options: Utc & { output?: string }): Promise<void> {
  const runtime = await openRuntime();
  const ref = await existingRef(runtime, name);
  if (ref.version !== undefined) throw new EscdError('bad_request', 'the ls command does not accept versions');
  const h = await runtime.store.history(ref);
  const names = Object.keys(h.revisionTags).sort();
  if (options.output === 'json') {
    const tags = names.map((n) => {
      const t = h.revisionTags[n]!;
      return { name: n, revision: t.revision, created: t.at ?? '0001-01-01T00:00:00Z', modified: t.at ?? '0001-01-01T00:00:00Z', editorLogin: t.by?.login ?? '', editorName: t.by?.name ?? '' };
    });
    out(JSON.stringify({ tags }, null, 2) + '\n');
    return;
  }
  const rows = names.map((n) => {
    const t = h.revisionTags[n]!;
    return [n, String(t.revision), goTime(t.at, options.utc ?? false), t.by ? `${t.by.name} <${t.by.login}>` : '<unknown>'];
  });
  out(formatTable(['NAME', 'REVISION', 'MODIFIED', 'EDITOR'], rows, new Set([1])));
}

/** `env version tag rm <env>@<tag>`. */
export async function tagVersionRemove(name: string): Promise<void> {
  const runtime = await openRuntime();
  const ref = await existingRef(runtime, name);
  if (ref.version === undefined || isRevisionNumber(ref.version)) throw new EscdError('bad_request', 'please specify a tagged version to remove');
  await runtime.store.untagRevision(ref, ref.version);
}

// ---- environment tags ----

/** The environment of an environment-tag verb: `environment not found` when it does not exist. */
async function taggedRef(runtime: Runtime, name: string): Promise<StoredRef> {
  const ref = await existingRef(runtime, name);
  if (ref.version !== undefined) throw new EscdError('bad_request', 'the tag command does not accept versions');
  if (!(await runtime.store.exists(ref))) throw new EscdError('not_found', 'environment not found');
  return ref;
}

/** `env tag <env> <name> <value>`: creates or updates an environment tag and prints it. */
export async function tagSet(args: readonly string[], options: Utc): Promise<void> {
  checkArgCount(args, 3);
  const [name, tag, value] = args as [string, string, string];
  if (tag === '') throw new EscdError('bad_request', 'environment tag name cannot be empty');
  if (value === '') throw new EscdError('bad_request', 'environment tag value cannot be empty');
  const runtime = await openRuntime();
  const ref = await taggedRef(runtime, name);
  const existing = (await runtime.store.history(ref)).tags[tag];
  const result = existing && existing.value === value ? existing : await runtime.store.setTag(ref, tag, value);
  out(formatEnvironmentTag(tag, result, options.utc ?? false));
}

export async function tagGet(name: string, tag: string, options: Utc): Promise<void> {
  const runtime = await openRuntime();
  const ref = await taggedRef(runtime, name);
  const found = (await runtime.store.history(ref)).tags[tag];
  if (!found) throw new EscdError('not_found', 'tag not found');
  out(formatEnvironmentTag(tag, found, options.utc ?? false));
}

export async function tagList(name: string, options: Utc): Promise<void> {
  const runtime = await openRuntime();
  const ref = await taggedRef(runtime, name);
  const tags = (await runtime.store.history(ref)).tags;
  for (const tag of Object.keys(tags).sort()) out(formatEnvironmentTag(tag, tags[tag]!, options.utc ?? false));
}

/** `env tag mv <env> <name> <new-name>`. */
export async function tagMove(name: string, tag: string, newName: string, options: Utc): Promise<void> {
  if (tag === '') throw new EscdError('bad_request', 'environment tag name cannot be empty');
  if (newName === '') throw new EscdError('bad_request', 'environment tag value cannot be empty');
  const runtime = await openRuntime();
  const ref = await taggedRef(runtime, name);
  const existing = (await runtime.store.history(ref)).tags[tag];
  if (!existing) throw new EscdError('not_found', 'tag not found');
  const result = newName === tag ? existing : await runtime.store.renameTag(ref, tag, newName);
  out(formatEnvironmentTag(newName, result, options.utc ?? false));
}

export async function tagRemove(name: string, tag: string): Promise<void> {
  const runtime = await openRuntime();
  const ref = await taggedRef(runtime, name);
  await runtime.store.removeTag(ref, tag);
  out(`Successfully deleted environment tag: ${tag}\n`);
}

// ---- clone ----

export interface CloneFlags {
  readonly preserveHistory?: boolean;
  readonly preserveAccess?: boolean;
  readonly preserveEnvTags?: boolean;
  readonly preserveRevTags?: boolean;
}

/** `env clone <src> [<project>/]<dest>`: a new environment in the source's org (and project unless given). */
export async function clone(source: string, destination: string, options: CloneFlags): Promise<void> {
  const runtime = await openRuntime();
  const ref = await runtime.store.resolveExisting(source).then(
    (r) => r.ref,
    () => runtime.store.resolve(source), // both spellings exist: the reference takes project/env
  );
  if (ref.version !== undefined) throw new EscdError('bad_request', 'the clone command does not accept versions');
  const [destProject, destEnv] = destination.includes('/') ? (destination.split('/', 2) as [string, string]) : [ref.project, destination];
  const dest = runtime.store.resolve(`${ref.org}/${destProject}/${destEnv}`);
  try {
    await runtime.store.clone(ref, dest, { history: options.preserveHistory ?? false, revisionTags: options.preserveRevTags ?? false, environmentTags: options.preserveEnvTags ?? false });
  } catch (err) {
    if (err instanceof EscdError && (err.code === 'not_found' || err.code === 'exists')) throw new EscdError(err.code, `cloning environment: ${err.message}`);
    throw err;
  }
  out(`Environment ${fullName(ref)} cloned into ${fullName(dest)}.\n`);
}
