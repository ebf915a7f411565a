// `escd env init|edit|set|rm`: the writes of a definition, each a new revision.
import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Document, isScalar, Pair, parseDocument, Scalar, YAMLMap, type Node } from 'yaml';
import { readHidden } from '../hidden-input.js';
import type { Diagnostic } from '../../esc/types.js';
import type { Runtime } from '../../runtime/runtime.js';
import { sealSecret } from '../../secrets/envelope.js';
import { parseDefinition, removeValue, sealSecrets, setValue } from '../../store/definition.js';
import { DefinitionError, parsePath, type PathElement } from '../../store/path.js';
import { fullName } from '../../store/names.js';
import { type StoredRef } from '../../store/store.js';
import { decryptSecretsInText } from '../../store/secret-rewrite.js';
import { checkArgCount, existingRef, newRef, refuseVersion } from '../env-ref.js';
import { openRuntime } from '../evaluate.js';
import { cloudTargetOf, withoutVersion, type CloudTarget } from '../../cloud/routing.js';
import { checkDefinition } from '../engine.js';
import { propertyDiagnostics, yamlDiagnostics } from '../format/reference-diagnostics.js';
import { looksLikeSecret } from '../secret-heuristic.js';
import { EscdError } from '../../core/errors.js';

export function register(env: Command): void {
  env
    .command('init')
    .description('Create an environment: an empty revision 1, then the definition from -f as revision 2')
    .argument('<env>', 'environment name, [org/]project/env')
    .option('-f, --file <file>', 'the initial definition (YAML); - reads standard input')
    .addHelpText(
      'after',
      `
Plaintext fn::secret values are stored encrypted. A definition with errors is refused (the environment
stays, empty).

Examples:
  $ escd env init myproj/dev
  $ escd env init myproj/prod -f prod.yaml
  $ cat dev.yaml | escd env init myproj/dev -f -`,
    )
    .action(async (name: string, opts: { file?: string }) => init(name, opts));
  env
    .command('edit')
    .description('Edit a definition in an editor (or replace it with -f); a valid one becomes the next revision')
    .argument('<env>', 'environment name, [org/]project/env (no version)')
    .option('--editor <command>', 'the editor command (default: $VISUAL, $EDITOR, vi); `code` gets -w')
    .option('-f, --file <file>', 'the new definition; - reads standard input')
    .option('--show-secrets', 'edit fn::secret values as plaintext (they are encrypted again on save)')
    .addHelpText(
      'after',
      `
A definition with errors is not saved: the errors are shown, ENTER edits again, end of input gives up.
An empty definition aborts the edit. Any plaintext fn::secret in the saved definition is stored encrypted.

Examples:
  $ escd env edit myproj/dev
  $ escd env edit myproj/dev --editor "code"
  $ escd env edit myproj/dev -f dev.yaml
  $ escd env edit myproj/dev --show-secrets`,
    )
    .action(async (name: string, opts: { editor?: string; file?: string; showSecrets?: boolean }) => edit(name, opts));
  env
    .command('set')
    .description('Set a value within an environment (a new revision), keeping comments and order')
    .argument('[args...]', '<env> <path> [<value>]: path under values (or imports[N]), e.g. a.b[0]["key"]; the value is read as YAML (with --secret and no value: from standard input, hidden on a terminal)')
    .option('--secret', 'store the value encrypted as fn::secret')
    .option('--plaintext', 'store a value that looks like a secret in plaintext anyway')
    .option('--string', 'take the value literally as a string instead of reading it as YAML')
    .option('-f, --file <file>', 'read the value from a file; - reads standard input')
    .addHelpText(
      'after',
      `
A string under a key such as password, token or secret that looks random is refused unless --secret
or --plaintext says what it is.

Examples:
  $ escd env set myproj/dev aws.region us-west-2
  $ escd env set myproj/dev ports '[80, 443]'
  $ escd env set myproj/dev build.version 1.10 --string
  $ escd env set myproj/dev environmentVariables.AWS_REGION '\${aws.region}'
  $ escd env set myproj/dev api.token --secret          # prompts; the value never appears in argv
  $ escd env set myproj/dev api.token --secret -f token.txt
  $ escd env set myproj/dev imports[0] myproj/base`,
    )
    .action(async (args: string[], opts: { secret?: boolean; plaintext?: boolean; string?: boolean; file?: string }) => set(args, opts));
  env
    .command('rm')
    .alias('remove')
    .description('Remove an environment, or with a path a value within it (a new revision)')
    .argument('[args...]', '<env> [<path>]')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText('after', '\nExamples:\n  $ escd env rm myproj/dev db.password\n  $ escd env rm myproj/old --yes')
    .action(async (args: string[], opts: { yes?: boolean }) => remove(args, opts));
}

