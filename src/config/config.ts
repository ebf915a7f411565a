// The user's settings (config.yaml). Missing file = defaults; a bad field = one clear line naming it.
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { LineCounter, parseDocument } from 'yaml';
import { ownershipProblems, ownershipRefusal } from './ownership.js';
import { resolvePaths, type Paths } from './paths.js';
import { EscdError } from '../core/errors.js';

export type KeyStoreChoice = 'auto' | 'keychain' | 'file';
export type SigningAlgorithm = 'RS256' | 'ES256';

export interface EscdConfig {
  /** The local organization: the default org of environment names and the `aws:<org>` audience. */
  readonly org: string;
  /** `context.pulumi.user.login` and the tokens' `trigger_user`. */
  readonly user: string;
  readonly issuer: {
    /** The `iss` of every token; where `escd oidc publish` output is hosted. */
    readonly url: string;
    readonly algorithm: SigningAlgorithm;
    /** Lifetime of minted OIDC tokens, in seconds (short: minutes). */
    readonly tokenLifetimeSeconds: number;
  };
  readonly keystore: KeyStoreChoice;
  readonly aws: {
    readonly region: string;
    /** Overrides the STS endpoint (AWS_ENDPOINT_URL_STS also does). */
    readonly stsEndpoint?: string;
    /** The `aud` of tokens for AWS, when it must differ from `aws:<org>` (the IAM provider's client id). */
    readonly audience?: string;
    /** Override the Secrets Manager, SSM and IAM endpoints (AWS_ENDPOINT_URL_<SERVICE> also does). */
    readonly secretsManagerEndpoint?: string;
    readonly ssmEndpoint?: string;
    readonly iamEndpoint?: string;
  };
  /**
   * Orgs whose environments live in Pulumi Cloud, by name, with the service's URL. Every other org is
   * local (the environments directory).
   */
  readonly cloudOrgs: Readonly<Record<string, string>>;
  readonly audit: {
    /** Serve no credential whose audit line cannot be written (the daemon refuses instead). */
    readonly required: boolean;
  };
}

/** Pulumi Cloud's own API, the default backend URL of a cloud org (as the `esc` CLI's). */
export const PULUMI_CLOUD_URL = 'https://api.pulumi.com';

/** The Pulumi Cloud URL behind `org`, or undefined for a local org. */
export function cloudUrlOf(config: EscdConfig, org: string): string | undefined {
  return Object.hasOwn(config.cloudOrgs, org) ? config.cloudOrgs[org] : undefined;
}

/** The `aud` of tokens sent to AWS: `aws:<org>` as in Pulumi ESC, unless config.yaml sets aws.audience. */
export function awsAudience(config: EscdConfig): string {
  return config.aws.audience ?? `aws:${config.org}`;
}


const KEYSTORE_CHOICES: readonly KeyStoreChoice[] = ['auto', 'keychain', 'file'];

/** ESCD_KEYSTORE, which wins over config.yaml's keystore; checked here so any command reports a bad value first. */
function keystoreFromEnv(env: Readonly<Record<string, string | undefined>>): KeyStoreChoice | undefined {
  const value = env.ESCD_KEYSTORE;
  if (value === undefined || value === '') return undefined;
  if ((KEYSTORE_CHOICES as readonly string[]).includes(value)) return value as KeyStoreChoice;
  throw new EscdError('bad_config', `ESCD_KEYSTORE must be one of ${KEYSTORE_CHOICES.join(', ')} (got ${JSON.stringify(value.slice(0, 40))})`);
}

