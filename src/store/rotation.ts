// Writes rotators' new states back into a definition (the rotate stage's patches), keeping the
// rest of the file as it was. Secret leaves are sealed as `fn::secret: {ciphertext: ...}`.
import type { Document, Node } from 'yaml';
import type { RotationPatch } from '../esc/types.js';
import { parsePropertyPath } from '../esc/interpolation.js';
import { isArray, isObject, type EscValue } from '../esc/value.js';
import type { Cipher } from '../secrets/cipher.js';
import { sealSecret } from '../secrets/envelope.js';
import { parseDefinition, renderDefinition, secretNode, setValue } from './definition.js';
import { DefinitionError, type PathElement } from './path.js';

async function toNode(doc: Document, value: EscValue, cipher: Cipher, secret = false): Promise<Node> {
  const hidden = secret || value.secret;
  const { data } = value;
  if (isArray(data)) {
    const items: Node[] = [];
    for (const item of data) items.push(await toNode(doc, item, cipher, hidden));
    return doc.createNode(items) as Node;
  }
  if (isObject(data)) {
    const node = doc.createNode({}) as Node & { items: unknown[] };
    for (const [key, item] of data) node.items.push(doc.createPair(key, await toNode(doc, item, cipher, hidden)));
    return node;
  }
  if (hidden && data !== null) return secretNode(doc, await sealSecret(cipher, String(data)));
  return doc.createNode(data === null ? null : typeof data === 'object' ? Number(data.text) : data) as Node;
}

/** `values.a["fn::rotate::x"].state` → ['a', 'fn::rotate::x', 'state'] (setValue's paths are relative to values). */
function valuesPath(docPath: string): PathElement[] {
  const steps: PathElement[] = parsePropertyPath(docPath).accessors.map((a) => (a.kind === 'name' ? a.name : a.key));
  if (steps[0] !== 'values') throw new DefinitionError(`rotation state outside values: ${docPath}`);
  return steps.slice(1);
}

export async function applyRotationPatches(source: string, file: string, patches: readonly RotationPatch[], cipher: Cipher): Promise<string> {
  const doc = parseDefinition(source, file);
  for (const patch of patches) setValue(doc, valuesPath(patch.docPath), await toNode(doc, patch.replacement, cipher));
  return renderDefinition(doc);
}