// The verbs that write a revision — `env init`, `env edit`, `env set`, `env rm [path]`,
// `env version rollback` — with the reference CLI's flags, output and errors (env_init.go,
// env_edit.go, env_set.go, env_rm.go, env_version_rollback.go). Every update is checked first; with
// no error its plaintext `fn::secret` values are encrypted, the text is written back as the reference
// stores it (2-space YAML, comments and styles kept) and it becomes the next revision.
const say = (line: string): void => void process.stdout.write(line + '\n');
const warn = (text: string): void => void process.stderr.write(text);

/** The YAML layouts of the reference: go-yaml's Marshal (4 spaces) and the stored form after encryption (2). */
const render = (doc: Document, indent: 2 | 4): string => doc.toString({ indent, indentSeq: true, lineWidth: 0, flowCollectionPadding: false });

/** `-f=x` reaches commander as `=x`. */
const fileFlag = (file: string | undefined): string | undefined => (file?.startsWith('=') ? file.slice(1) : file);

async function readSource(file: string): Promise<Buffer> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
  return readFile(file);
}

interface UpdateOutcome {
  readonly diagnostics: readonly Diagnostic[];
  readonly updated: boolean;
}

/**
 * The daemon's check of `text` as the definition of `ref` (env.check; in this process with
 * ESCD_NO_DAEMON=1): diagnostics name the root `<project>/<env>`, as the reference's update does.
 */
async function check(ref: StoredRef, text: string): Promise<Diagnostic[]> {
  const root = `${ref.project}/${ref.env}`;
  const checked = await checkDefinition(fullName(ref), text);
  return checked.diagnostics.map((d) => (d.file === checked.environment.name || d.file === undefined ? { ...d, file: root } : d));
}

/**
 * Checks `text` as the definition of `ref`; with no error encrypts its plaintext secrets, writes it
 * back at 2-space indentation and makes it the next revision.
 */
async function update(runtime: Runtime, ref: StoredRef, text: string, expectedRevision?: number): Promise<UpdateOutcome> {
  const root = `${ref.project}/${ref.env}`;
  const diagnostics = await check(ref, text);
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics, updated: false };
  let stored = text;
  if (text.trim() !== '') {
    const doc = parseDefinition(text, root);
    await sealSecrets(doc, text, (plaintext) => sealSecret(runtime.cipher, plaintext));
    stored = render(doc, 2);
  }
  await runtime.store.update(ref, stored, expectedRevision !== undefined ? { expectedRevision } : {});
  return { diagnostics, updated: true };
}

// ---- init ----

export async function init(name: string, options: { file?: string }): Promise<void> {
  const runtime = await openRuntime();
  const target = cloudTargetOf(runtime.config, name);
  if (target) return initCloud(target, fileFlag(options.file));
  refuseVersion('init', name, runtime);
  const ref = await newRef(runtime, name);
  const file = fileFlag(options.file);
  try {
    await runtime.store.create(ref, '');
  } catch (err) {
    if (err instanceof EscdError && err.code === 'exists') throw new EscdError('exists', `creating environment: ${err.message}`);
    throw err;
  }
  say(`Environment created: ${fullName(ref)}`);
  if (file === undefined) return;
  const text = (await readSource(file)).toString('utf8');
  const { diagnostics, updated } = await update(runtime, ref, text);
  warn(yamlDiagnostics(`${ref.project}/${ref.env}`, text, diagnostics));
  if (!updated) throw new EscdError('bad_request', 'updating environment definition: too many errors');
}

// ---- edit ----

