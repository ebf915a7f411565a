// `escd env …` verbs on a Pulumi Cloud name, as the daemon runs them: one operation of the protocol's
// `cloud.env` method mapped onto the client (every call audited there). Which cached environments a
// change makes stale is said here too, so the daemon drops exactly those.
import type { CloudOperation } from '../protocol/wire.js';
import { CloudError, type CloudClient } from './client.js';
import type { CloudTarget } from './routing.js';

/** What an operation answers (JSON), and the cache names (`org/project/env[@version]`) it made stale. */
export interface CloudOutcome {
  readonly result: unknown;
  readonly stale: readonly string[];
}

/** Runs `op` on `target`; `source` is the definition text of a write (read from its file by the caller). */
export async function runCloudOperation(client: CloudClient, target: CloudTarget, op: Exclude<CloudOperation, { op: 'list' }>, source?: string): Promise<CloudOutcome> {
  const { ref } = target;
  const bare = `${ref.org}/${ref.project}/${ref.name}`;
  const unversioned = (verb: string): void => {
    if (ref.version !== undefined) throw new CloudError('unsupported', `${verb} takes an environment without a version (${target.name})`);
  };
  const read = (result: unknown): CloudOutcome => ({ result, stale: [] });
  switch (op.op) {
    case 'create':
      unversioned('creating');
      await client.create(ref);
      return { result: {}, stale: [bare] };
    case 'clone': {
      unversioned('cloning');
      const keep = { history: op.history ?? false, access: op.access ?? false, environmentTags: op.environmentTags ?? false, revisionTags: op.revisionTags ?? false };
      await client.clone(ref, { project: op.project, name: op.name }, keep);
      return { result: {}, stale: [`${ref.org}/${op.project}/${op.name}`] };
    }
    case 'read':
      return read(await client.read(ref, { decrypt: op.decrypt ?? false }));
    case 'write': {
      unversioned('a write');
      const text = source ?? '';
      const written = op.create ? { diagnostics: await client.update(ref, text) } : await client.write(ref, text, op.etag !== undefined ? { etag: op.etag } : {});
      // A stored revision changes what the environment (and `@latest`) opens to.
      return { result: written, stale: written.diagnostics.length > 0 ? [] : [bare, `${bare}@latest`] };
    }
    case 'revisions':
      return read(await client.revisions(ref, ref.version !== undefined && /^[0-9]+$/.test(ref.version) ? { before: Number(ref.version) + 1 } : {}));
    case 'revision-tags':
      return read(await client.revisionTags(ref));
    case 'revision-tag':
      return read(await client.revisionTag(ref, op.tag));
    case 'tag-revision':
      unversioned('tagging');
      await client.tagRevision(ref, op.tag, op.revision);
      return { result: {}, stale: [`${bare}@${op.tag}`] };
    case 'untag-revision':
      unversioned('removing a revision tag');
      await client.untagRevision(ref, op.tag);
      return { result: {}, stale: [`${bare}@${op.tag}`] };
    case 'tags':
      return read(await client.tags(ref));
    case 'tag':
      return read(await client.tag(ref, op.name));
    case 'set-tag':
      unversioned('an environment tag');
      return read(await client.setTag(ref, op.name, op.value));
    case 'rename-tag':
      unversioned('an environment tag');
      return read(await client.renameTag(ref, op.name, op.newName));
    case 'remove-tag':
      unversioned('an environment tag');
      await client.removeTag(ref, op.name);
      return read({});
  }
}
