// `escd env get <env> [path]`: an environment's checked value and its definition, as the reference prints them.
import type { Command } from 'commander';
import { Document, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { EnvironmentLoader } from '../../esc/types.js';
import { goQuote } from '../../esc/go-quote.js';
import { projectEnvironment } from '../../esc/project.js';
import { isArray, isObject, type EscValue } from '../../esc/value.js';
import { openSecret } from '../../secrets/envelope.js';
import { revealSecrets } from '../../store/definition.js';
import { parsePath, type PathElement } from '../../store/path.js';
import { fullName } from '../../store/names.js';
import { existingRef } from '../env-ref.js';
import { openRuntime } from '../evaluate.js';
import { checkDefinition } from '../engine.js';
import { decodeValue } from '../../esc/wire-value.js';
import { cloudTargetOf } from '../../cloud/routing.js';
import type { Runtime } from '../../runtime/runtime.js';
import { renderEnviron } from '../format/environ.js';
import { renderText, renderValue, tracedEnvironment, type ValueFormat } from '../format/values.js';
import { EscdError } from '../../core/errors.js';

export function register(env: Command): void {
  env
    .command('get')
    .description("Print an environment's value and definition, or those of one property")
    .argument('<env>', 'environment name, [org/]project/env')
    .argument('[path]', 'property path under values (or imports[N]), e.g. a.b[0]["key"]')
    .option('--value <format>', 'print only the value: json, string, detailed, dotenv or shell')
    .option('--definition', 'print only the definition (YAML)')
    .option('--show-secrets', 'show secret values and fn::secret definitions in plaintext')
    .addHelpText(
      'after',
      `
The value is checked, not opened: fn::open values show [unknown] and no provider is called. For an
environment of an org config.yaml maps to Pulumi Cloud, the definition is the service's and the value is
opened there (as \`escd open\` does, from the daemon's cache).

Examples:
  $ escd env get myproj/dev
  $ escd env get myproj/dev aws.region --value string
  $ escd env get myproj/dev --value dotenv
  $ escd env get myproj/dev --definition --show-secrets`,
    )
    .action(async (name: string, path: string | undefined, opts: { value?: string; definition?: boolean; showSecrets?: boolean }) =>
      get(name, path, opts),
    );
}

// `escd env get <env> [path]`: the environment's checked value and its definition, as the reference's
// `esc env get` prints them: a Markdown document (`# Value` JSON, `# Definition` YAML re-encoded at
// two spaces), or only the value (`--value json|string|detailed|dotenv|shell`), or only the
// definition (`--definition`). Values are checked, not opened: `fn::open` shows `[unknown]` and no
// provider is called; secrets show `[secret]` unless --show-secrets.
export const GET_VALUE_FORMATS = ['json', 'string', 'detailed', 'dotenv', 'shell'] as const;

export interface GetOptions {
  /** Print only the value in this format. */
  readonly value?: string;
  /** Print only the definition. */
  readonly definition?: boolean;
  readonly showSecrets?: boolean;
}

/** A YAML node as go-yaml's encoder writes it at two spaces (comments and styles kept). */
export function marshalYAML(node: unknown): string {
  const doc = new Document();
  doc.contents = node as Node;
  return doc.toString({ indent: 2, indentSeq: true, lineWidth: 0, flowCollectionPadding: false });
}

/** The node at `path` below `node` (keys into mappings, indexes into sequences), if there is one. */
function nodeAt(node: unknown, path: readonly PathElement[]): unknown {
  let current = node;
  for (const step of path) {
    if (typeof step === 'number') {
      if (!isSeq(current)) return undefined;
      current = current.items[step];
    } else {
      if (!isMap(current)) return undefined;
      current = current.items.find((pair) => (isScalar(pair.key) ? String(pair.key.value) : pair.key) === step)?.value;
    }
    if (current === undefined || current === null) return undefined;
  }
  return current;
}

/** The value at `path`, without looking into unknown values (the reference's getEnvValue). */
function valueAt(root: EscValue | undefined, path: readonly PathElement[]): EscValue | undefined {
  let current = root;
  for (const step of path) {
    if (current === undefined || current.unknown) return undefined;
    const { data } = current;
    if (typeof step === 'number') current = isArray(data) ? data[step] : undefined;
    else current = isObject(data) ? data.get(step) : undefined;
  }
  return current;
}

/** `line:column` of a node in its document's text. */
function positionOf(node: unknown, lines: LineCounter): string | undefined {
  const offset = (node as { range?: [number, number, number] } | undefined)?.range?.[0];
  if (offset === undefined) return undefined;
  const { line, col } = lines.linePos(offset);
  return `${line}:${col}`;
}

/** The import names of a definition, in order (`name` or `{name: {merge: …}}`). */
function importNames(doc: Document): string[] {
  const imports = isMap(doc.contents) ? doc.contents.get('imports', true) : undefined;
  if (!isSeq(imports)) return [];
  return imports.items.flatMap((item) => {
    if (isScalar(item) && typeof item.value === 'string') return [item.value];
    if (isMap(item) && item.items.length === 1 && isScalar(item.items[0]!.key)) return [String(item.items[0]!.key.value)];
    return [];
  });
}

/**
 * Where the imports of a definition define `path` under their values, nearest first: the last import
 * before the first, each one's own definition before those of its imports (the order in which the
 * evaluator merges them, so the first is the base of the importing value).
 */
async function importedDefinitions(load: EnvironmentLoader, doc: Document, path: readonly PathElement[], seen: Set<string>): Promise<string[]> {
  const out: string[] = [];
  for (const name of importNames(doc).reverse()) {
    if (seen.has(name)) continue;
    seen.add(name);
    let source: string;
    try {
      source = (await load(name)).source;
    } catch {
      continue; // a missing import is a diagnostic of the evaluation, not of this listing
    }
    const lines = new LineCounter();
    const imported = parseDocument(source, { lineCounter: lines });
    const at = positionOf(nodeAt(isMap(imported.contents) ? imported.contents.get('values', true) : undefined, path), lines);
    if (at !== undefined) out.push(`${name}:${at}`);
    out.push(...(await importedDefinitions(load, imported, path, seen)));
  }
  return out;
}

const valueJSON = (value: EscValue, redact: boolean): string => renderText(value, 'json', { redact }).replace(/\n$/, '');

/** The reference's envGetTemplate. */
function markdown(parts: { value?: string; definition?: string; stack?: readonly string[] }): string {
  let out = '';
  if (parts.value) out += `# Value\n\`\`\`json\n${parts.value}\n\`\`\`\n`;
  if (parts.definition) out += `# Definition\n\`\`\`yaml\n${parts.definition}\n\`\`\`\n`;
  out += '\n';
  if (parts.stack && parts.stack.length > 0) out += `# Defined at\n${parts.stack.map((s) => `- ${s}\n`).join('')}\n`;
  return out;
}

/** Where `env get` reads a definition and its value: the local store (checked), or Pulumi Cloud (opened). */
interface DefinitionSource {
  /** The definition's text: as stored, or for a cloud one with --show-secrets as the service decrypts it. */
  readonly text: string;
  /** Opens a local ciphertext (--show-secrets); absent when the text is already in clear. */
  readonly reveal?: (ciphertext: string) => Promise<string>;
  /** With `traces`, each value's trace (a cloud one has none). */
  readonly values: (traces?: boolean) => Promise<EscValue | undefined>;
  /** The environment's short name in `# Defined at`. */
  readonly env: string;
  /** Loads imports, to say where they define a value; absent for a cloud one (the service resolves its imports). */
  readonly load?: EnvironmentLoader;
}

async function definitionSource(runtime: Runtime, env: string, showSecrets: boolean): Promise<DefinitionSource> {
  const target = cloudTargetOf(runtime.config, env);
  if (target) {
    // The service keeps it: the definition through the daemon, the value as `escd open` gets it.
    const cloud = await import('../cloud-env.js');
    const text = (await cloud.readDefinition(target, { decrypt: showSecrets })).yaml;
    return { text, values: () => cloud.openValues(target, showSecrets), env: target.ref.name };
  }
  const ref = await existingRef(runtime, env);
  const def = await runtime.store.read(ref);
  return {
    text: def.source,
    reveal: (ciphertext) => openSecret(runtime.cipher, ciphertext),
    // The daemon checks the definition shown (no provider is called) and audits values shown in clear.
    values: async (traces) => {
      const checked = await checkDefinition(fullName(ref), def.source, { values: true, ...(showSecrets ? { showSecrets: true } : {}), ...(traces ? { traces } : {}) });
      return checked.values === undefined || checked.values === null ? undefined : decodeValue(checked.values);
    },
    env: ref.env,
    load: runtime.store.loader(new Map(), ref.org),
  };
}

export async function get(env: string, path: string | undefined, options: GetOptions): Promise<void> {
  if (options.value !== undefined && options.definition) throw new EscdError('usage', '`--value` and `--definition` flags cannot be used together');
  const format = options.value;
  if (format !== undefined && !(GET_VALUE_FORMATS as readonly string[]).includes(format)) throw new EscdError('usage', `unknown output format ${goQuote(format)}`);
  let steps: PathElement[] = [];
  if (path !== undefined) {
    try {
      steps = parsePath(path);
    } catch (err) {
      throw new EscdError('usage', `invalid path: ${(err as Error).message}`);
    }
  }
  if ((format === 'dotenv' || format === 'shell') && steps.length > 0) throw new EscdError('usage', `output format '${format}' may not be used with a property path`);
  const redact = !options.showSecrets;

  const runtime = await openRuntime();
  const source = await definitionSource(runtime, env, options.showSecrets ?? false);
  // The definition as stored, or with its secrets shown in plaintext.
  const lineCounter = new LineCounter();
  const doc = parseDocument(source.text, { lineCounter });
  if (options.showSecrets && source.reveal) await revealSecrets(doc, source.text, source.reveal);
  const root: unknown = doc.contents;

  if (options.definition) {
    const node = steps.length === 0 ? root : nodeAt(isMap(root) ? root.get('values', true) : undefined, steps);
    if (node !== undefined && node !== null) process.stdout.write(marshalYAML(node));
    return;
  }

  const evaluate = async (traces = false): Promise<EscValue | undefined> => {
    const values = await source.values(traces);
    // Traced, the definition is checked as the reference checks it: an anonymous `<yaml>`, one value.
    return values !== undefined && traces ? tracedEnvironment(values, '<yaml>') : values;
  };

  if (format !== undefined) {
    const values = await evaluate(format === 'detailed');
    if (format === 'dotenv' || format === 'shell') {
      // Nothing is written: each file shows as [unknown], as the reference's "pretend" projection.
      const projection = projectEnvironment(values);
      const files = Object.fromEntries(Object.keys(projection.files).map((name) => [name, '[unknown]']));
      process.stdout.write(renderEnviron(projection.environmentVariables, format, { redact }, files).text);
      return;
    }
    const value = steps.length === 0 ? values : valueAt(values, steps);
    process.stdout.write(await renderValue(value ?? { data: null, secret: false, unknown: false }, format as ValueFormat, { redact }));
    return;
  }

  // An empty definition (a new environment's first revision) prints no sections.
  if (root === null || root === undefined) {
    process.stdout.write(markdown({}));
    return;
  }
  if (steps.length === 0) {
    const values = await evaluate();
    process.stdout.write(markdown({ value: valueJSON(values ?? { data: new Map(), secret: false, unknown: false }, redact), definition: marshalYAML(root) }));
    return;
  }
  if (steps[0] === 'imports') {
    const node = nodeAt(root, steps);
    if (node !== undefined) process.stdout.write(markdown({ definition: marshalYAML(node) }));
    return;
  }
  const value = valueAt(await evaluate(), steps);
  const node = nodeAt(isMap(root) ? root.get('values', true) : undefined, steps);
  // Defined at: this definition's node and the imported definition it overrides, or, when this
  // definition has none, every imported definition of the value (positions in the stored texts).
  const imported = source.load ? await importedDefinitions(source.load, doc, steps, new Set()) : [];
  const here = positionOf(node, lineCounter);
  const stack = here !== undefined ? [`${source.env}:${here}`, ...imported.slice(0, 1)] : value !== undefined ? imported : [];
  process.stdout.write(
    markdown({
      ...(value !== undefined ? { value: valueJSON(value, redact) } : {}),
      ...(node !== undefined ? { definition: marshalYAML(node) } : {}),
      stack,
    }),
  );
}
