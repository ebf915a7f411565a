// Secrets at rest in environment files (conformance README §8): encrypting turns every
// `{fn::secret: "<plaintext>"}` into `{fn::secret: {ciphertext: <envelope>}}`; decrypting turns them
// back, but only under top-level `values`. Only the secret's value node is replaced, so comments,
// key order and flow style of the document survive.
import { Document, isMap, isPair, isScalar, isSeq, parseDocument, Scalar, YAMLMap, type Node, type Pair } from 'yaml';
import type { Cipher } from './cipher.js';
import { EnvelopeError, openSecret, sealSecret } from './envelope.js';

const SECRET = 'fn::secret';
const CIPHERTEXT = 'ciphertext';

// `[a]`, not `[ a ]`: the reference's emitter style, so untouched flow collections stay as written.
const STRINGIFY = { flowCollectionPadding: false } as const;

export class SecretRewriteError extends Error {}

/** Encrypts every plaintext `fn::secret` anywhere in the document; returns how many. */
export async function encryptSecrets(doc: Document, cipher: Cipher): Promise<number> {
  let count = 0;
  for (const { map } of secretCalls(doc.contents, '')) {
    const pair = map.items[0] as Pair<unknown, unknown>;
    const value = pair.value;
    if (!isScalar(value) || typeof value.value !== 'string') continue;
    const sealed = new Scalar(await sealSecret(cipher, value.value));
    sealed.comment = value.comment;
    const wrapper = new YAMLMap();
    wrapper.flow = map.flow === true;
    wrapper.commentBefore = value.commentBefore;
    wrapper.items.push(doc.createPair(CIPHERTEXT, sealed));
    pair.value = wrapper;
    count++;
  }
  return count;
}

/** Decrypts every `fn::secret: {ciphertext}` under `values`; returns how many. Errors name the document path. */
export async function decryptSecrets(doc: Document, cipher: Cipher): Promise<number> {
  let count = 0;
  if (!isMap(doc.contents)) return 0;
  const values = doc.contents.items.find((p) => isScalar(p.key) && p.key.value === 'values');
  if (!values || !isNodeLike(values.value)) return 0;
  for (const { map, path } of secretCalls(values.value, 'values')) {
    const pair = map.items[0] as Pair<unknown, unknown>;
    const wrapper = pair.value;
    if (!isMap(wrapper) || wrapper.items.length !== 1) continue;
    const inner = wrapper.items[0]!;
    if (!isScalar(inner.key) || inner.key.value !== CIPHERTEXT || !isScalar(inner.value) || typeof inner.value.value !== 'string') continue;
    let plaintext: string;
    try {
      plaintext = await openSecret(cipher, inner.value.value);
    } catch (err) {
      const reason = err instanceof EnvelopeError ? `invalid ciphertext: ${err.message}` : `decrypting: ${(err as Error).message}`;
      throw new SecretRewriteError(`${path}["${SECRET}"]: ${reason}`);
    }
    const plain = new Scalar(plaintext);
    plain.comment = inner.value.comment ?? wrapper.comment;
    plain.commentBefore = wrapper.commentBefore;
    pair.value = plain;
    count++;
  }
  return count;
}

/** Text in, text out; a YAML syntax error is reported with its line. */
export async function encryptSecretsInText(text: string, cipher: Cipher): Promise<string> {
  const doc = parse(text);
  return (await encryptSecrets(doc, cipher)) === 0 ? text : doc.toString(STRINGIFY);
}

export async function decryptSecretsInText(text: string, cipher: Cipher): Promise<string> {
  const doc = parse(text);
  return (await decryptSecrets(doc, cipher)) === 0 ? text : doc.toString(STRINGIFY);
}

function parse(text: string): Document {
  const doc = parseDocument(text, { prettyErrors: false });
  const e = doc.errors[0];
  // Only the line number and the parser's first line: the source around it may hold a plaintext secret.
  if (e) throw new SecretRewriteError(`line ${text.slice(0, e.pos[0]).split('\n').length}: ${e.message.split('\n')[0]}`);
  return doc;
}

function isNodeLike(value: unknown): value is Node {
  return isMap(value) || isSeq(value) || isScalar(value);
}

/** Every single-key `fn::secret` mapping under `node`, with its document path, depth first in document order. */
function* secretCalls(node: unknown, path: string): Generator<{ map: YAMLMap; path: string }> {
  if (isMap(node)) {
    const first = node.items[0];
    if (node.items.length === 1 && first && isScalar(first.key) && first.key.value === SECRET) {
      yield { map: node, path };
      return;
    }
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? String(pair.key.value) : '?';
      yield* secretCalls(pair.value, /^[A-Za-z_][\w-]*$/.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key)}]`);
    }
  } else if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) yield* secretCalls(item, `${path}[${i}]`);
  }
}
