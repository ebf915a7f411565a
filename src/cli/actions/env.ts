// `escd env …`: list, show, create, edit, set and remove environment definitions. Every write is
// validated first (YAML syntax and load errors refuse the write; other problems are shown as
// warnings because they may be fixed elsewhere, e.g. an import created later).
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { UserError } from '../../core/errors.js';
import { formatDiagnostic } from '../../runtime/diagnostic-lines.js';
import type { Diagnostic } from '../../esc/types.js';
import type { Runtime } from '../../runtime/runtime.js';
import { DiagnosticsFailure, openRuntime } from '../evaluate.js';
import { openSecret, sealSecret } from '../../secrets/envelope.js';
import {
  DefinitionError,
  parseDefinition,
  revealSecrets,
  sealSecrets,
  parsePath,
  parseValue,
  renderDefinition,
  secretNode,
  secretPlaintext,
  setValue,
  stringValue,
} from '../../store/definition.js';
import type { StoredEnvironment } from '../../store/store.js';

const say = (line: string): void => void process.stdout.write(line + '\n');
const warn = (line: string): void => void process.stderr.write(line + '\n');

/** What validation found that does not block saving. */
export interface ValidationReport {
  /** Diagnostic lines (`file:line:column: severity: summary`). */
  readonly lines: readonly string[];
  /** How many of them are errors (`escd open` will fail until they are fixed). */
  readonly errors: number;
}

/**
 * Checks a definition before it is saved. `shownFile` is where the user's text is (the temporary
 * copy while editing). Throws DefinitionError for YAML syntax and load errors in this definition;
 * everything else (a missing import, an unknown property) is reported but does not block.
 */
export async function validateDefinition(runtime: Runtime, name: string, source: string, shownFile: string): Promise<ValidationReport> {
  parseDefinition(source, shownFile);
  const evaluation = await runtime.evaluate(name, { mode: 'check', source });
  const root = { ...evaluation.environment, file: shownFile };
  const format = (d: Diagnostic): string => formatDiagnostic(d, (file) => runtime.fileOf(file, root));
  const blocks = (d: Diagnostic): boolean => d.severity === 'error' && d.stage === 'load' && (d.file === undefined || d.file === root.name);
  const blocking = evaluation.diagnostics.filter(blocks);
  if (blocking.length > 0) throw new DefinitionError(blocking.map(format).join('\n'));
  return { lines: evaluation.diagnostics.map(format), errors: evaluation.diagnostics.filter((d) => d.severity === 'error').length };
}

function printReport(report: ValidationReport): void {
  for (const line of report.lines) warn(line);
  if (report.errors > 0) warn(`escd: saved, but \`escd open\` will report ${report.errors} error(s) until they are fixed`);
}

/** Validates; a failure prints its diagnostics (one per line) and fails the command without saving. */
async function validateOrFail(runtime: Runtime, name: string, source: string, shownFile: string): Promise<ValidationReport> {
  try {
    return await validateDefinition(runtime, name, source, shownFile);
  } catch (err) {
    if (!(err instanceof DefinitionError)) throw err;
    const lines = err.message.split('\n');
    for (const line of lines) warn(line);
    throw new DiagnosticsFailure(lines.length);
  }
}

/** Secrets at rest: every plaintext `fn::secret` is encrypted before the definition is written. */
async function sealForSave(runtime: Runtime, source: string, shownFile: string, reuse: ReadonlyMap<string, string> = new Map()): Promise<{ source: string; sealed: number }> {
  const doc = parseDefinition(source, shownFile);
  const { rewritten, fresh } = await sealSecrets(doc, source, (plaintext) => sealSecret(runtime.cipher, plaintext), reuse);
  return { source: rewritten === 0 ? source : renderDefinition(doc), sealed: fresh };
}

const sealedNote = (count: number): string => (count > 0 ? `; encrypted ${count} plaintext secret(s)` : '');

export async function list(options: { json?: boolean }): Promise<void> {
  const runtime = await openRuntime();
  const envs = await runtime.store.list();
  if (options.json) {
    say(JSON.stringify(envs.map((e) => ({ name: e.name, org: e.org, file: e.file, modified: e.modified.toISOString() })), null, 2));
    return;
  }
  if (envs.length === 0) {
    warn(`no environments yet in ${runtime.store.dir}; create one with \`escd env init <project>/<env>\``);
    return;
  }
  for (const e of envs) say(e.name);
}

