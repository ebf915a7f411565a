// Turns one request line into a typed Request, or into the error the client should get.
// Every check names the field at fault; nothing here throws.
import { isSubjectAttribute, SUBJECT_ATTRIBUTES } from '../src/oidc/claims.js';
import { MAX_GRANT_TTL_SECONDS, METHOD_SINCE, METHODS, SUPPORTED_VERSIONS, type CloudOperation, type ErrorBody, type ProtocolVersion, type KubeApiVersion, type Method, type MethodParams, type Request } from '../src/protocol/wire.js';

export type Parsed = { ok: true; request: Request } | { ok: false; id: string | number | null; error: ErrorBody };

const KUBE_API_VERSIONS: readonly KubeApiVersion[] = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'];
const MAX_ID_LENGTH = 128;
const MAX_NAME_LENGTH = 512;

type Fields = Record<string, unknown>;

class FieldError extends Error {}

function isRecord(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requiredString(params: Fields, field: string): string {
  const value = params[field];
  if (typeof value !== 'string' || value.length === 0) throw new FieldError(`params.${field} must be a non-empty string`);
  if (value.length > MAX_NAME_LENGTH || value.includes('\0')) throw new FieldError(`params.${field} is not a valid name`);
  return value;
}

function optionalString(params: Fields, field: string): string | undefined {
  return params[field] === undefined ? undefined : requiredString(params, field);
}

function optionalBoolean(params: Fields, field: string): boolean | undefined {
  const value = params[field];
  if (value !== undefined && typeof value !== 'boolean') throw new FieldError(`params.${field} must be true or false`);
  return value;
}

/** Definition text for env.check: up to the request limit, any characters but NUL. */
function optionalText(params: Fields, field: string): string | undefined {
  const value = params[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.includes('\0')) throw new FieldError(`params.${field} must be text`);
  return value;
}

function oneOf<T extends string>(params: Fields, field: string, allowed: readonly T[]): T | undefined {
  const value = params[field];
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) throw new FieldError(`params.${field} must be one of ${allowed.join(', ')}`);
  return value as T;
}

/** CallerSettings: reported back in a warning, never acted on. */
function caller(p: Fields): { callerStsEndpoint?: string } {
  const endpoint = optionalString(p, 'callerStsEndpoint');
  return endpoint === undefined ? {} : { callerStsEndpoint: endpoint };
}

