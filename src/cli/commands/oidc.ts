// `escd oidc …`: the local OIDC issuer (publish its keys, print trust policies and tokens, rotate).
import { Command } from 'commander';
import { withProgress } from '../terminal.js';
import { awsAudience } from '../../config/config.js';
import { createRuntime, type Runtime } from '../../runtime/runtime.js';
import { parseEnvironmentName } from '../../store/names.js';
import { buildSubject, isSubjectAttribute, SUBJECT_ATTRIBUTES } from '../../oidc/claims.js';
import { writePublication } from '../../oidc/discovery.js';
import { fetchThumbprint, ThumbprintError } from '../../oidc/thumbprint.js';
import { providerHostPath, trustPolicy } from '../../oidc/trust-policy.js';
import type { OidcTokenResult } from '../../protocol/wire.js';
import { EscdError } from '../../core/errors.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function register(program: Command): void {
  const oidc = program
    .command('oidc')
    .description("Manage escd's OIDC issuer: publish its keys, trust it from AWS, rotate its signing key")
    .addHelpText(
      'after',
      `
Examples:
  $ escd oidc publish --out ./site                # then host ./site at issuer.url over HTTPS
  $ escd oidc trust-policy --role-account 123456789012 --env myproj/dev --sub
  $ escd oidc token myproj/dev | cut -d. -f2 | base64 -d 2>/dev/null
  $ escd oidc rotate && escd oidc publish --out ./site`,
    );

  oidc
    .command('publish')
    .description('Write .well-known/openid-configuration and jwks.json for hosting at the issuer URL')
    .requiredOption('--out <dir>', 'directory to write (its root is served as the issuer URL)')
    .option('--json', 'print what was written as JSON')
    .addHelpText('after', '\nExample:\n  $ escd oidc publish --out ./site && aws s3 sync ./site s3://my-issuer-bucket/')
    .action(async (opts: { out: string; json?: boolean }) => publish(opts));

  oidc
    .command('trust-policy')
    .description('Print the IAM role trust policy that lets this issuer assume a role')
    .requiredOption('--role-account <account>', 'the 12-digit AWS account of the role and the OIDC provider')
    .requiredOption('--env <env>', 'environment that will assume the role, [org/]project/env (its org sets the audience aws:<org>)')
    .option('--user <user>', 'restrict the subject to this user (pulumi.user.login); implies --sub')
    .option('--sub', 'also require the subject (currentEnvironment.name, and pulumi.user.login with --user)')
    .option('--partition <partition>', 'AWS partition', 'aws')
    .addHelpText('after', '\nExample:\n  $ escd oidc trust-policy --role-account 123456789012 --env myproj/dev --sub --user alice > trust.json')
    .action(async (opts: { roleAccount: string; env: string; user?: string; sub?: boolean; partition?: string }) =>
      printTrustPolicy(opts),
    );

  oidc
    .command('token')
    .description("Print a fresh OIDC token as the environment's aws-login would send it (for debugging trust policies; it is a credential)")
    .argument('<env>', 'environment name, [org/]project/env')
    .option('--audience <aud>', "the aud claim (default: what aws-login sends, aws:<org> or config.yaml aws.audience)")
    .option('--subject-attribute <name>', "build sub from these attributes instead of the environment's subjectAttributes (repeatable)", collect)
    .option('--lifetime <seconds>', 'token lifetime (default issuer.tokenLifetimeSeconds)')
    .option('--json', 'print {"token": …}')
    .addHelpText(
      'after',
      "\nThe environment is evaluated (without signing or calling STS) to find its fn::open::aws-login oidc inputs,\nso the token has the same sub, current_env and root_env as the one STS would get.\n\nExamples:\n  $ escd oidc token myproj/dev\n  $ escd oidc token myproj/dev --subject-attribute currentEnvironment.name",
    )
    .action(async (env: string, opts: { audience?: string; subjectAttribute?: string[]; lifetime?: string; json?: boolean }) =>
      printToken(env, opts),
    );

  oidc
    .command('token-file')
    .description('Have the daemon keep an issuer-signed token fresh in a file (Azure and Google workload identity federation)')
    .argument('[env]', 'environment name, [org/]project/env (the token names it in current_env)')
    .option('--audience <aud>', 'the aud claim the token exchange expects (e.g. api://AzureADTokenExchange)')
    .requiredOption('--path <file>', 'where to keep the token (written atomically, 0600)')
    .option('--remove', 'stop keeping the file at --path, and remove it')
    .option('--lifetime <seconds>', 'token lifetime, 300 to 3600 (default 3600); the file is rewritten at half of it')
    .option('--json', 'print {path, environment, expiresAt, nextRenewalAt}')
    .addHelpText(
      'after',
      `
The daemon writes the token now, rewrites it when half its life is gone (a reader always finds one with
at least half its life left), writes it again after a restart, and removes it when it stops.

Examples:
  $ escd oidc token-file myproj/dev --audience api://AzureADTokenExchange --path ~/.escd/azure.jwt
  $ escd oidc token-file --remove --path ~/.escd/azure.jwt
  $ escd oidc token-file myproj/dev --audience https://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/escd/providers/escd --path ~/.escd/gcp.jwt`,
    )
    .action(async (env: string | undefined, opts: { audience?: string; path: string; lifetime?: string; remove?: boolean; json?: boolean }) =>
      keepTokenFile(env, opts),
    );

  oidc
    .command('thumbprint')
    .description("Print the SHA-1 thumbprint of the issuer host's top certificate, as IAM asks for")
    .option('--connect <host:port>', 'read the certificate from here instead of the issuer host')
    .option('--json', 'print as JSON')
    .addHelpText('after', '\nExample:\n  $ aws iam create-open-id-connect-provider --url "$ISSUER" --client-id-list aws:local --thumbprint-list "$(escd oidc thumbprint)"')
    .action(async (opts: { connect?: string; json?: boolean }) => printThumbprint(opts));

  oidc
    .command('rotate')
    .description('Make a new signing key active; older keys stay published until their tokens have expired')
    .option('--prepare', 'create the next key now, published but not signing until the next rotate (no gap)')
    .option('--json', 'print the key as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ escd oidc rotate && escd oidc publish --out ./site        # quick: publish right away
  $ escd oidc rotate --prepare && escd oidc publish --out ./site
  $ escd oidc rotate                                           # later: the prepared key starts signing`,
    )
    .action(async (opts: { json?: boolean; prepare?: boolean }) => rotate(opts));

  oidc
    .command('keys')
    .description('List the signing keys (kid, algorithm, dates, which one is active)')
    .option('--json', 'print as JSON')
    .addHelpText('after', '\nExample:\n  $ escd oidc keys --json')
    .action(async (opts: { json?: boolean }) => listKeys(opts));
}