async function readInput(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    if (file === '-') {
      if (process.stdin.isTTY) warn('escd: reading from standard input; end with Ctrl-D');
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      bytes = Buffer.concat(chunks);
    } else {
      bytes = await readFile(file);
    }
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UserError(`${file === '-' ? 'standard input' : file} is not UTF-8 text`);
  }
}

const template = (name: string): string =>
  [
    `# Environment ${name}. Change it with \`escd env edit ${name}\` or \`escd env set ${name} <path> <value>\`.`,
    '# imports:',
    '#   - project/base',
    'values: {}',
    '',
  ].join('\n');

export async function init(env: string, options: { file?: string }): Promise<void> {
  const runtime = await openRuntime();
  const stored = runtime.store.resolve(env);
  const source = options.file === undefined ? template(stored.name) : await readInput(options.file);
  if (await runtime.store.exists(env)) throw new UserError(`environment ${stored.name} already exists (${stored.file})`);
  const shownFile = options.file && options.file !== '-' ? options.file : stored.file;
  const report = await validateOrFail(runtime, stored.name, source, shownFile);
  const sealed = await sealForSave(runtime, source, shownFile);
  await runtime.store.write(env, sealed.source, { mustNotExist: true });
  printReport(report);
  say(`Created ${stored.name} (${stored.file})${sealedNote(sealed.sealed)}`);
}

function editorCommand(): string {
  return process.env.VISUAL || process.env.EDITOR || 'vi';
}

/** Runs the editor as git does: through sh, so EDITOR may hold arguments ("code --wait"). */
function runEditor(editor: string, file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', `${editor} "$@"`, editor, file], { stdio: 'inherit' });
    child.once('error', (err) => reject(new UserError(`cannot start the editor ${JSON.stringify(editor)}: ${err.message}`)));
    child.once('close', (code, signal) => resolve(code ?? 128 + (signal ? 1 : 0)));
  });
}

export async function edit(env: string, options: { showSecrets?: boolean } = {}): Promise<void> {
  const runtime = await openRuntime();
  const def = await runtime.store.read(env);
  let original = def.source;
  let shown = new Map<string, string>();
  if (options.showSecrets) {
    const doc = parseDefinition(def.source, def.file);
    const revealed = await revealSecrets(doc, def.source, (ciphertext) => openSecret(runtime.cipher, ciphertext));
    for (const p of revealed.problems) warn(`${def.file}:${p.line}: warning: cannot decrypt this secret, it stays encrypted: ${p.message}`);
    shown = revealed.shown;
    if (shown.size > 0) original = renderDefinition(doc);
  }
  // The user's runtime dir (tmpfs, private, cleared at logout) where there is one: a failed edit is kept
  // there, and with --show-secrets it holds plaintext.
  const dir = await mkdtemp(join(process.env.XDG_RUNTIME_DIR || tmpdir(), 'escd-edit-'));
  const file = join(dir, `${def.env}.yaml`);
  await writeFile(file, original, { mode: 0o600 });
  const keep = (why: string): never => {
    const note = shown.size > 0 ? ' (it holds secrets in plaintext: delete it when done)' : '';
    throw new UserError(`${why}; nothing was saved. Your edit is kept in ${file}${note}`);
  };
  const editor = editorCommand();
  const status = await runEditor(editor, file);
  if (status === 127) {
    await rm(dir, { recursive: true, force: true });
    throw new UserError(`cannot start the editor ${JSON.stringify(editor)}: command not found (set $VISUAL or $EDITOR)`);
  }
  if (status !== 0) keep(`the editor exited with status ${status}`);
  const edited = await readFile(file, 'utf8');
  if (edited === original) {
    await rm(dir, { recursive: true, force: true });
    say(`No changes to ${def.name}.`);
    return;
  }
  let report: ValidationReport;
  let sealed: { source: string; sealed: number };
  try {
    report = await validateDefinition(runtime, def.name, edited, file);
    sealed = await sealForSave(runtime, edited, file, shown);
  } catch (err) {
    if (!(err instanceof DefinitionError)) return keep((err as Error).message);
    // The diagnostics name the temporary file, which is where the user's text is.
    for (const line of err.message.split('\n')) warn(line);
    return keep(`${def.name} has errors`);
  }
  try {
    await runtime.store.write(env, sealed.source, { expectedMtimeMs: def.mtimeMs });
  } catch (err) {
    return keep((err as Error).message);
  }
  await rm(dir, { recursive: true, force: true });
  printReport(report);
  say(`Saved ${def.name} (${def.file})${sealedNote(sealed.sealed)}`);
}