/** The reference's editor command parsing: whitespace-separated words, `"` groups, `\"` a quote. */
export function parseEditorCommand(editor: string): string[] {
  const words: string[] = [];
  let rest = editor;
  for (;;) {
    rest = rest.replace(/^\s+/, '');
    if (rest === '') return words;
    let word = '';
    let quoted = false;
    let i = 0;
    for (; i < rest.length; i++) {
      const c = rest[i]!;
      if (c === '"') {
        quoted = !quoted;
        continue;
      }
      if (!quoted && /\s/.test(c)) break;
      if (c === '\\' && rest[i + 1] === '"') {
        word += '"';
        i++;
      } else {
        word += c;
      }
    }
    words.push(word);
    rest = rest.slice(i);
  }
}

function lookPath(command: string): string | undefined {
  const candidates = command.includes('/') ? [command] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, command));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

function editorCommand(flag: string | undefined): string[] {
  const words = parseEditorCommand(flag || process.env.VISUAL || process.env.EDITOR || '');
  if (words.length === 0) {
    const vi = lookPath('vi');
    if (!vi) throw new EscdError('bad_request', 'no available editor; please use the --editor flag or set one of the VISUAL or EDITOR environment variables');
    return [vi];
  }
  if (words[0] === 'code' && words.length === 1) words.push('-w');
  const found = lookPath(words[0]!);
  if (!found) throw new EscdError('bad_request', `finding ${JSON.stringify(words[0])} on path: command not found`);
  return [found, ...words.slice(1)];
}

function runEditor(editor: readonly string[], file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(editor[0]!, [...editor.slice(1), file], { stdio: 'inherit' });
    child.once('error', (err) => reject(new EscdError('bad_request', `editor: ${err.message}`)));
    child.once('close', (code, signal) => (code === 0 ? resolve() : reject(new EscdError('bad_request', `editor: ${signal ? `signal: ${signal}` : `exit status ${code}`}`))));
  });
}

/** Waits for a line on stdin: true for ENTER, false at the end of input (^D). */
async function continueEditing(): Promise<boolean> {
  const rl = createInterface({ input: process.stdin });
  try {
    for await (const _line of rl) return true;
    return false;
  } finally {
    rl.close();
  }
}

