// One case of the reference CLI's golden files (../shared/esc-cli-conformance/README.md §1): a YAML
// header, the expected stdout and the expected stderr, split on "\n---\n".
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Document, isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';

export interface FixtureRevision {
  /** The definition's stored text (go-yaml's 4-space layout); undefined for an empty revision. */
  readonly yaml: string | undefined;
  readonly tags: readonly string[];
  readonly retracted?: { readonly replacement?: number; readonly reason?: string };
}

export interface FixtureEnvironment {
  readonly org: string;
  readonly project: string;
  readonly env: string;
  /** Revisions 2, 3, … (revision 1 of every fixture is empty, §1). */
  readonly revisions: readonly FixtureRevision[];
  /** Environment tags. */
  readonly tags: Readonly<Record<string, string>>;
}

export interface CliCase {
  readonly name: string;
  readonly run: string;
  /** The script must end non-zero. */
  readonly error: boolean;
  /** The CLI is the subcommand `esc` of this command. */
  readonly parent?: string;
  readonly fs: ReadonlyMap<string, Uint8Array>;
  readonly environ: Readonly<Record<string, string>>;
  readonly commands: Readonly<Record<string, string>>;
  readonly environments: readonly FixtureEnvironment[];
  readonly stdout: string;
  readonly stderr: string;
}

/** A node's text as the reference stores it: go-yaml v3 Marshal, 4-space indentation (§1). */
export function storedText(node: unknown): string {
  const doc = new Document();
  doc.contents = node as Node;
  return doc.toString({ indent: 4, indentSeq: true, lineWidth: 0, flowCollectionPadding: false });
}

function strings(node: unknown, what: string): string[] {
  if (node === undefined || node === null) return [];
  if (!isSeq(node)) throw new Error(`${what}: expected a list`);
  return node.items.map((item) => String(isScalar(item) ? item.value : item));
}

function stringMap(node: unknown, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (node === undefined || node === null) return out;
  if (!isMap(node)) throw new Error(`${what}: expected a mapping`);
  for (const pair of node.items) {
    const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
    out[key] = String(isScalar(pair.value) ? pair.value.value : pair.value);
  }
  return out;
}

function fixture(ref: string, node: unknown): FixtureEnvironment {
  const parts = ref.split('/');
  if (parts.length !== 3) throw new Error(`environments: ${JSON.stringify(ref)} is not org/project/env`);
  const [org, project, env] = parts as [string, string, string];
  const revisionsNode = isMap(node) ? node.get('revisions', true) : undefined;
  const tags = isMap(node) ? stringMap(node.get('tags', true), `${ref}.tags`) : {};
  if (!isSeq(revisionsNode)) return { org, project, env, revisions: [{ yaml: storedText(node), tags: [] }], tags };
  const revisions = revisionsNode.items.map((item, i): FixtureRevision => {
    if (!isMap(item)) throw new Error(`${ref}.revisions[${i}]: expected a mapping`);
    const retractedNode = item.get('retracted', true);
    const retracted = isMap(retractedNode) ? (retractedNode.toJSON() as { replacement?: number; reason?: string }) : undefined;
    const yamlNode = item.get('yaml', true);
    return { yaml: yamlNode === undefined ? undefined : storedText(yamlNode), tags: strings(item.get('tags', true), `${ref}.revisions[${i}].tags`), ...(retracted ? { retracted } : {}) };
  });
  return { org, project, env, revisions, tags };
}

export function parseCase(file: string): CliCase {
  const text = readFileSync(file, 'utf8');
  const first = text.indexOf('\n---\n');
  const second = first < 0 ? -1 : text.indexOf('\n---\n', first + 5);
  if (second < 0) throw new Error(`${file}: expected a header, stdout and stderr separated by "\\n---\\n"`);
  const header = parseDocument(text.slice(0, first), { customTags: ['binary'] });
  if (header.errors.length > 0) throw new Error(`${file}: ${header.errors[0]!.message}`);
  const fs = new Map<string, Uint8Array>();
  const fsNode = header.getIn(['process', 'fs'], true);
  if (isMap(fsNode)) {
    for (const pair of fsNode.items) {
      // A `!!binary` scalar's value is a Buffer (its toJSON would be {type, data}).
      const value = isScalar(pair.value) ? (pair.value.value as unknown) : (pair.value as Node | null)?.toJSON();
      fs.set(String(isScalar(pair.key) ? pair.key.value : pair.key), value instanceof Uint8Array ? value : Buffer.from(String(value ?? ''), 'utf8'));
    }
  }
  const environments: FixtureEnvironment[] = [];
  const envsNode = header.get('environments', true);
  if (isMap(envsNode)) {
    for (const pair of envsNode.items) environments.push(fixture(String(isScalar(pair.key) ? pair.key.value : pair.key), pair.value));
  }
  const parent = header.get('parent');
  return {
    name: basename(file, '.yaml'),
    run: String(header.get('run') ?? ''),
    error: header.get('error') !== undefined && header.get('error') !== null,
    ...(typeof parent === 'string' ? { parent } : {}),
    fs,
    environ: stringMap(header.getIn(['process', 'environ'], true), 'process.environ'),
    commands: stringMap(header.getIn(['process', 'commands'], true), 'process.commands'),
    environments,
    stdout: text.slice(first + 5, second),
    stderr: text.slice(second + 5),
  };
}
