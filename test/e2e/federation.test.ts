// Workload identity federation from a token file the daemon keeps: the official clients
// (@azure/identity WorkloadIdentityCredential, google-auth-library with an external_account file
// credential source) read the file `escd oidc token-file` keeps and trade it at the tests' token
// endpoints, which verify it against the JWKS `escd oidc publish` wrote; each library gets the access
// token. Configured as the README shows (AZURE_* variables; a credential configuration file).
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, ROOT, runCli, runProcess } from '../support/cli.js';
import { startFederationTokenServer, type FederationTokenServer } from '../support/federation-token-server.js';
import { e2eSkipReason } from '../support/moto.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

const opensslMissing = (): string | undefined => (spawnSync('openssl', ['version'], { timeout: 20_000 }).status === 0 ? undefined : 'openssl is not installed');
const skip = e2eSkipReason(opensslMissing());

const ISSUER = 'https://issuer.example.test/escd';
const AZURE_AUDIENCE = 'api://AzureADTokenExchange';
const GOOGLE_PROVIDER = '//iam.googleapis.com/projects/123456/locations/global/workloadIdentityPools/escd/providers/escd';
const GOOGLE_AUDIENCE = `https:${GOOGLE_PROVIDER}`;

const node = (script: string, env: Record<string, string>) =>
  runProcess(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], { env, cwd: ROOT, timeoutMs: 60_000 });

const AZURE = `
  import { WorkloadIdentityCredential } from '@azure/identity';
  const credential = new WorkloadIdentityCredential({ disableInstanceDiscovery: true });
  const token = await credential.getToken('https://management.azure.com/.default');
  process.stdout.write(token.token);`;

const GOOGLE = `
  import { GoogleAuth } from 'google-auth-library';
  const auth = new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
  const client = await auth.getClient();
  const { token } = await client.getAccessToken();
  process.stdout.write(token);`;

