// The `escd env …` verbs on a Pulumi Cloud name (an org config.yaml maps to Pulumi Cloud). The daemon
// makes every call to the service (`cloud.env`, audited there, and it drops the cached opens a change
// made stale); this module asks it and prints the answers as the local verbs print theirs.
import type { Document } from 'yaml';
import type { CloudDefinition, CloudEnvironmentTag, CloudRevision, CloudRevisionTag, CloudStamp } from '../cloud/client.js';
import { cloudTargetOf, type CloudTarget } from '../cloud/routing.js';
import type { SyncClient } from '../cloud/sync.js';
import type { Diagnostic } from '../esc/types.js';
import type { CloudOperation, EnvOpenResult } from '../protocol/wire.js';
import type { EscValue } from '../esc/value.js';
import type { Runtime } from '../runtime/runtime.js';
import type { EnvironmentTag, Person, RevisionRecord, RevisionTag } from '../store/revisions.js';
import { askEngine, type EngineOptions } from './engine.js';
import { formatEnvironmentTag, formatRevision, formatRevisionTag, formatTable, goTime } from './format/history.js';
import { EscdError } from '../core/errors.js';

const out = (text: string): void => void process.stdout.write(text);

/** The cloud environment `name` denotes, or undefined for a local one. */
export function cloudTarget(runtime: Runtime, name: string): CloudTarget | undefined {
  return cloudTargetOf(runtime.config, name);
}

/** One `cloud.env` request to the daemon (or, with --no-daemon, its request path in this process). */
export async function askCloud(op: CloudOperation, options: EngineOptions = {}): Promise<unknown> {
  return askEngine('cloud.env', op, { ...options, quiet: true });
}

/** The opened environment's values, as `escd open` gets them (served from the daemon's cache). */
export async function openValues(target: CloudTarget, showSecrets: boolean): Promise<EscValue | undefined> {
  const opened = (await askEngine('env.open', { env: target.name, format: 'wire', showSecrets }, { quiet: true })) as EnvOpenResult;
  for (const line of opened.warnings) process.stderr.write(line + '\n');
  if (opened.values === undefined) return undefined;
  const { decodeValue } = await import('../esc/wire-value.js');
  return decodeValue(opened.values);
}

// ---- definitions ----

export async function readDefinition(target: CloudTarget, options: { decrypt?: boolean } = {}): Promise<CloudDefinition> {
  return (await askCloud({ op: 'read', env: target.name, ...(options.decrypt ? { decrypt: true } : {}) })) as CloudDefinition;
}

/** Bigger definitions go to the daemon as a file (a request line holds at most 64 KiB). */
const INLINE_SOURCE_BYTES = 48 * 1024;

/** Stores `text` as the next revision; with `etag`, refused (one line) when it changed since that read. */
export async function writeDefinition(target: CloudTarget, text: string, etag?: string): Promise<{ diagnostics: readonly Diagnostic[]; revision?: number }> {
  return writeDefinitionWith({ op: 'write', env: target.name, ...(etag !== undefined ? { etag } : {}) }, text);
}

type WriteOperation = Omit<Extract<CloudOperation, { op: 'write' }>, 'source' | 'path'>;

