// `escd env version …`, `escd env tag …`, `escd env clone`: revisions, revision tags, environment
// tags and copies, with the reference CLI's arguments, flags and examples.
import type { Command } from 'commander';
import type { Runtime } from '../../runtime/runtime.js';
import { fullName } from '../../store/names.js';
import { LATEST, latestRevision, resolveVersion, type History } from '../../store/revisions.js';
import { type StoredRef } from '../../store/store.js';
import { checkArgCount, existingRef } from '../env-ref.js';
import { rollback } from './env-write.js';
import { openRuntime } from '../evaluate.js';
import { checkDefinition } from '../engine.js';
import { decodeValue } from '../../esc/wire-value.js';
import type { EscValue } from '../../esc/value.js';
import { cloudTargetOf, type CloudTarget } from '../../cloud/routing.js';
import { formatEnvironmentTag, formatRevision, formatRevisionTag, formatTable, goTime, tagsByRevision } from '../format/history.js';
import { EscdError } from '../../core/errors.js';
import { Document, parseDocument } from 'yaml';
import { goQuote } from '../../esc/go-quote.js';
import { projectEnvironment } from '../../esc/project.js';
import { unifiedDiff } from '../format/unified-diff.js';
import { renderText } from '../format/values.js';

const UTC = 'display times in UTC';

export function register(env: Command): void {
  const version = env
    .command('version')
    .description('Manage versions: describe a revision or a tagged version')
    .argument('<env>', '[org/][project/]env@version')
    .option('--utc', UTC)
    .addHelpText(
      'after',
      `
A version is a revision number, \`latest\` or a revision tag. Subcommands show the revision history,
retract a revision, roll back to one, and manage tagged versions.

Examples:
  $ escd env version myproj/dev@3
  $ escd env version myproj/dev@stable
  $ escd env version history myproj/dev
  $ escd env version tag myproj/dev@stable 3
  $ escd env version rollback myproj/dev@2`,
    )
    .action(async (name: string, opts: { utc?: boolean }) => show(name, opts));

  version
    .command('history')
    .description('Show revision history, newest first (from the given version if one is given)')
    .argument('<env>', '[org/][project/]env[@version]')
    .option('--utc', UTC)
    .option('--pager <command>', 'accepted for compatibility; escd does not page')
    .addHelpText('after', '\nExample:\n  $ escd env version history myproj/dev@stable --utc')
    .action(async (name: string, opts: { utc?: boolean }) => history(name, opts));

  version
    .command('retract')
    .description('Retract a revision: it stays readable, and its tags move to the replacement')
    .argument('<env>', '[org/][project/]env@version')
    .option('--replace-with <version>', 'the version that replaces it (default: the newest earlier revision not retracted)')
    .option('--reason <text>', 'why it was retracted')
    .addHelpText('after', '\nExample:\n  $ escd env version retract myproj/dev@4 --replace-with @3 --reason "plaintext secret"')
    .action(async (name: string, opts: { replaceWith?: string; reason?: string }) => retract(name, opts));

  version
    .command('rollback')
    .description("Roll back to a version: its definition becomes a new revision")
    .argument('<env>', '[org/][project/]env@version')
    .addHelpText('after', '\nExample:\n  $ escd env version rollback myproj/dev@stable')
    .action(async (name: string) => rollback(name));

  const versionTag = version
    .command('tag')
    .description('Create or move a tagged version (to the given version, else to latest)')
    .argument('[args...]', '[org/][project/]env@tag [@version]')
    .option('--utc', UTC)
    .addHelpText('after', '\nExamples:\n  $ escd env version tag myproj/dev@stable\n  $ escd env version tag myproj/dev@stable @3')
    .action(async (args: string[], opts: { utc?: boolean }) => tagVersion(args, opts));

  versionTag
    .command('ls')
    .description("List an environment's tagged versions")
    .argument('<env>', '[org/][project/]env')
    .option('--utc', UTC)
    .option('-o, --output <format>', 'output format: default or json')
    .option('--pager <command>', 'accepted for compatibility; escd does not page')
    .addHelpText('after', '\nExample:\n  $ escd env version tag ls myproj/dev')
    .action(async (name: string, opts: { utc?: boolean; output?: string }) => tagVersionList(name, opts));

  versionTag
    .command('rm')
    .description('Remove a tagged version')
    .argument('<env>', '[org/][project/]env@tag')
    .addHelpText('after', '\nExample:\n  $ escd env version tag rm myproj/dev@stable')
    .action(async (name: string) => tagVersionRemove(name));

  const tag = env
    .command('tag')
    .description('Manage environment tags: create or update the tag <name> with <value>')
    .argument('[args...]', '[org/][project/]env <name> <value>')
    .option('--utc', UTC)
    .addHelpText('after', '\nExamples:\n  $ escd env tag myproj/dev owner platform-team\n  $ escd env tag ls myproj/dev\n  $ escd env tag rm myproj/dev owner')
    .action(async (args: string[], opts: { utc?: boolean }) => tagSet(args, opts));

  tag
    .command('get')
    .description('Show an environment tag')
    .argument('<env>')
    .argument('<name>')
    .option('--utc', UTC)
    .addHelpText('after', '\nExample:\n  $ escd env tag get myproj/dev owner')
    .action(async (name: string, t: string, opts: { utc?: boolean }) => tagGet(name, t, opts));

  tag
    .command('ls')
    .description("List an environment's tags")
    .argument('<env>')
    .option('--utc', UTC)
    .option('--pager <command>', 'accepted for compatibility; escd does not page')
    .addHelpText('after', '\nExample:\n  $ escd env tag ls myproj/dev --utc')
    .action(async (name: string, opts: { utc?: boolean }) => tagList(name, opts));

  tag
    .command('mv')
    .description('Rename an environment tag')
    .argument('<env>')
    .argument('<name>')
    .argument('<new-name>')
    .option('--utc', UTC)
    .addHelpText('after', '\nExample:\n  $ escd env tag mv myproj/dev owner team')
    .action(async (name: string, t: string, n: string, opts: { utc?: boolean }) => tagMove(name, t, n, opts));

  tag
    .command('rm')
    .description('Remove an environment tag')
    .argument('<env>')
    .argument('<name>')
    .addHelpText('after', '\nExample:\n  $ escd env tag rm myproj/dev owner')
    .action(async (name: string, t: string) => tagRemove(name, t));

  env
    .command('diff')
    .description("Show the changes between two versions of an environment: values and definitions")
    .argument('<env>', '[org/][project/]env[@version]')
    .argument('[other]', '[[org/][project/]env][@version] (default: the latest revision of the first)')
    .option('--format <format>', 'default (values and definitions), or only the values as json, string, dotenv or shell')
    .addHelpText(
      'after',
      `
Examples:
  $ escd env diff myproj/dev@stable
  $ escd env diff myproj/dev@3 @5
  $ escd env diff myproj/dev myproj/prod --format dotenv`,
    )
    .action(async (first: string, second: string | undefined, opts: { format?: string }) =>
      diff(second === undefined ? [first] : [first, second], opts),
    );

  env
    .command('clone')
    .description('Clone an environment into a new one (same org; same project unless given)')
    .argument('<src>', '[org/]project/env')
    .argument('<dest>', '[project/]env')
    .option('--preserve-history', 'copy every revision (default: only the latest, as revision 1)')
    .option('--preserve-access', 'keep team access (Pulumi Cloud; a local store has none: accepted and ignored)')
    .option('--preserve-env-tags', 'copy the environment tags')
    .option('--preserve-rev-tags', 'copy the revision tags')
    .addHelpText('after', '\nExamples:\n  $ escd env clone myproj/dev staging\n  $ escd env clone myproj/dev other/dev --preserve-history --preserve-rev-tags')
    .action(async (src: string, dest: string, opts: Record<string, boolean | undefined>) => clone(src, dest, opts));
}

