// The shim starts the daemon and the daemon cannot start (issue 13 #6): the shim reports the daemon's
// own reason as soon as it exits, not "cannot reach escd daemon … ENOENT" after its whole start budget.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli, runShim } from '../support/cli.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

describe('escd-shim when the daemon it starts exits at once', () => {
  let home: TmpHome;
  beforeAll(async () => {
    assertBuilt();
    home = await makeTmpHome('escd-startfail-');
    await mkdir(home.env.ESCD_HOME!, { recursive: true });
    await writeFile(join(home.env.ESCD_HOME!, 'config.yaml'), 'org: acme\nuser: alice\norg: again\n');
  });
  afterAll(() => home?.cleanup());

  it("says the daemon's reason: the config.yaml line", async () => {
    const r = await runShim(['aws', 'proj/dev'], { env: home.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`escd-shim: the escd daemon did not start: ${join(home.env.ESCD_HOME!, 'config.yaml')}:3:1: Map keys must be unique\n`);
  });

  it('names every problem of config.yaml, to the shim and to the CLI alike', async () => {
    const file = join(home.env.ESCD_HOME!, 'config.yaml');
    await writeFile(file, 'org: acme\nkeystore: vault\nissuer:\n  url: ftp://x\n');
    const reason = `${file}:2:11: keystore must be one of auto, keychain, file; ${file}:4:8: issuer.url must be an https:// URL`;
    const shim = await runShim(['aws', 'proj/dev'], { env: home.env });
    expect(shim.stderr).toBe(`escd-shim: the escd daemon did not start: ${reason}\n`);
    const cli = await runCli(['env', 'ls'], { env: home.env });
    expect(cli.code).toBe(1);
    expect(cli.stderr).toBe(`escd: ${reason}\n`);
  });
});
