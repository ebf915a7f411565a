// The store of one case (README §1), in an ESCD_HOME of its own: config.yaml names the corpus's
// identity (org and user `test-user`, §3), and each fixture environment is written to the store
// through its API, stamped as the fake service stamps (./profile.ts): an empty revision 1, the
// listed definitions as revisions 2, 3, …, their revision tags and retractions, environment tags.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolvePaths } from '../../src/config/paths.js';
import { EnvironmentStore } from '../../src/store/store.js';
import type { FixtureEnvironment } from './case.js';
import { testStore } from './profile.js';

export const TEST_ORG = 'test-user';

export async function seedStore(home: string, environments: readonly FixtureEnvironment[]): Promise<void> {
  await writeFile(join(home, 'config.yaml'), `org: ${TEST_ORG}\nuser: ${TEST_ORG}\nkeystore: file\n`, { mode: 0o600 });
  const store = new EnvironmentStore(resolvePaths({ ESCD_HOME: home }).environmentsDir, TEST_ORG, testStore);
  for (const e of environments) {
    const name = `${e.org}/${e.project}/${e.env}`;
    await store.create(name, '');
    for (const revision of e.revisions) await store.update(name, revision.yaml ?? '');
    for (const [i, revision] of e.revisions.entries()) {
      for (const tag of revision.tags) await store.tagRevision(name, tag, i + 2);
      if (revision.retracted) {
        await store.retract(name, i + 2, {
          ...(revision.retracted.replacement !== undefined ? { replacement: revision.retracted.replacement } : {}),
          ...(revision.retracted.reason !== undefined ? { reason: revision.retracted.reason } : {}),
        });
      }
    }
    for (const [tag, value] of Object.entries(e.tags)) await store.setTag(name, tag, value);
  }
}