// The implementations behind `escd oidc …` (registered in src/cli/commands/oidc.ts, loaded lazily).
type Out = (text: string) => void;
const out: Out = (text) => void process.stdout.write(text.endsWith('\n') ? text : text + '\n');
const warn: Out = (text) => void process.stderr.write(`escd: ${text}\n`);

/** `[org/]project/env` → the org and the name ESC puts in tokens (`project/env`), as the store parses it. */
function environmentOf(runtime: Runtime, name: string): { org: string; environment: string } {
  try {
    const parsed = parseEnvironmentName(name, runtime.config.org);
    return { org: parsed.org, environment: parsed.name };
  } catch (err) {
    throw new EscdError('bad_request', (err as Error).message);
  }
}

function parseSubjectAttributes(values: readonly string[] | undefined): string[] | undefined {
  if (!values || values.length === 0) return undefined;
  for (const v of values) {
    if (!isSubjectAttribute(v)) throw new EscdError('bad_request', `--subject-attribute: unknown attribute "${v}" (one of ${Object.keys(SUBJECT_ATTRIBUTES).join(', ')})`);
  }
  return [...values];
}

export async function publish(opts: { out: string; json?: boolean }): Promise<void> {
  const runtime = await createRuntime();
  const { config } = runtime;
  const issuer = await runtime.issuer();
  const jwks = await issuer.jwks();
  const written = await writePublication(opts.out, issuer.issuerUrl, jwks);
  if (opts.json) {
    out(JSON.stringify({ issuer: issuer.issuerUrl, files: written, kids: jwks.keys.map((k) => k.kid) }, null, 2));
    return;
  }
  out(`Wrote ${written.discovery}\nWrote ${written.jwks} (${jwks.keys.length} key${jwks.keys.length === 1 ? '' : 's'})`);
  out(`Serve the directory ${opts.out} at ${issuer.issuerUrl}/ over HTTPS, so that ${issuer.issuerUrl}/.well-known/openid-configuration answers.`);
  const active = (await issuer.keys()).find((k) => k.active);
  if (active && active.alg !== config.issuer.algorithm) {
    warn(`issuer.algorithm is ${config.issuer.algorithm} but the active key is ${active.alg}: run \`escd oidc rotate\`, then publish again`);
  }
  if (!config.issuer.url.startsWith('https://')) warn(`issuer.url ${config.issuer.url} is not https://: AWS, GCP and Azure only trust HTTPS issuers`);
  warnPlaceholder(config.issuer.url, 'where you will host these files');
}

const PLACEHOLDER_ISSUER = 'https://oidc.escd.invalid';

/** publish, trust-policy and thumbprint all name the issuer: each says when it is still the placeholder. */
function warnPlaceholder(url: string, what: string): void {
  if (url === PLACEHOLDER_ISSUER) warn(`issuer.url is still the placeholder ${PLACEHOLDER_ISSUER}: set issuer.url in config.yaml to ${what}`);
}

