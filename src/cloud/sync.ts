// Moving a definition between the local store and Pulumi Cloud. Secrets are re-sealed under the
// destination's key: a cloud definition is read in clear through the service's own decrypt call (never
// by guessing its keys) and sealed locally before it is stored; a local one is opened with escd's data
// key and sent in clear over TLS for the service to seal. Plaintext exists only in memory.
import { parseDocument } from 'yaml';
import type { Cipher } from '../secrets/cipher.js';
import { decryptSecretsInText, encryptSecretsInText } from '../store/secret-rewrite.js';
import type { Diagnostic } from '../esc/types.js';
import type { CloudClient } from './client.js';
import { EscdError } from '../core/errors.js';
import type { CloudTarget } from './routing.js';

export interface LocalDefinitions {
  read(name: string): Promise<{ readonly source: string; readonly file: string }>;
  write(name: string, source: string): Promise<{ readonly name: string; readonly file: string }>;
}


/** The service calls a copy makes (the daemon makes them: the CLI hands it each one). */
export type SyncClient = Pick<CloudClient, 'definition' | 'update' | 'list'>;

/** Copies the cloud environment `from` into the local environment `to`. */
export async function pullEnvironment(client: SyncClient, cipher: Cipher, store: LocalDefinitions, from: CloudTarget, to: string): Promise<{ readonly file: string }> {
  const clear = await client.definition(from.ref, { decrypt: true });
  const sealed = await encryptSecretsInText(clear, cipher, from.name);
  return { file: (await store.write(to, sealed)).file };
}

/**
 * Copies the local environment `from` into the cloud environment `to`. Refused when it imports an
 * environment the destination org does not have: the service evaluates imports in its own org, and a
 * local one is out of its reach.
 */
export async function pushEnvironment(client: SyncClient, cipher: Cipher, store: LocalDefinitions, from: string, to: CloudTarget): Promise<{ readonly diagnostics: readonly Diagnostic[] }> {
  const local = await store.read(from);
  const imports = importsOf(local.source);
  if (imports.length > 0) {
    const there = new Set((await client.list(to.ref.org)).map((e) => `${e.project}/${e.name}`));
    const missing = imports.filter((name) => !there.has(inOrg(name, to.ref.org)));
    if (missing.length > 0) {
      throw new EscdError('bad_request', `cannot push ${from}: it imports ${missing.join(', ')}, which ${to.ref.org} in Pulumi Cloud does not have (a cloud environment cannot import a local one; push those first)`);
    }
  }
  const clear = await decryptSecretsInText(local.source, cipher, local.file);
  return { diagnostics: await client.update(to.ref, clear) };
}

/** `proj/env` as the destination org sees an import written `[org/]proj/env[@v]` or a bare `env`. */
function inOrg(name: string, org: string): string {
  const bare = name.split('@')[0]!;
  const parts = bare.split('/');
  if (parts.length === 3) return parts[0] === org ? `${parts[1]}/${parts[2]}` : `\0${bare}`; // another org: never there
  return parts.length === 2 ? bare : `default/${bare}`;
}

function importsOf(source: string): string[] {
  const imports: unknown = parseDocument(source).toJS()?.imports;
  if (!Array.isArray(imports)) return [];
  return imports.map((entry: unknown) => (typeof entry === 'string' ? entry : typeof entry === 'object' && entry !== null ? Object.keys(entry)[0] : undefined)).filter((n): n is string => typeof n === 'string');
}
