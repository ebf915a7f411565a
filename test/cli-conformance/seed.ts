// The store of one case (README §1), in an ESCD_HOME of its own: config.yaml names the corpus's
// identity (org and user `test-user`, §3) and each fixture environment is written to the store.
// The local store keeps one definition per environment and one organization, so for now each
// environment of org `test-user` gets its latest revision; other orgs are left out.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolvePaths } from '../../src/config/paths.js';
import { EnvironmentStore } from '../../src/store/store.js';
import type { FixtureEnvironment } from './case.js';

export const TEST_ORG = 'test-user';

export async function seedStore(home: string, environments: readonly FixtureEnvironment[]): Promise<void> {
  await writeFile(join(home, 'config.yaml'), `org: ${TEST_ORG}\nuser: ${TEST_ORG}\nkeystore: file\n`, { mode: 0o600 });
  const store = new EnvironmentStore(resolvePaths({ ESCD_HOME: home }).environmentsDir, TEST_ORG);
  for (const e of environments) {
    if (e.org !== TEST_ORG) continue;
    const latest = e.revisions.at(-1)?.yaml ?? '';
    await store.write(`${e.project}/${e.env}`, latest);
  }
}