const paramParsers: { [M in Method]: (params: Fields) => MethodParams[M] } = {
  // The shim's hot path: one object, no spread (the other methods are rare enough not to care).
  'aws.credentials': (p) => {
    const env = requiredString(p, 'env');
    const endpoint = optionalString(p, 'callerStsEndpoint');
    return endpoint === undefined ? { env } : { env, callerStsEndpoint: endpoint };
  },
  'kube.credentials': (p) => {
    const apiVersion = p.apiVersion ?? 'client.authentication.k8s.io/v1beta1';
    if (!KUBE_API_VERSIONS.includes(apiVersion as KubeApiVersion)) throw new FieldError(`params.apiVersion must be one of ${KUBE_API_VERSIONS.join(', ')}`);
    const region = optionalString(p, 'region');
    const oidc = optionalBoolean(p, 'oidc');
    const audience = optionalString(p, 'audience');
    return {
      env: requiredString(p, 'env'),
      cluster: requiredString(p, 'cluster'),
      apiVersion: apiVersion as KubeApiVersion,
      ...(region !== undefined ? { region } : {}),
      ...(oidc !== undefined ? { oidc } : {}),
      ...(audience !== undefined ? { audience } : {}),
      ...caller(p),
    };
  },
  'env.open': (p) => {
    const showSecrets = optionalBoolean(p, 'showSecrets');
    const format = oneOf(p, 'format', ['json', 'wire'] as const);
    const traces = optionalBoolean(p, 'traces');
    return {
      env: requiredString(p, 'env'),
      ...(showSecrets !== undefined ? { showSecrets } : {}),
      ...(format !== undefined ? { format } : {}),
      ...(traces !== undefined ? { traces } : {}),
      ...caller(p),
    };
  },
  'env.run': (p) => {
    const interactive = optionalBoolean(p, 'interactive');
    return { env: requiredString(p, 'env'), ...(interactive !== undefined ? { interactive } : {}), ...caller(p) };
  },
  'env.check': (p) => {
    const source = optionalText(p, 'source');
    const path = optionalString(p, 'path');
    if (source !== undefined && path !== undefined) throw new FieldError('params.source and params.path cannot both be given');
    const values = optionalBoolean(p, 'values');
    const showSecrets = optionalBoolean(p, 'showSecrets');
    const traces = optionalBoolean(p, 'traces');
    return {
      env: requiredString(p, 'env'),
      ...(source !== undefined ? { source } : {}),
      ...(path !== undefined ? { path } : {}),
      ...(values !== undefined ? { values } : {}),
      ...(showSecrets !== undefined ? { showSecrets } : {}),
      ...(traces !== undefined ? { traces } : {}),
    };
  },
  'oidc.token': (p) => {
    const audience = optionalString(p, 'audience');
    const attributes = p.subjectAttributes;
    if (attributes !== undefined && (!Array.isArray(attributes) || attributes.length > 8 || !attributes.every((a) => typeof a === 'string' && isSubjectAttribute(a)))) {
      throw new FieldError(`params.subjectAttributes must be a list of ${Object.keys(SUBJECT_ATTRIBUTES).join(', ')}`);
    }
    const lifetime = p.lifetimeSeconds;
    if (lifetime !== undefined && (typeof lifetime !== 'number' || !Number.isInteger(lifetime) || lifetime < 1)) {
      throw new FieldError('params.lifetimeSeconds must be a whole number of seconds');
    }
    return {
      env: requiredString(p, 'env'),
      ...(audience !== undefined ? { audience } : {}),
      ...(attributes !== undefined ? { subjectAttributes: attributes as string[] } : {}),
      ...(lifetime !== undefined ? { lifetimeSeconds: lifetime } : {}),
    };
  },
  'env.rotate': (p) => {
    const paths = p.paths;
    if (paths !== undefined && (!Array.isArray(paths) || paths.length > 100 || !paths.every((x) => typeof x === 'string' && x.length > 0 && x.length <= MAX_NAME_LENGTH && !x.includes('\0')))) {
      throw new FieldError('params.paths must be a list of property paths');
    }
    const showSecrets = optionalBoolean(p, 'showSecrets');
    return { env: requiredString(p, 'env'), ...(paths !== undefined ? { paths: paths as string[] } : {}), ...(showSecrets !== undefined ? { showSecrets } : {}) };
  },
  status: () => ({}),
  'endpoint.grant': (p) => {
    const ttl = p.ttlSeconds;
    if (ttl !== undefined && (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 60 || ttl > MAX_GRANT_TTL_SECONDS)) {
      throw new FieldError(`params.ttlSeconds must be a whole number of seconds from 60 to ${MAX_GRANT_TTL_SECONDS}`);
    }
    return { env: requiredString(p, 'env'), ...(ttl !== undefined ? { ttlSeconds: ttl } : {}) };
  },
  'tokenfile.keep': (p) => {
    const kind = p.kind;
    if (kind !== 'kube' && kind !== 'oidc') throw new FieldError('params.kind must be kube or oidc');
    const env = requiredString(p, 'env');
    const audience = optionalString(p, 'audience');
    if (kind === 'oidc') {
      const path = requiredString(p, 'path');
      if (!path.startsWith('/')) throw new FieldError('params.path must be an absolute path');
      const lifetime = p.lifetimeSeconds;
      if (lifetime !== undefined && (typeof lifetime !== 'number' || !Number.isInteger(lifetime) || lifetime < 300 || lifetime > 3600)) {
        throw new FieldError('params.lifetimeSeconds must be a whole number of seconds from 300 to 3600');
      }
      if (audience === undefined) throw new FieldError('params.audience must be a non-empty string');
      return { kind, env, audience, path, ...(lifetime !== undefined ? { lifetimeSeconds: lifetime } : {}) };
    }
    const region = optionalString(p, 'region');
    const oidc = optionalBoolean(p, 'oidc');
    return {
      kind,
      env,
      cluster: requiredString(p, 'cluster'),
      ...(region !== undefined ? { region } : {}),
      ...(oidc !== undefined ? { oidc } : {}),
      ...(audience !== undefined ? { audience } : {}),
    };
  },
  'tokenfile.drop': (p) => {
    const path = requiredString(p, 'path');
    if (!path.startsWith('/')) throw new FieldError('params.path must be an absolute path');
    return { path };
  },
  'endpoint.revoke': (p) => {
    const id = optionalString(p, 'id');
    const token = optionalString(p, 'token');
    const env = optionalString(p, 'env');
    const all = optionalBoolean(p, 'all');
    const given = [id, token, env, all || undefined].filter((v) => v !== undefined).length;
    if (given !== 1) throw new FieldError('give exactly one of params.id, params.token, params.env, params.all');
    return id !== undefined ? { id } : token !== undefined ? { token } : env !== undefined ? { env } : { all: true };
  },
  flush: (p) => {
    const env = optionalString(p, 'env');
    return env === undefined ? {} : { env };
  },
  'cloud.env': (p) => cloudOperation(p),
  shutdown: () => ({}),
  ping: () => ({}),
};