export function defaultConfig(env: Readonly<Record<string, string | undefined>> = process.env): EscdConfig {
  const user = env.ESCD_USER ?? safeUsername();
  return {
    org: env.ESCD_ORG ?? 'local',
    user,
    issuer: { url: 'https://oidc.escd.invalid', algorithm: 'RS256', tokenLifetimeSeconds: 300 },
    keystore: keystoreFromEnv(env) ?? 'auto',
    aws: { region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1' },
    cloudOrgs: {},
    audit: { required: false },
  };
}

function safeUsername(): string {
  try {
    return userInfo().username;
  } catch {
    return 'user';
  }
}

/**
 * Reads config.yaml; a missing file gives the defaults. Throws EscdError bad_config with `file:line: message`, or
 * with the first ownership problem (ownership.ts) of escd's directories: those are refused, not read.
 */
export async function loadConfig(paths: Paths = resolvePaths(), env = process.env): Promise<EscdConfig> {
  const refusal = ownershipRefusal(ownershipProblems(paths, env));
  if (refusal) throw new EscdError('bad_config', refusal);
  let text: string;
  try {
    text = await readFile(paths.configFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return defaultConfig(env);
    throw new EscdError('bad_config', `${paths.configFile}: ${(err as Error).message}`, { cause: err });
  }
  return parseConfig(text, paths.configFile, env);
}

/**
 * Parses config.yaml. Every problem is reported, not only the first: a bad_config EscdError whose message
 * is one line per problem, `file:line:col: field must be …` (compiler style).
 */
export function parseConfig(text: string, file: string, env = process.env): EscdConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined): string => {
    if (offset === undefined) return file;
    const pos = lineCounter.linePos(offset);
    return `${file}:${pos.line}:${pos.col}`;
  };
  if (doc.errors.length > 0) {
    throw new EscdError('bad_config', doc.errors.map((e) => `${at(e.pos[0])}: ${e.message.split('\n')[0]}`).join('\n'));
  }
  const raw: unknown = doc.toJS() ?? {};
  const defaults = defaultConfig(env);
  const problems: { offset: number; text: string }[] = [];
  /** Notes a problem at the field's place in the file; the field then takes `fallback` so the check goes on. */
  const fail = <T>(field: string, want: string, fallback: T): T => {
    const path = field === 'the file' ? [] : field.replace(/^'|'$/g, '').split('.');
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    const offset = node?.range?.[0];
    problems.push({ offset: offset ?? -1, text: `${at(offset)}: ${field} must be ${want}` });
    return fallback;
  };
  const obj = (v: unknown, field: string): Record<string, unknown> =>
    v === undefined ? {} : typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : fail(field, 'a mapping', {});
  const str = (v: unknown, field: string, dflt: string): string =>
    v === undefined ? dflt : typeof v === 'string' && v.length > 0 ? v : fail(field, 'a non-empty string', dflt);
  const oneOf = <T extends string>(v: unknown, field: string, allowed: readonly T[], dflt: T): T =>
    v === undefined ? dflt : allowed.includes(v as T) ? (v as T) : fail(field, `one of ${allowed.join(', ')}`, dflt);

  const top = obj(raw, 'the file');
  const known = new Set(['org', 'user', 'issuer', 'keystore', 'aws', 'orgs', 'audit']);
  for (const key of Object.keys(top)) if (!known.has(key)) fail(`'${key}'`, `one of the known fields (${[...known].join(', ')})`, undefined);
  const issuer = obj(top.issuer, 'issuer');
  const aws = obj(top.aws, 'aws');
  const audit = obj(top.audit, 'audit');
  for (const key of Object.keys(audit)) if (key !== 'required') fail(`audit.${key}`, 'absent (audit has one field: required)', undefined);
  const auditRequired = audit.required === undefined ? false : typeof audit.required === 'boolean' ? audit.required : fail('audit.required', 'true or false', false);
  let lifetime = issuer.tokenLifetimeSeconds ?? defaults.issuer.tokenLifetimeSeconds;
  if (typeof lifetime !== 'number' || !Number.isInteger(lifetime) || lifetime < 60 || lifetime > 3600) {
    lifetime = fail('issuer.tokenLifetimeSeconds', 'a whole number of seconds from 60 to 3600', defaults.issuer.tokenLifetimeSeconds);
  }
  let url = str(issuer.url, 'issuer.url', defaults.issuer.url);
  if (!/^https?:\/\/[^\s/]+/.test(url)) url = fail('issuer.url', 'an https:// URL', defaults.issuer.url);
  const stsEndpoint = aws.stsEndpoint === undefined ? undefined : str(aws.stsEndpoint, 'aws.stsEndpoint', '');
  const audience = aws.audience === undefined ? undefined : str(aws.audience, 'aws.audience', '');
  const cloudOrgs: Record<string, string> = {};
  for (const [org, entry] of Object.entries(obj(top.orgs, 'orgs'))) {
    const backend = str(obj(entry, `orgs.${org}`).backend, `orgs.${org}.backend`, 'local');
    if (backend === 'local') continue;
    if (backend !== 'cloud' && !/^https?:\/\/[^\s/]+/.test(backend)) {
      fail(`orgs.${org}.backend`, "'local', 'cloud' or a Pulumi Cloud URL (https://…)", undefined);
      continue;
    }
    cloudOrgs[org] = (backend === 'cloud' ? PULUMI_CLOUD_URL : backend).replace(/\/+$/, '');
  }
  const endpoints: Record<string, string> = {};
  for (const field of ['secretsManagerEndpoint', 'ssmEndpoint', 'iamEndpoint'] as const) {
    if (aws[field] !== undefined) endpoints[field] = str(aws[field], `aws.${field}`, '');
  }
  // The file's keystore is checked even when ESCD_KEYSTORE overrides it: a bad file is bad whoever reads it.
  const fileKeystore = oneOf(top.keystore, 'keystore', KEYSTORE_CHOICES, 'auto');
  const config: EscdConfig = {
    org: str(top.org, 'org', defaults.org),
    user: str(top.user, 'user', defaults.user),
    issuer: {
      url: url.replace(/\/+$/, ''),
      algorithm: oneOf(issuer.algorithm, 'issuer.algorithm', ['RS256', 'ES256'] as const, 'RS256'),
      tokenLifetimeSeconds: lifetime as number,
    },
    keystore: keystoreFromEnv(env) ?? fileKeystore,
    aws: {
      region: str(aws.region, 'aws.region', defaults.aws.region),
      ...(stsEndpoint ? { stsEndpoint } : {}),
      ...(audience ? { audience } : {}),
      ...endpoints,
    },
    cloudOrgs,
    audit: { required: auditRequired },
  };
  if (problems.length > 0) {
    throw new EscdError('bad_config', problems.sort((a, b) => a.offset - b.offset).map((p) => p.text).join('\n'));
  }
  return config;
}