export async function printTrustPolicy(opts: { roleAccount: string; env: string; user?: string; sub?: boolean; partition?: string }): Promise<void> {
  const runtime = await createRuntime();
  const { config } = runtime;
  const { org, environment } = environmentOf(runtime, opts.env);
  warnPlaceholder(config.issuer.url, 'your hosted issuer first: AWS cannot trust the placeholder');
  // --user only means something as part of the subject condition, so it asks for one.
  const withSubject = opts.sub === true || opts.user !== undefined;
  const attributes = ['currentEnvironment.name', ...(opts.user !== undefined ? ['pulumi.user.login'] : [])];
  const subject = withSubject
    ? buildSubject({ org, currentEnvironment: environment, rootEnvironment: environment, userLogin: opts.user ?? '', subjectAttributes: attributes })
    : undefined;
  let policy;
  try {
    policy = trustPolicy({
      issuerUrl: config.issuer.url,
      account: opts.roleAccount,
      audience: awsAudience(config),
      ...(subject !== undefined ? { subject } : {}),
      ...(opts.partition !== undefined ? { partition: opts.partition } : {}),
    });
  } catch (err) {
    throw new EscdError('bad_request', `--role-account: ${(err as Error).message}`);
  }
  out(JSON.stringify(policy, null, 2));
  if (subject !== undefined) {
    process.stderr.write(
      `# The sub condition only matches when the environment's aws-login sets:\n#   subjectAttributes:\n${attributes.map((a) => `#     - ${a}\n`).join('')}`,
    );
  }
}

export async function printToken(envName: string, opts: { audience?: string; subjectAttribute?: string[]; lifetime?: string; json?: boolean }): Promise<void> {
  const lifetime = opts.lifetime === undefined ? undefined : Number(opts.lifetime);
  if (lifetime !== undefined && !Number.isInteger(lifetime)) throw new EscdError('bad_request', `--lifetime must be a whole number of seconds (got "${opts.lifetime}")`);
  const subjectAttributes = parseSubjectAttributes(opts.subjectAttribute);
  // The daemon evaluates the environment (recording, not signing, what its aws-login asks for) and
  // signs the token: escd's signing key is used by the daemon only.
  const { askEngine } = await import('../engine.js');
  const result = (await askEngine('oidc.token', {
    env: envName,
    ...(opts.audience !== undefined ? { audience: opts.audience } : {}),
    ...(subjectAttributes ? { subjectAttributes } : {}),
    ...(lifetime !== undefined ? { lifetimeSeconds: lifetime } : {}),
  })) as OidcTokenResult;
  for (const line of result.warnings) warn(line);
  warn('this token is a credential: anyone holding it can assume the roles that trust this issuer until it expires');
  out(opts.json ? JSON.stringify({ token: result.token }) : result.token);
}

export async function printThumbprint(opts: { connect?: string; json?: boolean }): Promise<void> {
  const { config } = await createRuntime();
  if (opts.connect === undefined) warnPlaceholder(config.issuer.url, 'your hosted issuer first: the placeholder host has no certificate to fingerprint');
  const url = new URL(config.issuer.url);
  let host = url.hostname;
  let port = url.port ? Number(url.port) : 443;
  if (opts.connect !== undefined) {
    const m = /^(.+):(\d+)$/.exec(opts.connect);
    if (!m) throw new EscdError('bad_request', `--connect must be HOST:PORT (got "${opts.connect}")`);
    host = m[1]!.replace(/^\[|\]$/g, '');
    port = Number(m[2]);
  }
  try {
    const thumb = await withProgress(`reading the certificate of ${host}:${port}…`, () => fetchThumbprint(host, port));
    if (opts.json) out(JSON.stringify({ host: `${host}:${port}`, thumbprint: thumb.sha1, certificate: thumb.subject }, null, 2));
    else {
      out(thumb.sha1);
      process.stderr.write(`# SHA-1 of ${thumb.subject}, the top certificate ${host}:${port} serves\n`);
    }
  } catch (err) {
    if (!(err instanceof ThumbprintError)) throw err;
    throw new EscdError(
      'bad_request',
      `cannot compute the thumbprint: ${err.message}. AWS no longer uses it for issuers whose certificate chains to a CA it trusts ` +
        `(it checks those itself): create the provider in the console, which fills it in, or pass any 40 hex digits to the API`,
    );
  }
}