function cloudOperation(p: Fields): CloudOperation {
  const op = p.op;
  if (op === 'list') return { op, org: requiredString(p, 'org') };
  const env = requiredString(p, 'env');
  switch (op) {
    case 'read': {
      const decrypt = optionalBoolean(p, 'decrypt');
      return { op, env, ...(decrypt !== undefined ? { decrypt } : {}) };
    }
    case 'write': {
      const source = optionalText(p, 'source');
      const path = optionalString(p, 'path');
      const etag = optionalString(p, 'etag');
      const create = optionalBoolean(p, 'create');
      if ((source === undefined) === (path === undefined)) throw new FieldError('give exactly one of params.source, params.path');
      if (path !== undefined && !path.startsWith('/')) throw new FieldError('params.path must be an absolute path');
      if (create && etag !== undefined) throw new FieldError('params.create and params.etag cannot both be given');
      return {
        op,
        env,
        ...(source !== undefined ? { source } : {}),
        ...(path !== undefined ? { path } : {}),
        ...(etag !== undefined ? { etag } : {}),
        ...(create !== undefined ? { create } : {}),
      };
    }
    case 'clone': {
      const flags = (['history', 'access', 'environmentTags', 'revisionTags'] as const).flatMap((f) => (optionalBoolean(p, f) ? [[f, true] as const] : []));
      return { op, env, project: requiredString(p, 'project'), name: requiredString(p, 'name'), ...Object.fromEntries(flags) };
    }
    case 'create':
    case 'revisions':
    case 'revision-tags':
    case 'tags':
      return { op, env };
    case 'revision-tag':
    case 'untag-revision':
      return { op, env, tag: requiredString(p, 'tag') };
    case 'tag-revision': {
      const revision = p.revision;
      if (typeof revision !== 'number' || !Number.isInteger(revision) || revision < 1) throw new FieldError('params.revision must be a revision number (1 or more)');
      return { op, env, tag: requiredString(p, 'tag'), revision };
    }
    case 'tag':
    case 'remove-tag':
      return { op, env, name: requiredString(p, 'name') };
    case 'set-tag': {
      const value = optionalText(p, 'value');
      if (value === undefined) throw new FieldError('params.value must be text');
      return { op, env, name: requiredString(p, 'name'), value };
    }
    case 'rename-tag':
      return { op, env, name: requiredString(p, 'name'), newName: requiredString(p, 'newName') };
    default:
      throw new FieldError(`params.op must be one of list, create, clone, read, write, revisions, revision-tags, revision-tag, tag-revision, untag-revision, tags, tag, set-tag, rename-tag, remove-tag`);
  }
}

function failure(id: string | number, code: ErrorBody['code'], message: string): Parsed {
  return { ok: false, id, error: { code, message } };
}

export function parseRequest(line: string): Parsed {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { ok: false, id: null, error: { code: 'bad_request', message: 'the request is not valid JSON' } };
  }
  if (!isRecord(raw)) return { ok: false, id: null, error: { code: 'bad_request', message: 'the request must be a JSON object' } };
  const { id } = raw;
  const validId = (typeof id === 'string' && id.length <= MAX_ID_LENGTH) || (typeof id === 'number' && Number.isFinite(id));
  if (!validId) return { ok: false, id: null, error: { code: 'bad_request', message: `id must be a string (up to ${MAX_ID_LENGTH} characters) or a number` } };
  if (!SUPPORTED_VERSIONS.includes(raw.v as ProtocolVersion)) {
    return failure(id, 'unsupported_version', `protocol version ${JSON.stringify(raw.v) ?? 'missing'} is not supported (this daemon speaks ${SUPPORTED_VERSIONS.join(' and ')})`);
  }
  const v = raw.v as ProtocolVersion;
  const method = raw.method;
  if (typeof method !== 'string') return failure(id, 'bad_request', 'method must be a string');
  if (!(METHODS as readonly string[]).includes(method)) return failure(id, 'unknown_method', `unknown method '${method.slice(0, 64)}'`);
  if (METHOD_SINCE[method as Method] > v) return failure(id, 'unsupported_version', `method '${method}' needs protocol version ${METHOD_SINCE[method as Method]} (the request says ${v})`);
  const params = raw.params ?? {};
  if (!isRecord(params)) return failure(id, 'bad_request', 'params must be a JSON object');
  try {
    const typed = paramParsers[method as Method](params);
    return { ok: true, request: { v, id, method: method as Method, params: typed } };
  } catch (err) {
    if (err instanceof FieldError) return failure(id, 'bad_request', err.message);
    throw err;
  }
}