// `escd env version …`, `escd env tag …` and `escd env clone`: the history of an environment —
// revisions, retractions, revision tags, environment tags — read and changed as the reference CLI
// does (env_version*.go, env_tag*.go, env_clone.go), over the local revision store.
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

/** The Pulumi Cloud environment `name` denotes and the verbs for it (the daemon asks the service), or undefined for a local one. */
async function cloudOf(runtime: Runtime, name: string): Promise<{ target: CloudTarget; cloud: typeof import('../cloud-env.js') } | undefined> {
  const target = cloudTargetOf(runtime.config, name);
  return target ? { target, cloud: await import('../cloud-env.js') } : undefined;
}

/** Verbs the service's API (through @pulumi/esc-sdk) has no call for. */
function notInCloud(verb: string, name: string): never {
  throw new EscdError('bad_request', `${verb} is not available for a Pulumi Cloud environment (${name}): @pulumi/esc-sdk has no call for it`);
}

/** `env version <env>@<version>`: one revision, or where a revision tag points. */
export async function show(name: string, options: Utc): Promise<void> {
  const runtime = await openRuntime();
  const remote = await cloudOf(runtime, name);
  if (remote) return remote.cloud.showVersion(remote.target, options.utc ?? false);
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
  const remote = await cloudOf(runtime, name);
  if (remote) return remote.cloud.history(remote.target, options.utc ?? false);
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
  if (cloudTargetOf(runtime.config, name)) notInCloud('env version retract', name);
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
  const remote = await cloudOf(runtime, args[0]!);
  if (remote) return remote.cloud.tagVersion(remote.target, args[1]);
  const ref = await existingRef(runtime, args[0]!);
  if (ref.version === undefined || isRevisionNumber(ref.version)) throw new EscdError('bad_request', 'please specify a name for the tagged version');
  const h = await runtime.store.history(ref);
  const revision = args[1] === undefined ? latestRevision(h) : await relativeRevision(runtime, ref, args[1]);
  await runtime.store.tagRevision(ref, ref.version, revision);
}