export async function edit(name: string, options: { editor?: string; file?: string; showSecrets?: boolean }): Promise<void> {
  const runtime = await openRuntime();
  const subject = await subjectOf(runtime, 'edit', name);
  const root = rootOf(subject);
  const file = fileFlag(options.file);
  if (file !== undefined) {
    let text: string;
    try {
      text = (await readSource(file)).toString('utf8');
    } catch (err) {
      throw new EscdError('bad_request', `reading environment definition: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const { diagnostics, updated } = await save(runtime, subject, text);
    if (updated) say('Environment updated.');
    warn(yamlDiagnostics(root, text, diagnostics));
    return;
  }
  const editor = editorCommand(options.editor);
  // What was read, and what tells a concurrent change: the local revision, or the service's ETag.
  let current: { source: string; revision?: number; etag?: string };
  let text: string;
  if (subject.kind === 'cloud') {
    const read = await (await import('../cloud-env.js')).readDefinition(subject.target, { decrypt: options.showSecrets ?? false });
    current = { source: read.yaml, ...(read.etag !== undefined ? { etag: read.etag } : {}) };
    text = read.yaml; // decrypted by the service when --show-secrets
  } else {
    const { ref } = subject;
    try {
      const def = await runtime.store.read(ref);
      const history = await runtime.store.history(ref);
      current = { source: def.source, revision: history.revisions[history.revisions.length - 1]?.number ?? 0 };
    } catch (err) {
      if (err instanceof EscdError && err.code === 'not_found') throw new EscdError('not_found', 'getting environment definition: not found');
      throw err;
    }
    text = options.showSecrets ? await decryptSecretsInText(current.source, runtime.cipher, root) : current.source;
  }
  // The user's runtime dir (tmpfs, private) where there is one: with --show-secrets the file holds plaintext.
  const dir = await mkdtemp(join(process.env.XDG_RUNTIME_DIR || tmpdir(), 'escd-edit-'));
  try {
    for (;;) {
      const temp = join(dir, `${root.split('/').pop()}.yaml`);
      await writeFile(temp, text, { mode: 0o600 });
      await runEditor(editor, temp);
      let edited = await readFile(temp, 'utf8');
      const sep = /(^|\n)---(\n|$)/.exec(edited);
      if (sep) edited = edited.slice(0, sep.index + sep[1]!.length);
      if (edited.trim() === '') {
        warn('Aborting edit due to empty definition.\n');
        return;
      }
      const { diagnostics, updated } = await save(runtime, subject, edited, current);
      if (updated) {
        warn(yamlDiagnostics(root, edited, diagnostics));
        say('Environment updated.');
        return;
      }
      warn(yamlDiagnostics(root, edited, diagnostics));
      warn('Press ENTER to continue editing or ^D to exit\n');
      if (!(await continueEditing())) {
        warn('Aborting edit.\n');
        return;
      }
      text = edited;
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// ---- set ----

export interface SetOptions {
  readonly secret?: boolean;
  readonly plaintext?: boolean;
  readonly string?: boolean;
  readonly file?: string;
}

/** go-yaml's wording for the value errors people meet most: an unclosed flow collection. */
function valueError(text: string, message: string, line: number): string {
  if (/^\s*\[/.test(text) && !/\]\s*$/.test(text)) return `yaml: line ${line}: did not find expected ',' or ']'`;
  if (/^\s*\{/.test(text) && !/\}\s*$/.test(text)) return `yaml: line ${line}: did not find expected ',' or '}'`;
  return message.split('\n')[0]!;
}

/** The value argument as the reference reads it: YAML; empty is the empty string. */
function parseArgument(text: string): Node {
  const parsed = parseDocument(text, { prettyErrors: false, version: '1.2' });
  const first = parsed.errors[0];
  if (first) throw new EscdError('bad_request', `invalid value: ${valueError(text, first.message, first.linePos?.[0].line ?? 1)}`);
  const node = parsed.contents as Node | null;
  if (node === null || (isScalar(node) && node.value === null && text.trim() === '')) return new Scalar('');
  return node;
}

export async function set(args: readonly string[], options: SetOptions): Promise<void> {
  checkArgCount(args, 1, 3);
  const runtime = await openRuntime();
  const subject = await subjectOf(runtime, 'set', args[0]!);
  const file = fileFlag(options.file);
  let pathText: string;
  let raw: string;
  if (file !== undefined) {
    if (args.length < 2) throw new EscdError('usage', 'expected a path');
    pathText = args[1]!;
    const bytes = await readSource(file).catch((err: NodeJS.ErrnoException) => {
      throw new EscdError('bad_request', `reading file: ${err.code ?? err.message}`);
    });
    try {
      raw = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new EscdError('bad_request', 'file content must be valid UTF-8');
    }
  } else if (args.length === 2 && options.secret) {
    // The secret comes from standard input (hidden on a terminal), never through argv.
    pathText = args[1]!;
    raw = await readHidden('secret value');
  } else {
    if (args.length < 3) throw new EscdError('usage', options.secret ? 'expected a path (the secret is then read from standard input)' : 'expected a path and a value');
    pathText = args[1]!;
    raw = args[2]!;
    // Told to the person at the terminal; scripts keep the reference CLI's exact output (conformance).
    if (options.secret && process.stderr.isTTY) {
      process.stderr.write(
        'escd: warning: a secret on the command line can be read by other users in the process list and stays in shell history; next time leave the value out and give it on standard input\n',
      );
    }
  }
  let path: PathElement[];
  try {
    path = parsePath(pathText);
  } catch (err) {
    throw new EscdError('bad_request', `invalid path: ${(err as Error).message}`);
  }
  let value: Node = options.string ? new Scalar(raw) : parseArgument(raw);
  if (!options.secret && !options.plaintext && isScalar(value) && looksLikeSecret(path[path.length - 1], value.value)) {
    throw new EscdError('bad_request', 'value looks like a secret; rerun with --secret to mark it as such, or --plaintext if you meant to leave it as plaintext');
  }
  if (options.secret) {
    const secret = new YAMLMap();
    secret.items.push(new Pair(new Scalar('fn::secret'), options.string ? new Scalar(raw) : parseArgumentForSecret(raw)));
    value = secret;
  }
  await modifySubject(runtime, subject, (doc) => setValue(doc, path, value), `${options.secret ? 'set secret' : 'set'} ${pathText}`);
}

/** A `--secret` value: its YAML meaning when it is a string or a collection, else its text as a string. */
function parseArgumentForSecret(raw: string): Node {
  const node = parseArgument(raw);
  return isScalar(node) && typeof node.value !== 'string' ? new Scalar(raw) : node;
}

/**
 * The environment a verb changes: a local one (the store here), or one of an org config.yaml maps to
 * Pulumi Cloud (the daemon asks the service; src/cli/cloud-env.ts).
 */
export type Subject = { readonly kind: 'local'; readonly ref: StoredRef } | { readonly kind: 'cloud'; readonly target: CloudTarget };

export async function subjectOf(runtime: Runtime, verb: string, name: string): Promise<Subject> {
  const target = cloudTargetOf(runtime.config, name);
  if (target) {
    if (target.ref.version !== undefined) throw new EscdError('bad_request', `the ${verb} command does not accept versions`);
    return { kind: 'cloud', target };
  }
  refuseVersion(verb, name, runtime);
  return { kind: 'local', ref: await existingRef(runtime, name) };
}

/** `<project>/<env>`, as the diagnostics of an update name the root. */
const rootOf = (subject: Subject): string => (subject.kind === 'local' ? `${subject.ref.project}/${subject.ref.env}` : `${subject.target.ref.project}/${subject.target.ref.name}`);

/**
 * Stores a whole definition: locally checked, sealed and written (refused if the revision moved); in
 * Pulumi Cloud checked and sealed by the service (refused in one line if it changed since the read).
 */
async function save(runtime: Runtime, subject: Subject, text: string, read: { revision?: number; etag?: string } = {}): Promise<UpdateOutcome> {
  if (subject.kind === 'local') return update(runtime, subject.ref, text, read.revision);
  const { writeDefinition } = await import('../cloud-env.js');
  const { diagnostics } = await writeDefinition(subject.target, text, read.etag);
  return { diagnostics, updated: !diagnostics.some((d) => d.severity === 'error') };
}

/** A change to one property: `modify` locally, or read-change-write against the service's ETag. */
export async function modifySubject(runtime: Runtime, subject: Subject, change: (doc: Document) => void, done: string): Promise<void> {
  if (subject.kind === 'local') {
    await modify(runtime, subject.ref, change, done);
    return;
  }
  const { modifyDefinition } = await import('../cloud-env.js');
  const { diagnostics, revision } = await modifyDefinition(subject.target, change);
  warn(propertyDiagnostics(rootOf(subject), diagnostics));
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  if (errors > 0) throw new EscdError('bad_request', `${subject.target.name} was not changed: Pulumi Cloud found ${errors} error(s)`);
  if (process.stderr.isTTY) process.stderr.write(`${done} in ${subject.target.name}${revision !== undefined ? `: revision ${revision}` : ''}\n`);
}

/**
 * Applies `change` to the latest definition under the store's lock as the next revision (checked,
 * secrets sealed), unless the result has errors; diagnostics as `env:line:col: summary`; `done` says
 * what changed, at a terminal. Also the write of `env provider`. True when it was saved.
 */
export async function modify(runtime: Runtime, ref: StoredRef, change: (doc: Document) => void, done?: string): Promise<boolean> {
  const root = `${ref.project}/${ref.env}`;
  let diagnostics: readonly Diagnostic[] = [];
  let saved = false;
  const revision = await runtime.store
    .modify(ref, async (source) => {
      const doc = source.trim() === '' ? new Document() : parseDefinition(source, root);
      try {
        change(doc);
      } catch (err) {
        if (err instanceof DefinitionError) throw new EscdError('bad_request', err.message);
        throw err;
      }
      const text = render(doc, 4);
      diagnostics = await check(ref, text);
      if (diagnostics.some((d) => d.severity === 'error')) return undefined;
      const checked = parseDefinition(text, root);
      await sealSecrets(checked, text, (plaintext) => sealSecret(runtime.cipher, plaintext));
      saved = true;
      return render(checked, 2);
    })
    .catch((err: unknown) => {
      if (err instanceof EscdError && err.code === 'not_found') throw new EscdError('not_found', 'getting environment definition: not found');
      throw err;
    });
  warn(propertyDiagnostics(root, diagnostics));
  // Told to the person at the terminal; scripts keep the reference CLI's output (none).
  if (saved && done !== undefined && process.stderr.isTTY) process.stderr.write(`${done} in ${fullName(ref)}: revision ${revision}\n`);
  return saved;
}

// ---- rm ----

async function confirmRemoval(name: string): Promise<boolean> {
  if (!process.stdin.isTTY) throw new EscdError('bad_request', `refusing to remove ${name} without confirmation: pass --yes`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`This will permanently remove the "${name}" environment!\nPlease confirm that this is what you'd like to do by typing \`${name}\`: `);
    return answer.trim() === name;
  } finally {
    rl.close();
  }
}

export async function remove(args: readonly string[], options: { yes?: boolean }): Promise<void> {
  checkArgCount(args, 1, 2);
  const runtime = await openRuntime();
  const subject = await subjectOf(runtime, 'rm', args[0]!);
  if (args[1] !== undefined) {
    let path: PathElement[];
    try {
      path = parsePath(args[1]);
    } catch (err) {
      throw new EscdError('bad_request', `invalid path: ${(err as Error).message}`);
    }
    await modifySubject(runtime, subject, (doc) => removeValue(doc, path), `removed ${args[1]}`);
    return;
  }
  if (subject.kind === 'cloud') {
    throw new EscdError('bad_request', `escd does not delete Pulumi Cloud environments (${subject.target.name}); delete it in Pulumi Cloud itself, e.g. \`esc env rm ${subject.target.name}\``);
  }
  const { ref } = subject;
  if (!(await runtime.store.exists(ref))) throw new EscdError('not_found', 'not found');
  if (!options.yes && !(await confirmRemoval(fullName(ref)))) throw new EscdError('bad_request', 'confirmation declined');
  await runtime.store.remove(ref);
  say(`Environment "${fullName(ref)}" has been removed!`);
}

// ---- rollback ----

export async function rollback(name: string): Promise<void> {
  const runtime = await openRuntime();
  const target = cloudTargetOf(runtime.config, name);
  if (target) return rollbackCloud(target);
  const ref = await existingRef(runtime, name);
  if (ref.version === undefined) throw new EscdError('bad_request', 'please specify a version');
  const text = (await runtime.store.readRevision(ref, ref.version)).source;
  const { diagnostics, updated } = await update(runtime, ref, text);
  warn(yamlDiagnostics(ref.env, text, diagnostics));
  if (!updated) throw new EscdError('bad_request', 'could not roll back: too many errors');
  say('Environment updated.');
}

/** A Pulumi Cloud version's definition (secrets as the service sealed them) stored as its next revision. */
async function rollbackCloud(target: CloudTarget): Promise<void> {
  if (target.ref.version === undefined) throw new EscdError('bad_request', 'please specify a version');
  const cloud = await import('../cloud-env.js');
  const { yaml } = await cloud.readDefinition(target);
  const { diagnostics } = await cloud.writeDefinition(withoutVersion(target), yaml);
  warn(yamlDiagnostics(target.ref.name, yaml, diagnostics));
  if (diagnostics.some((d) => d.severity === 'error')) throw new EscdError('bad_request', 'could not roll back: too many errors');
  say('Environment updated.');
}

/** `env init` of a Pulumi Cloud name: created in the service (by the daemon), then the definition from -f. */
async function initCloud(target: CloudTarget, file: string | undefined): Promise<void> {
  if (target.ref.version !== undefined) throw new EscdError('bad_request', 'the init command does not accept versions');
  const text = file === undefined ? undefined : (await readSource(file)).toString('utf8');
  const cloud = await import('../cloud-env.js');
  await cloud.askCloud({ op: 'create', env: target.name });
  say(`Environment created: ${target.name}`);
  if (text === undefined) return;
  const { diagnostics } = await cloud.writeDefinition(target, text);
  warn(yamlDiagnostics(`${target.ref.project}/${target.ref.name}`, text, diagnostics));
  if (diagnostics.some((d) => d.severity === 'error')) throw new EscdError('bad_request', 'updating environment definition: too many errors');
}