export async function rotate(opts: { json?: boolean; prepare?: boolean }): Promise<void> {
  const issuer = await (await createRuntime()).issuer();
  if (opts.prepare) {
    const prepared = await issuer.prepare();
    if (opts.json) return out(JSON.stringify({ ...prepared, prepared: true }, null, 2));
    out(`Prepared signing key ${prepared.kid} (${prepared.alg}): it signs nothing yet.`);
    out('Next: `escd oidc publish` and upload, give relying parties time to fetch it (they cache key sets), then `escd oidc rotate`.');
    return;
  }
  const result = await issuer.rotate();
  if (opts.json) return out(JSON.stringify(result, null, 2));
  out(`New active signing key ${result.kid} (${result.alg})${result.wasPrepared ? ', prepared earlier' : ''}.`);
  if (result.dropped.length > 0) out(`Dropped expired keys: ${result.dropped.join(', ')}`);
  if (!result.wasPrepared) {
    warn(`run \`escd oidc publish\` and upload the files now: relying parties reject tokens signed by ${result.kid} until its public key is published (\`escd oidc rotate --prepare\` avoids this gap)`);
  }
}

export async function listKeys(opts: { json?: boolean }): Promise<void> {
  const runtime = await createRuntime();
  const { config } = runtime;
  const store = await runtime.keyStore();
  const issuer = await runtime.issuer();
  const keys = await issuer.keys();
  if (opts.json) {
    const keystore = { backend: store.backend, location: store.location, ...(store.note !== undefined ? { note: store.note } : {}) };
    out(JSON.stringify({ issuer: issuer.issuerUrl, keystore, keys }, null, 2));
    return;
  }
  out(`Issuer:    ${issuer.issuerUrl} (IAM provider name ${providerHostPath(issuer.issuerUrl)})`);
  out(`Key store: ${store.backend}, ${store.location}${store.note !== undefined ? ` (${store.note})` : ''}`);
  if (keys.length === 0) {
    out('No signing key yet: one is created on first use (`escd oidc publish` or the first token).');
    return;
  }
  for (const k of keys) {
    const state = k.active ? 'active' : k.next ? 'next (published, signs after `escd oidc rotate`)' : `retired ${k.retiredAt}, leaves the JWKS ${k.dropsAt}`;
    out(`${k.kid}  ${k.alg}  created ${k.createdAt}  ${state}`);
  }
  const active = keys.find((k) => k.active);
  if (active && active.alg !== config.issuer.algorithm) {
    warn(`issuer.algorithm is ${config.issuer.algorithm} but the active key is ${active.alg}: run \`escd oidc rotate\`, then publish`);
  }
}

// `escd oidc token-file`: a request to the daemon only, so this module stays light (the other oidc
// actions load the runtime and the providers, seconds of imports on a busy machine).

/** `escd oidc token-file`: the daemon (started if needed) keeps the token fresh at the path. */
export async function keepTokenFile(envName: string | undefined, opts: { audience?: string; path: string; lifetime?: string; remove?: boolean; json?: boolean }): Promise<void> {
  const [{ resolvePaths }, control, { resolve }, { expandHome }] = await Promise.all([
    import('../../config/paths.js'),
    import('../../../daemon/control.js'),
    import('node:path'),
    import('../../setup/config-files.js'),
  ]);
  let lifetimeSeconds: number | undefined;
  if (opts.lifetime !== undefined) {
    lifetimeSeconds = Number(opts.lifetime);
    if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds < 300 || lifetimeSeconds > 3600) throw new EscdError('usage', `--lifetime must be a whole number of seconds from 300 to 3600 (got ${JSON.stringify(opts.lifetime.slice(0, 20))})`);
  }
  const paths = resolvePaths();
  const ctx = { socket: paths.socket, logFile: paths.daemonLog, env: process.env, out: () => {} };
  const path = resolve(expandHome(opts.path, process.env));
  if (opts.remove) {
    const { dropped } = (await control.ask(ctx, 'tokenfile.drop', { path })) as { dropped: boolean };
    if (opts.json) process.stdout.write(JSON.stringify({ path, dropped }) + '\n');
    else if (dropped) process.stdout.write(`no longer keeping ${path} (removed)\n`);
    else throw new EscdError('bad_request', `escd keeps no token file at ${path}`);
    return;
  }
  if (envName === undefined) throw new EscdError('usage', 'missing environment name: escd oidc token-file <env> --audience A --path P');
  if (opts.audience === undefined) throw new EscdError('usage', '--audience is required (the aud the token exchange expects)');
  const kept = (await control.ask(ctx, 'tokenfile.keep', {
    kind: 'oidc',
    env: envName,
    audience: opts.audience,
    path,
    lifetimeSeconds: lifetimeSeconds ?? 3600,
  })) as { path: string; environment: string; expiresAt?: string; nextRenewalAt?: string };
  if (opts.json) process.stdout.write(JSON.stringify(kept, null, 2) + '\n');
  else process.stdout.write(`keeping a token for ${kept.environment} (aud ${opts.audience}) fresh in ${kept.path}; next renewal ${kept.nextRenewalAt ?? 'pending'}\n`);
}
