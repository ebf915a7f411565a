// The implementations behind `escd oidc …` (registered in src/cli/commands/oidc.ts, loaded lazily).
import { withProgress } from '../terminal.js';
import { awsAudience } from '../../config/config.js';
import { createProviderRegistry } from '../../providers/registry.js';
import { createRuntime, type Runtime } from '../../runtime/runtime.js';
import { parseEnvironmentName } from '../../store/names.js';
import { buildSubject, isSubjectAttribute, SUBJECT_ATTRIBUTES } from '../../oidc/claims.js';
import { writePublication } from '../../oidc/discovery.js';
import { fetchThumbprint, ThumbprintError } from '../../oidc/thumbprint.js';
import { providerHostPath, trustPolicy } from '../../oidc/trust-policy.js';
import type { TokenRequest } from '../../oidc/types.js';
import { EscdError } from '../../core/errors.js';

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

/**
 * What the environment's `fn::open::aws-login` would ask the issuer for: the environment is evaluated
 * with an issuer that records the request and signs nothing, so no token is made and STS is not called.
 */
async function awsLoginTokenRequests(runtime: Runtime, envName: string): Promise<TokenRequest[]> {
  const requests: TokenRequest[] = [];
  const recorder = {
    issuerUrl: runtime.config.issuer.url,
    mint: (request: TokenRequest): Promise<string> => {
      requests.push(request);
      return Promise.reject(new Error('recorded, not signed'));
    },
  };
  const probe = await createRuntime({ providers: createProviderRegistry({ config: runtime.config, issuer: recorder }) });
  try {
    await probe.evaluate(envName, { mode: 'eval' });
  } catch (err) {
    throw new EscdError('bad_request', (err as Error).message);
  }
  return requests;
}

export async function printToken(envName: string, opts: { audience?: string; subjectAttribute?: string[]; lifetime?: string; json?: boolean }): Promise<void> {
  const runtime = await createRuntime();
  const { config } = runtime;
  const { org, environment } = environmentOf(runtime, envName);
  const lifetime = opts.lifetime === undefined ? undefined : Number(opts.lifetime);
  if (lifetime !== undefined && !Number.isInteger(lifetime)) throw new EscdError('bad_request', `--lifetime must be a whole number of seconds (got "${opts.lifetime}")`);
  const subjectAttributes = parseSubjectAttributes(opts.subjectAttribute);

  const recorded = await awsLoginTokenRequests(runtime, envName);
  if (recorded.length === 0) warn(`${environment} has no fn::open::aws-login with oidc (or it does not evaluate): this is the default token for it`);
  else if (new Set(recorded.map((r) => JSON.stringify(r))).size > 1) warn(`${environment} asks for ${recorded.length} different tokens: this is the first`);
  const base: TokenRequest = recorded[0] ?? { audience: awsAudience(config), org, currentEnvironment: environment, rootEnvironment: environment, userLogin: config.user };
  // The flags win over what the environment asks for.
  const request: TokenRequest = {
    ...base,
    ...(opts.audience !== undefined ? { audience: opts.audience } : {}),
    ...(subjectAttributes ? { subjectAttributes } : {}),
    ...(lifetime !== undefined ? { lifetimeSeconds: lifetime } : {}),
  };

  const issuer = await runtime.issuer();
  let token: string;
  try {
    token = await issuer.mint(request);
  } catch (err) {
    throw new EscdError('bad_request', (err as Error).message);
  }
  warn('this token is a credential: anyone holding it can assume the roles that trust this issuer until it expires');
  out(opts.json ? JSON.stringify({ token }) : token);
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