/** `env version tag ls <env>`: every revision tag, `latest` included, as a table. */
export async function tagVersionList(name: string, options: Utc & { output?: string }): Promise<void> {
  const runtime = await openRuntime();
  const remote = await cloudOf(runtime, name);
  if (remote) return remote.cloud.tagVersionList(remote.target, options);
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
  const remote = await cloudOf(runtime, name);
  if (remote) return remote.cloud.tagVersionRemove(remote.target);
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
  const remote = await cloudOf(runtime, name);
  if (remote) return remote.cloud.tagSet(remote.target, tag, value, options.utc ?? false);
  const ref = await taggedRef(runtime, name);
  const existing = (await runtime.store.history(ref)).tags[tag];
  const result = existing && existing.value === value ? existing : await runtime.store.setTag(ref, tag, value);
  out(formatEnvironmentTag(tag, result, options.utc ?? false));
}

export async function tagGet(name: string, tag: string, options: Utc): Promise<void> {
  const runtime = await openRuntime();
  const remote = await cloudOf(runtime, name);
  if (remote) return remote.cloud.tagGet(remote.target, tag, options.utc ?? false);
  const ref = await taggedRef(runtime, name);
  const found = (await runtime.store.history(ref)).tags[tag];
  if (!found) throw new EscdError('not_found', 'tag not found');
  out(formatEnvironmentTag(tag, found, options.utc ?? false));
}

export async function tagList(name: string, options: Utc): Promise<void> {
  const runtime = await openRuntime();
  const remote = await cloudOf(runtime, name);
  if (remote) return remote.cloud.tagList(remote.target, options.utc ?? false);
  const ref = await taggedRef(runtime, name);
  const tags = (await runtime.store.history(ref)).tags;
  for (const tag of Object.keys(tags).sort()) out(formatEnvironmentTag(tag, tags[tag]!, options.utc ?? false));
}

/** `env tag mv <env> <name> <new-name>`. */
export async function tagMove(name: string, tag: string, newName: string, options: Utc): Promise<void> {
  if (tag === '') throw new EscdError('bad_request', 'environment tag name cannot be empty');
  if (newName === '') throw new EscdError('bad_request', 'environment tag value cannot be empty');
  const runtime = await openRuntime();
  const remote = await cloudOf(runtime, name);
  if (remote) return remote.cloud.tagMove(remote.target, tag, newName, options.utc ?? false);
  const ref = await taggedRef(runtime, name);
  const existing = (await runtime.store.history(ref)).tags[tag];
  if (!existing) throw new EscdError('not_found', 'tag not found');
  const result = newName === tag ? existing : await runtime.store.renameTag(ref, tag, newName);
  out(formatEnvironmentTag(newName, result, options.utc ?? false));
}

