// Issue 12, finding 5: once a data key or a signing key has existed, a missing one is an error with
// recovery steps — never a new key made on the side — and `escd keys replace` is the one way to make a
// replacement, saying what it breaks and doing nothing without --yes.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assertBuilt, runCli } from '../support/cli.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

let home: TmpHome;
const state = (...parts: string[]): string => join(home.env.ESCD_HOME!, 'state', ...parts);
const keystoreFile = (): string => state('keys', 'keystore.json');
const cli = (args: string[], input?: string) => runCli(args, { env: { ...home.env, TMPDIR: join(home.dir, 'tmp') }, ...(input !== undefined ? { input } : {}) });
const entries = async (): Promise<string[]> =>
  existsSync(keystoreFile()) ? Object.keys((JSON.parse(await readFile(keystoreFile(), 'utf8')) as { entries: Record<string, string> }).entries) : [];

beforeEach(async () => {
  assertBuilt();
  home = await makeTmpHome('escd-keys-');
  await mkdir(join(home.dir, 'tmp'));
});
afterEach(() => home.cleanup());

describe('the data key', () => {
  it('once it existed, a missing one refuses to seal and is replaced only by `escd keys replace data --yes`', async () => {
    expect((await cli(['env', 'init', 'proj/app'])).code).toBe(0);
    const first = await cli(['env', 'set', 'proj/app', 'db.password', '--secret'], 'first-secret\n');
    expect(first.code, first.stderr).toBe(0);
    expect(await entries()).toContain('secrets-data-key');
    expect(JSON.parse(await readFile(state('keys-created.json'), 'utf8'))).toMatchObject({ created: { data: expect.any(String) } });

    await rm(keystoreFile());
    const refused = await cli(['env', 'set', 'proj/app', 'api.token', '--secret'], 'second-secret\n');
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/the data key is missing from the .*keystore\.json \(one was created on \d{4}-\d\d-\d\d, as .*keys-created\.json records\); restore the key store from its backup, or run `escd keys replace data --yes`/);
    expect(await entries()).not.toContain('secrets-data-key');

    // Without the record, the sealed secret in proj/app is evidence enough.
    await rm(state('keys-created.json'));
    const still = await cli(['env', 'set', 'proj/app', 'api.token', '--secret'], 'second-secret\n');
    expect(still.code).toBe(1);
    expect(still.stderr).toMatch(/the data key is missing .*\(.*app\.yaml holds secrets sealed with it\)/);
    expect(await entries()).not.toContain('secrets-data-key');

    const doctor = await cli(['doctor', '--json', '--offline']);
    const dataCheck = (JSON.parse(doctor.stdout) as { checks: { id: string; status: string; fix?: string }[] }).checks.find((c) => c.id === 'data-key');
    expect(dataCheck).toMatchObject({ status: 'fail', fix: expect.stringContaining('escd keys replace data --yes') });

    const dry = await cli(['keys', 'replace', 'data']);
    expect(dry.code).toBe(1);
    expect(dry.stderr).toMatch(/^escd: not replaced: secrets sealed with the current data key will not decrypt \(1 environment file\(s\) hold secrets sealed with the current key, e\.g\. .*app\.yaml\).*run again with --yes/);
    expect(await entries()).not.toContain('secrets-data-key');

    const replaced = await cli(['keys', 'replace', 'data', '--yes']);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stdout).toMatch(/^New data key [0-9a-f]{8} in the .*keystore\.json\.\nNote: secrets sealed with the current data key will not decrypt/);
    expect(await entries()).toContain('secrets-data-key');
    const after = await cli(['env', 'set', 'proj/app', 'api.token', '--secret'], 'second-secret\n');
    expect(after.code, after.stderr).toBe(0);
  }, 60_000);

  it('is made on first use when none ever existed, and a wrong key name is a usage error', async () => {
    expect((await cli(['env', 'init', 'proj/fresh'])).code).toBe(0);
    expect((await cli(['env', 'set', 'proj/fresh', 'pw', '--secret'], 'x\n')).code).toBe(0);
    expect(await entries()).toContain('secrets-data-key');
    const wrong = await cli(['keys', 'replace', 'master', '--yes']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toBe('escd: say which key to replace: data or signing (got "master")\n');
  }, 60_000);
});

describe('the signing key', () => {
  it('once it existed, a missing one is an error for publish, and `escd keys replace signing --yes` makes a new one', async () => {
    const site = join(home.dir, 'site');
    const published = await cli(['oidc', 'publish', '--out', site]);
    expect(published.code, published.stderr).toBe(0);
    const jwks = async (): Promise<string[]> => (JSON.parse(await readFile(join(site, 'jwks.json'), 'utf8')) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    const [oldKid] = await jwks();

    // The key store and the issuer's own list both gone: the record still knows.
    await rm(keystoreFile());
    await rm(state('oidc', 'signing-keys.json'));
    const refused = await cli(['oidc', 'publish', '--out', site]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/the OIDC signing key is missing \(one was created on .*\); restore .*signing-keys\.json and the key store from their backup, or run `escd keys replace signing --yes`/);
    expect(await entries()).toEqual([]);
    expect(await jwks()).toEqual([oldKid]);

    expect((await cli(['keys', 'replace', 'signing'])).stderr).toMatch(/not replaced: a new signing key signs every token from now on \(relying parties reject tokens signed with a new key until you publish it/);
    const replaced = await cli(['keys', 'replace', 'signing', '--yes']);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stdout).toMatch(/^New active signing key \S+ \((RS256|ES256|EdDSA|PS256)\)\.\nNext: `escd oidc publish`/);
    expect((await cli(['oidc', 'publish', '--out', site])).code).toBe(0);
    const [newKid] = await jwks();
    expect(newKid).not.toBe(oldKid);
  }, 60_000);
});
