// `escd login [url]` / `escd logout [url]`: the Pulumi Cloud access token of a backend, kept only in
// escd's key store. The daemon reads it when it opens a cloud org's environment.
import { Command } from 'commander';
import { EscdError } from '../../core/errors.js';

interface LoginOptions {
  readonly json?: boolean;
}

export function register(program: Command): void {
  program
    .command('login')
    .description('Store a Pulumi Cloud access token for the orgs config.yaml maps to that service')
    .argument('[url]', 'the service URL (default: https://api.pulumi.com)')
    .option('--json', 'print {"url", "orgs"} instead of a sentence')
    .addHelpText(
      'after',
      `
The token is read from PULUMI_ACCESS_TOKEN when set, else from standard input (not echoed on a
terminal). It is checked against the service, then kept in escd's key store, never in a file.

Examples:
  $ escd login                                   # paste a token from app.pulumi.com/account/tokens
  $ PULUMI_ACCESS_TOKEN=pul-… escd login https://api.pulumi.example.com`,
    )
    .action(async (url: string | undefined, opts: LoginOptions) => login(url, opts));

  program
    .command('logout')
    .description("Remove a Pulumi Cloud access token from escd's key store")
    .argument('[url]', 'the service URL (default: https://api.pulumi.com)')
    .addHelpText('after', '\nExample:\n  $ escd logout')
    .action(async (url: string | undefined) => logout(url));
}

async function login(urlArgument: string | undefined, opts: LoginOptions): Promise<void> {
  const [{ openRuntime }, { PULUMI_CLOUD_URL }, credentials] = await Promise.all([import('../evaluate.js'), import('../../config/config.js'), import('../../cloud/credentials.js')]);
  const url = normaliseUrl(urlArgument ?? PULUMI_CLOUD_URL);
  const runtime = await openRuntime();
  const orgs = Object.entries(runtime.config.cloudOrgs).filter(([, u]) => u === url).map(([org]) => org);
  const token = process.env.PULUMI_ACCESS_TOKEN || (await readToken());
  const bad = credentials.checkTokenShape(token);
  if (bad) throw new EscdError('usage', bad);
  const keys = await runtime.keyStore();
  const previous = await keys.get(credentials.keyNameFor(url));
  await credentials.storeAccessToken(keys, url, token);
  // Checked against the service before it is kept: a typo should fail here, not at the first `aws` call.
  // The daemon makes the call (and audits it) with the token just stored; a refused one is taken back.
  if (orgs[0] !== undefined) {
    const { askCloud } = await import('../cloud-env.js');
    try {
      await askCloud({ op: 'list', org: orgs[0] });
    } catch (err) {
      await (previous === undefined ? keys.delete(credentials.keyNameFor(url)) : keys.set(credentials.keyNameFor(url), previous));
      throw new EscdError('bad_request', `not logged in: ${(err as Error).message}`);
    }
  }
  if (opts.json) {
    process.stdout.write(JSON.stringify({ url, orgs }, null, 2) + '\n');
    return;
  }
  const where = orgs.length > 0 ? `for ${orgs.join(', ')}` : `(no org in config.yaml uses it yet: add orgs.<org>.backend: ${url})`;
  process.stdout.write(`Logged in to ${url} ${where}\n`);
}

async function logout(urlArgument: string | undefined): Promise<void> {
  const [{ openRuntime }, { PULUMI_CLOUD_URL }, { forgetAccessToken }] = await Promise.all([
    import('../evaluate.js'),
    import('../../config/config.js'),
    import('../../cloud/credentials.js'),
  ]);
  const url = normaliseUrl(urlArgument ?? PULUMI_CLOUD_URL);
  const runtime = await openRuntime();
  const had = await forgetAccessToken(await runtime.keyStore(), url);
  process.stdout.write(had ? `Logged out of ${url}\n` : `Not logged in to ${url}\n`);
}

function normaliseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new EscdError('usage', `not a URL: ${JSON.stringify(text.slice(0, 80))} (e.g. https://api.pulumi.com)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new EscdError('usage', `the service URL must be https:// (got ${url.protocol})`);
  return url.origin;
}

/** One line from standard input; on a terminal, prompted and not echoed. */
async function readToken(): Promise<string> {
  const { readHidden } = await import('../hidden-input.js');
  return (await readHidden('Pulumi access token')).trim();
}