export async function tagRemove(name: string, tag: string): Promise<void> {
  const runtime = await openRuntime();
  const remote = await cloudOf(runtime, name);
  if (remote) return remote.cloud.tagRemove(remote.target, tag);
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
  const remote = cloudTargetOf(runtime.config, source);
  if (remote) return cloneCloud(remote, destination, options);
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

/** `env clone` of a Pulumi Cloud environment: the service copies it within the org (the daemon asks). */
async function cloneCloud(source: CloudTarget, destination: string, options: CloneFlags): Promise<void> {
  if (source.ref.version !== undefined) throw new EscdError('bad_request', 'the clone command does not accept versions');
  const [project, name] = destination.includes('/') ? (destination.split('/', 2) as [string, string]) : [source.ref.project, destination];
  const { askCloud } = await import('../cloud-env.js');
  await askCloud({
    op: 'clone',
    env: source.name,
    project,
    name,
    ...(options.preserveHistory ? { history: true } : {}),
    ...(options.preserveAccess ? { access: true } : {}),
    ...(options.preserveEnvTags ? { environmentTags: true } : {}),
    ...(options.preserveRevTags ? { revisionTags: true } : {}),
  });
  out(`Environment ${source.name} cloned into ${source.ref.org}/${project}/${name}.\n`);
}

// `escd env diff <env>[@version] [[env][@version]]`: the values and definitions of two versions
// compared as the reference CLI does (env_diff.go): by default both, as fenced unified diffs; with
// --format json|string|dotenv|shell only the values in that form. The second side defaults to the
// first environment's latest revision; `@v` alone means the first environment at v.
type DiffFormat = 'default' | 'json' | 'string' | 'dotenv' | 'shell';
const FORMATS: readonly DiffFormat[] = ['default', 'json', 'string', 'dotenv', 'shell'];

interface Side {
  readonly label: string;
  readonly definition: string;
  readonly value: string;
}

/** The definition as `env get` shows it: re-encoded at 2-space indentation. */
function shownDefinition(text: string): string {
  if (text.trim() === '') return '';
  const doc = parseDocument(text, { uniqueKeys: false, version: '1.2' });
  return doc.errors.length > 0 ? text : (doc as Document).toString({ indent: 2, indentSeq: true, lineWidth: 0, flowCollectionPadding: false });
}

async function side(runtime: Runtime, ref: StoredRef, label: string, format: DiffFormat): Promise<Side> {
  const text = (await runtime.store.readRevision(ref, ref.version)).source;
  // The daemon checks each side (no provider is called; secrets stay hidden).
  const checked = await checkDefinition(fullName(ref), text, { values: true });
  return shownSide(label, text, checked.values === undefined || checked.values === null ? undefined : decodeValue(checked.values), format);
}

/** A version of a Pulumi Cloud environment: its definition as the service keeps it, its value opened (secrets redacted). */
async function cloudSide(target: CloudTarget, format: DiffFormat): Promise<Side> {
  const cloud = await import('../cloud-env.js');
  const [definition, values] = await Promise.all([cloud.readDefinition(target), cloud.openValues(target, false)]);
  return shownSide(target.name, definition.yaml, values, format);
}

function shownSide(label: string, text: string, values: EscValue | undefined, format: DiffFormat): Side {
  let value: string;
  if (format === 'dotenv' || format === 'shell') {
    const vars = projectEnvironment(values).environmentVariables;
    value = Object.entries(vars)
      .map(([name, v]) => `${format === 'shell' ? 'export ' : ''}${name}=${goQuote(v.secret ? '[secret]' : v.value)}\n`)
      .join('');
  } else if (values === undefined) {
    value = '';
  } else if (format === 'string') {
    value = renderText(values, 'string', { redact: true });
  } else {
    value = renderText(values, 'json', { redact: true });
    if (format === 'default') value = value.replace(/\n$/, '');
  }
  return { label, definition: shownDefinition(text), value };
}

export async function diff(args: readonly string[], options: { format?: string }): Promise<void> {
  const format = (options.format ?? 'default') as DiffFormat;
  if (!FORMATS.includes(format)) throw new EscdError('bad_request', `unknown output format ${JSON.stringify(options.format)}`);
  const runtime = await openRuntime();
  const remote = cloudTargetOf(runtime.config, args[0]!);
  if (remote) return cloudDiff(runtime, remote, args[1], format);
  const first = await existingRef(runtime, args[0]!);
  const from = { ...first, version: first.version ?? 'latest' };
  let to: StoredRef;
  let toLabel: string;
  const second = args[1];
  if (second === undefined) {
    to = { ...first, version: 'latest' };
    toLabel = `${fullName(first)}@latest`;
  } else if (second.startsWith('@')) {
    to = { ...first, version: second.slice(1) };
    toLabel = `${fullName(first)}${second}`;
  } else {
    to = await existingRef(runtime, second);
    toLabel = to.version === undefined ? fullName(to) : `${fullName(to)}@${to.version}`;
  }
  printDiff(await side(runtime, from, `${fullName(from)}@${from.version}`, format), await side(runtime, to, toLabel, format), format);
}

/** `env diff` between versions of Pulumi Cloud environments (both sides in the service). */
async function cloudDiff(runtime: Runtime, first: CloudTarget, second: string | undefined, format: DiffFormat): Promise<void> {
  const bare = `${first.ref.org}/${first.ref.project}/${first.ref.name}`;
  const at = (name: string): CloudTarget => {
    const target = cloudTargetOf(runtime.config, name);
    if (!target) throw new EscdError('bad_request', `${name} is not a Pulumi Cloud environment: both sides of a diff must be in the same place`);
    return target;
  };
  const from = first.ref.version === undefined ? at(`${bare}@latest`) : first;
  const to = second === undefined ? at(`${bare}@latest`) : second.startsWith('@') ? at(`${bare}${second}`) : at(second);
  printDiff(await cloudSide(from, format), await cloudSide(to, format), format);
}

function printDiff(a: Side, b: Side, format: DiffFormat): void {
  if (format !== 'default') {
    process.stdout.write(unifiedDiff(a.value, b.value, a.label, b.label));
    return;
  }
  const values = unifiedDiff(a.value, b.value, a.label, b.label);
  const definitions = unifiedDiff(a.definition, b.definition, a.label, b.label);
  if (values === '' && definitions === '') return;
  process.stdout.write(`# Value\n\`\`\`diff\n${values}\n\`\`\`\n# Definition\n\`\`\`diff\n${definitions}\n\`\`\`\n`);
}