describe.skipIf(skip)('workload identity federation from a kept token file', () => {
  let home: TmpHome;
  let env: Record<string, string>;
  let fed: FederationTokenServer;
  let azureFile: string;
  let googleFile: string;
  /** What the clients run with: the test's CA for the token endpoints, nothing of escd. */
  let clientEnv: Record<string, string>;

  beforeAll(async () => {
    assertBuilt();
    home = await makeTmpHome('escd-fed-');
    const escdHome = home.env.ESCD_HOME!;
    await mkdir(join(escdHome, 'environments', 'proj'), { recursive: true });
    await writeFile(join(escdHome, 'config.yaml'), `org: acme\nuser: tester\nissuer:\n  url: ${ISSUER}\n`);
    await writeFile(join(escdHome, 'environments', 'proj', 'dev.yaml'), 'values:\n  region: westeurope\n');
    const site = join(home.dir, 'site');
    const published = await runCli(['oidc', 'publish', '--out', site], { env: home.env });
    expect(published.code, published.stderr).toBe(0);
    fed = await startFederationTokenServer({ publishedDir: site, issuer: ISSUER, azureAudience: AZURE_AUDIENCE, googleAudience: GOOGLE_AUDIENCE });
    env = { ...home.env, PATH: process.env.PATH ?? '' };
    azureFile = join(home.dir, 'tokens', 'azure.jwt');
    googleFile = join(home.dir, 'tokens', 'gcp.jwt');
    await mkdir(join(home.dir, 'tokens'), { mode: 0o700 });
    clientEnv = { PATH: process.env.PATH ?? '', HOME: home.dir, NODE_EXTRA_CA_CERTS: fed.caFile };
  });

  afterAll(async () => {
    if (env) await runCli(['stop'], { env });
    await fed?.stop();
    await home?.cleanup();
  });

  it('escd oidc token-file writes an issuer token with the audience, 0600, and escd status lists it', async () => {
    for (const [audience, path] of [
      [AZURE_AUDIENCE, azureFile],
      [GOOGLE_AUDIENCE, googleFile],
    ] as const) {
      const r = await runCli(['oidc', 'token-file', 'proj/dev', '--audience', audience, '--path', path], { env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`fresh in ${path}`);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      const claims = JSON.parse(Buffer.from((await readFile(path, 'utf8')).split('.')[1]!, 'base64url').toString()) as { aud: string; iss: string; exp: number; iat: number };
      expect(claims).toMatchObject({ aud: audience, iss: ISSUER });
      expect(claims.exp - claims.iat).toBe(3600);
    }
    const status = JSON.parse((await runCli(['status', '--json'], { env })).stdout) as { tokenFiles: { kind: string; path: string }[] };
    expect(status.tokenFiles.map((f) => [f.kind, f.path])).toEqual([
      ['oidc', azureFile],
      ['oidc', googleFile],
    ]);
  });

  it('@azure/identity WorkloadIdentityCredential (AZURE_FEDERATED_TOKEN_FILE) gets the access token', async () => {
    const r = await node(AZURE, {
      ...clientEnv,
      AZURE_TENANT_ID: '11111111-2222-3333-4444-555555555555',
      AZURE_CLIENT_ID: '66666666-7777-8888-9999-000000000000',
      AZURE_FEDERATED_TOKEN_FILE: azureFile,
      AZURE_AUTHORITY_HOST: fed.url,
    });
    expect(r.stderr).toBe('');
    const accepted = fed.exchanges.filter((e) => e.kind === 'azure' && e.accessToken);
    expect(accepted).toHaveLength(1);
    expect(r.stdout).toBe(accepted[0]!.accessToken);
    expect(accepted[0]!.subject).toBe('pulumi:environments:pulumi.organization.login:acme');
  });

  it('google-auth-library with an external_account file credential source gets the access token', async () => {
    const config = join(home.dir, 'gcp-credentials.json');
    await writeFile(
      config,
      JSON.stringify({
        type: 'external_account',
        audience: GOOGLE_PROVIDER,
        subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
        token_url: `${fed.url}/v1/token`,
        credential_source: { file: googleFile, format: { type: 'text' } },
      }),
    );
    // A known project: the library would otherwise look it up at cloudresourcemanager.googleapis.com.
    const r = await node(GOOGLE, { ...clientEnv, GOOGLE_APPLICATION_CREDENTIALS: config, GOOGLE_CLOUD_PROJECT: 'escd-test' });
    expect(r.stderr).toBe('');
    const accepted = fed.exchanges.filter((e) => e.kind === 'google' && e.accessToken);
    expect(accepted).toHaveLength(1);
    expect(r.stdout).toBe(accepted[0]!.accessToken);
  });

  it('a token for another audience is refused at the exchange, and the library reports it', async () => {
    const r = await node(AZURE, {
      ...clientEnv,
      AZURE_TENANT_ID: '11111111-2222-3333-4444-555555555555',
      AZURE_CLIENT_ID: '66666666-7777-8888-9999-000000000000',
      AZURE_FEDERATED_TOKEN_FILE: googleFile,
      AZURE_AUTHORITY_HOST: fed.url,
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/AADSTS700211/);
    expect(fed.exchanges.at(-1)).toMatchObject({ kind: 'azure', refused: expect.stringMatching(/aud/) });
  });

  it('--remove stops keeping a file and removes it; a file it does not keep is an error', async () => {
    const extra = join(home.dir, 'tokens', 'extra.jwt');
    expect((await runCli(['oidc', 'token-file', 'proj/dev', '--audience', 'x', '--path', extra], { env })).code).toBe(0);
    const removed = await runCli(['oidc', 'token-file', '--remove', '--path', extra], { env });
    expect(removed.code, removed.stderr).toBe(0);
    await expect(stat(extra)).rejects.toMatchObject({ code: 'ENOENT' });
    const again = await runCli(['oidc', 'token-file', '--remove', '--path', extra], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`escd: escd keeps no token file at ${extra}\n`);
    const status = JSON.parse((await runCli(['status', '--json'], { env })).stdout) as { tokenFiles: { path: string }[] };
    expect(status.tokenFiles.map((f) => f.path)).toEqual([azureFile, googleFile]);
  });

  it('the files are removed when the daemon stops', async () => {
    expect((await runCli(['stop'], { env })).code).toBe(0);
    for (const path of [azureFile, googleFile]) await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