export interface SetOptions {
  readonly secret?: boolean;
  readonly string?: boolean;
  readonly file?: string;
}

export async function set(env: string, path: string, value: string | undefined, options: SetOptions): Promise<void> {
  if (options.file !== undefined && value !== undefined) throw new UserError('give the value either as an argument or with --file, not both', 2);
  if (options.file === undefined && value === undefined) throw new UserError('missing the value (or --file FILE, --file - for standard input)', 2);
  const steps = parsePath(path);
  const raw = value ?? (await readInput(options.file!));
  const runtime = await openRuntime();
  const def = await runtime.store.read(env).catch((err: Error & { code?: string }) => {
    if (err.code === 'not_found') throw new UserError(`${err.message}; create it with \`escd env init ${env}\``);
    throw err;
  });
  const doc = parseDefinition(def.source, def.file);
  let node;
  if (options.secret) {
    const plaintext = options.string ? raw : secretPlaintext(raw);
    node = secretNode(doc, await sealSecret(runtime.cipher, plaintext));
  } else {
    node = options.string ? stringValue(raw) : parseValue(raw);
  }
  setValue(doc, steps, node);
  const report = await validateOrFail(runtime, def.name, renderDefinition(doc), def.file);
  const sealed = await sealForSave(runtime, renderDefinition(doc), def.file);
  await runtime.store.write(env, sealed.source, { expectedMtimeMs: def.mtimeMs });
  printReport(report);
  if (sealed.sealed > 0) warn(`escd: encrypted ${sealed.sealed} plaintext secret(s) in ${def.name}`);
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export async function remove(env: string, options: { yes?: boolean }): Promise<void> {
  const runtime = await openRuntime();
  const stored: StoredEnvironment = runtime.store.resolve(env);
  if (!(await runtime.store.exists(env))) throw new UserError(`environment ${stored.name} does not exist (no file ${stored.file})`);
  if (!options.yes) {
    if (!process.stdin.isTTY) throw new UserError(`refusing to delete ${stored.name} without confirmation: pass --yes`, 2);
    if (!(await confirm(`Delete environment ${stored.name} (${stored.file})? [y/N] `))) {
      say('Nothing deleted.');
      return;
    }
  }
  await runtime.store.remove(env);
  say(`Deleted ${stored.name}`);
}

/**
 * `escd env rotate <env> [path…]`: runs the rotators of the `fn::rotate` calls at the paths (all
 * when none), writes their new states as one new revision and prints the rotated values (redacted).
 * Any error changes nothing.
 */
export async function rotate(env: string, paths: readonly string[], options: { showSecrets?: boolean } = {}): Promise<void> {
  for (const path of paths) parsePath(path);
  const runtime = await openRuntime();
  const { withProgress } = await import('../terminal.js');
  const rotation = await withProgress(`rotating ${env}…`, () => runtime.rotate(env, paths.length > 0 ? { paths } : {}));
  const { formatDiagnostic: line, hasErrors } = await import('../../runtime/diagnostic-lines.js');
  for (const d of rotation.diagnostics) process.stderr.write(line(d, (name) => runtime.fileOf(name, rotation.environment)) + '\n');
  if (hasErrors(rotation.diagnostics)) throw new DiagnosticsFailure(rotation.diagnostics.filter((d) => d.severity === 'error').length);
  if (rotation.patches.length === 0) throw new UserError(paths.length > 0 ? `no fn::rotate at ${paths.join(', ')} in ${rotation.environment.name}` : `${rotation.environment.name} has no fn::rotate to rotate`);
  const { toJSON } = await import('../../esc/value.js');
  const { formatPath } = await import('../../store/definition.js');
  const rotated = rotation.patches.map((p) => formatPath(parsePath(p.docPath).slice(1, -2)));
  process.stderr.write(`escd: rotated ${rotated.join(', ')} in ${rotation.environment.name} (revision ${rotation.revision})\n`);
  process.stdout.write(JSON.stringify(rotation.values ? toJSON(rotation.values, { redact: !options.showSecrets }) : {}, null, 2) + '\n');
}
