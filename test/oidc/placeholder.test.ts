// `escd oidc trust-policy` and `thumbprint` say when issuer.url is still the quickstart placeholder
// (issue 13 #8): a policy or thumbprint for https://oidc.escd.invalid is of no use to AWS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli } from '../support/cli.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

describe('the placeholder issuer URL', () => {
  let home: TmpHome;
  beforeAll(async () => {
    assertBuilt();
    home = await makeTmpHome('escd-placeholder-');
  });
  afterAll(() => home?.cleanup());

  it('trust-policy prints the policy and warns on stderr', async () => {
    const r = await runCli(['oidc', 'trust-policy', '--role-account', '123456789012', '--env', 'proj/dev'], { env: home.env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ Version: '2012-10-17' });
    expect(r.stderr).toMatch(/^escd: issuer.url is still the placeholder https:\/\/oidc\.escd\.invalid: set issuer\.url in config\.yaml/);
  });

  it('thumbprint warns before trying the placeholder host', async () => {
    const r = await runCli(['oidc', 'thumbprint'], { env: home.env, timeoutMs: 60_000 });
    expect(r.stderr).toMatch(/^escd: issuer.url is still the placeholder https:\/\/oidc\.escd\.invalid/);
  });
});