async function writeDefinitionWith(base: WriteOperation, text: string): Promise<{ diagnostics: readonly Diagnostic[]; revision?: number }> {
  if (Buffer.byteLength(text) <= INLINE_SOURCE_BYTES) return (await askCloud({ ...base, source: text })) as { diagnostics: Diagnostic[]; revision?: number };
  const [{ mkdtemp, rm, writeFile }, { tmpdir }, { join }] = await Promise.all([import('node:fs/promises'), import('node:os'), import('node:path')]);
  const dir = await mkdtemp(join(process.env.XDG_RUNTIME_DIR || tmpdir(), 'escd-cloud-'));
  try {
    const path = join(dir, 'definition.yaml');
    await writeFile(path, text, { mode: 0o600 });
    return (await askCloud({ ...base, path })) as { diagnostics: Diagnostic[]; revision?: number };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Applies a change to the latest definition as the service keeps it (secrets stay sealed by the
 * service; a new `fn::secret` goes in clear over TLS for it to seal) and stores it with the read's
 * ETag, so a concurrent change is refused instead of overwritten.
 */
export async function modifyDefinition(target: CloudTarget, change: (doc: Document) => void): Promise<{ diagnostics: readonly Diagnostic[]; revision?: number }> {
  if (target.ref.version !== undefined) throw new EscdError('bad_request', `cannot change a version (${target.name}): name the environment without @`);
  const { Document: Doc } = await import('yaml');
  const [{ parseDefinition }, { DefinitionError }] = await Promise.all([import('../store/definition.js'), import('../store/path.js')]);
  const current = await readDefinition(target);
  const file = `${target.ref.project}/${target.ref.name}`;
  const doc = current.yaml.trim() === '' ? new Doc() : parseDefinition(current.yaml, file);
  try {
    change(doc);
  } catch (err) {
    if (err instanceof DefinitionError) throw new EscdError('bad_request', err.message);
    throw err;
  }
  const text = doc.toString({ indent: 2, indentSeq: true, lineWidth: 0, flowCollectionPadding: false });
  return writeDefinition(target, text, current.etag);
}

/** The service calls `env pull`/`env push` make, each one asked of the daemon. */
export function syncClient(): SyncClient {
  return {
    async definition(ref, options = {}) {
      const name = `${ref.org}/${ref.project}/${ref.name}${ref.version ? `@${ref.version}` : ''}`;
      return ((await askCloud({ op: 'read', env: name, ...(options.decrypt ? { decrypt: true } : {}) })) as CloudDefinition).yaml;
    },
    async update(ref, yaml) {
      const name = `${ref.org}/${ref.project}/${ref.name}`;
      if (Buffer.byteLength(yaml) > INLINE_SOURCE_BYTES) return (await writeDefinitionWith({ op: 'write', env: name, create: true }, yaml)).diagnostics;
      return ((await askCloud({ op: 'write', env: name, source: yaml, create: true })) as { diagnostics: Diagnostic[] }).diagnostics;
    },
    async list(org) {
      return (await askCloud({ op: 'list', org })) as { project: string; name: string }[];
    },
  };
}

// ---- env ls ----

export interface CloudListing {
  readonly name: string;
  readonly org: string;
  readonly project: string;
  readonly backend: string;
  readonly modified?: string;
}

/** Every environment of the cloud orgs (or of `org` alone); an org that cannot be listed is one warning line. */
export async function listEnvironments(runtime: Runtime, org?: string): Promise<CloudListing[]> {
  const orgs = org !== undefined ? [org] : Object.keys(runtime.config.cloudOrgs).sort();
  const found: CloudListing[] = [];
  for (const o of orgs) {
    const backend = runtime.config.cloudOrgs[o]!;
    try {
      const listed = (await askCloud({ op: 'list', org: o })) as { project: string; name: string; modified?: string }[];
      for (const e of listed) found.push({ name: `${o}/${e.project}/${e.name}`, org: o, project: e.project, backend, ...(e.modified ? { modified: e.modified } : {}) });
    } catch (err) {
      if (org !== undefined) throw err;
      process.stderr.write(`escd: warning: cannot list ${o} in Pulumi Cloud: ${(err as Error).message}\n`);
      process.exitCode = 1;
    }
  }
  return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

// ---- history ----

const person = (s: CloudStamp): Person | undefined => (s.login || s.author ? { name: s.author ?? s.login!, login: s.login ?? s.author! } : undefined);
const stamp = (s: CloudStamp): { at?: string; by?: Person } => {
  const by = person(s);
  return { ...(s.at ? { at: s.at } : {}), ...(by ? { by } : {}) };
};
const revisionRecord = (r: CloudRevision): RevisionRecord => ({ number: r.number, sha256: '', ...stamp(r) });
const shownTags = (r: CloudRevision): string[] => r.tags.filter((t) => t !== 'latest').sort();
const isRevisionNumber = (version: string): boolean => /^[0-9]/.test(version);

/** `env version history <env>[@version]`: newest first, from the version if one is given. */
export async function history(target: CloudTarget, utc: boolean): Promise<void> {
  let from = target;
  const version = target.ref.version;
  if (version !== undefined && !isRevisionNumber(version)) {
    // A tag: the history from the revision it names.
    const revision = await revisionNumberOf(target, `@${version}`);
    from = { ...target, ref: { ...target.ref, version: String(revision) }, name: `${bareName(target)}@${revision}` };
  }
  const revisions = (await askCloud({ op: 'revisions', env: from.name })) as CloudRevision[];
  for (const r of revisions) out(formatRevision(revisionRecord(r), shownTags(r), utc) + '\n');
}

/** `env version <env>@<version>`: one revision, or where a revision tag points. */
export async function showVersion(target: CloudTarget, utc: boolean): Promise<void> {
  const version = target.ref.version;
  if (version === undefined) throw new EscdError('bad_request', 'please specify a version');
  if (isRevisionNumber(version)) {
    const [revision] = (await askCloud({ op: 'revisions', env: target.name })) as CloudRevision[];
    if (!revision || String(revision.number) !== version) throw new EscdError('not_found', 'not found');
    out(formatRevision(revisionRecord(revision), shownTags(revision), utc));
    return;
  }
  const tag = (await askCloud({ op: 'revision-tag', env: bareName(target), tag: version })) as CloudRevisionTag;
  out(formatRevisionTag(version, revisionTagRecord(tag), utc));
}

const bareName = (target: CloudTarget): string => `${target.ref.org}/${target.ref.project}/${target.ref.name}`;
const revisionTagRecord = (t: CloudRevisionTag): RevisionTag => ({ revision: t.revision, ...stamp(t) });

/** The revision `@3`, `@stable` or `@latest` names (relative to `target`); latest when absent. */
async function revisionNumberOf(target: CloudTarget, text: string | undefined): Promise<number> {
  const version = text === undefined ? 'latest' : text.startsWith('@') ? text.slice(1) : text.includes('@') ? text.slice(text.indexOf('@') + 1) : text;
  if (text !== undefined && !text.startsWith('@') && text.includes('@') && text.slice(0, text.indexOf('@')) !== bareName(target)) {
    throw new EscdError('bad_request', `a revision of another environment (${text}) cannot be tagged on ${bareName(target)}`);
  }
  if (/^[0-9]+$/.test(version)) return Number(version);
  const tag = (await askCloud({ op: 'revision-tag', env: bareName(target), tag: version })) as CloudRevisionTag;
  return tag.revision;
}

/** `env version tag <env>@<tag> [@version]`: creates or moves the tag (to latest by default). */
export async function tagVersion(target: CloudTarget, at: string | undefined): Promise<void> {
  const tag = target.ref.version;
  if (tag === undefined || isRevisionNumber(tag)) throw new EscdError('bad_request', 'please specify a name for the tagged version');
  const revision = await revisionNumberOf(target, at);
  await askCloud({ op: 'tag-revision', env: bareName(target), tag, revision });
}

/** `env version tag ls <env>`: as the local table (or JSON). */
export async function tagVersionList(target: CloudTarget, options: { utc?: boolean; output?: string }): Promise<void> {
  if (target.ref.version !== undefined) throw new EscdError('bad_request', 'the ls command does not accept versions');
  const tags = ((await askCloud({ op: 'revision-tags', env: target.name })) as CloudRevisionTag[]).sort((a, b) => (a.name < b.name ? -1 : 1));
  if (options.output === 'json') {
    const zero = '0001-01-01T00:00:00Z';
    out(JSON.stringify({ tags: tags.map((t) => ({ name: t.name, revision: t.revision, created: t.at ?? zero, modified: t.at ?? zero, editorLogin: t.login ?? '', editorName: t.author ?? '' })) }, null, 2) + '\n');
    return;
  }
  const rows = tags.map((t) => {
    const by = person(t);
    return [t.name, String(t.revision), goTime(t.at, options.utc ?? false), by ? `${by.name} <${by.login}>` : '<unknown>'];
  });
  out(formatTable(['NAME', 'REVISION', 'MODIFIED', 'EDITOR'], rows, new Set([1])));
}

export async function tagVersionRemove(target: CloudTarget): Promise<void> {
  const tag = target.ref.version;
  if (tag === undefined || isRevisionNumber(tag)) throw new EscdError('bad_request', 'please specify a tagged version to remove');
  await askCloud({ op: 'untag-revision', env: bareName(target), tag });
}

// ---- environment tags ----

const environmentTag = (t: CloudEnvironmentTag): EnvironmentTag => {
  const editor = t.login || t.editor ? { name: t.editor ?? t.login!, login: t.login ?? t.editor! } : undefined;
  return { value: t.value, ...(t.created ? { created: t.created } : {}), ...(t.modified ? { modified: t.modified } : {}), ...(editor ? { editor } : {}) };
};

function unversioned(target: CloudTarget): string {
  if (target.ref.version !== undefined) throw new EscdError('bad_request', 'the tag command does not accept versions');
  return target.name;
}

export async function tagSet(target: CloudTarget, name: string, value: string, utc: boolean): Promise<void> {
  const tag = (await askCloud({ op: 'set-tag', env: unversioned(target), name, value })) as CloudEnvironmentTag;
  out(formatEnvironmentTag(tag.name, environmentTag(tag), utc));
}

export async function tagGet(target: CloudTarget, name: string, utc: boolean): Promise<void> {
  const tag = (await askCloud({ op: 'tag', env: unversioned(target), name })) as CloudEnvironmentTag;
  out(formatEnvironmentTag(tag.name, environmentTag(tag), utc));
}

export async function tagList(target: CloudTarget, utc: boolean): Promise<void> {
  const tags = ((await askCloud({ op: 'tags', env: unversioned(target) })) as CloudEnvironmentTag[]).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const tag of tags) out(formatEnvironmentTag(tag.name, environmentTag(tag), utc));
}

export async function tagMove(target: CloudTarget, name: string, newName: string, utc: boolean): Promise<void> {
  const tag = (await askCloud({ op: 'rename-tag', env: unversioned(target), name, newName })) as CloudEnvironmentTag;
  out(formatEnvironmentTag(tag.name, environmentTag(tag), utc));
}

export async function tagRemove(target: CloudTarget, name: string): Promise<void> {
  await askCloud({ op: 'remove-tag', env: unversioned(target), name });
  out(`Successfully deleted environment tag: ${name}\n`);
}
