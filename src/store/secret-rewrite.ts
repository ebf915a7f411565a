// Secrets at rest in environment files (conformance README §8): encrypting turns every
// `{fn::secret: "<plaintext>"}` into `{fn::secret: {ciphertext: <envelope>}}`; decrypting turns them
// back, but only under top-level `values`. Comments, key order and flow style survive.
//
// The document walking is src/store/definition.ts's (the one `escd env set/get` uses); this module
// adds the ciphers and whole-text entry points, and test/secrets/rewrite.test.ts holds both to the
// reference's cases-crypt pairs.
import { findSecrets, parseDefinition, renderDefinition, revealSecrets, sealSecrets } from './definition.js';
import type { Cipher } from '../secrets/cipher.js';
import { EnvelopeError, openSecret, sealSecret } from '../secrets/envelope.js';

export class SecretRewriteError extends Error {}

/** Encrypts every plaintext `fn::secret` anywhere in the document. `file` names it in errors. */
export async function encryptSecretsInText(text: string, cipher: Cipher, file = '<document>'): Promise<string> {
  const doc = parse(text, file);
  const { rewritten } = await sealSecrets(doc, text, (plaintext) => sealSecret(cipher, plaintext));
  return rewritten === 0 ? text : renderDefinition(doc);
}

/** Decrypts every `fn::secret: {ciphertext}` under `values`; the first one that fails is reported as `file:line: …`. */
export async function decryptSecretsInText(text: string, cipher: Cipher, file = '<document>'): Promise<string> {
  const doc = parse(text, file);
  if (!findSecrets(doc, text).some((site) => site.form === 'ciphertext' && site.underValues)) return text;
  const open = (ciphertext: string): Promise<string> =>
    openSecret(cipher, ciphertext).catch((err: unknown) => {
      const message = (err as Error).message;
      throw new Error(err instanceof EnvelopeError ? `invalid ciphertext: ${message}` : `decrypting: ${message}`);
    });
  const { problems } = await revealSecrets(doc, text, open);
  const problem = problems[0];
  if (problem) throw new SecretRewriteError(`${file}:${problem.line}: ${problem.message}`);
  return renderDefinition(doc);
}

function parse(text: string, file: string): ReturnType<typeof parseDefinition> {
  try {
    return parseDefinition(text, file);
  } catch (err) {
    throw new SecretRewriteError((err as Error).message);
  }
}
