// A small stand-in for Pulumi Cloud's ESC API on 127.0.0.1, for tests only: there is no network here.
// It implements just the endpoints @pulumi/esc-sdk calls for escd's cloud features, with the documented
// request and response shapes; test/cloud/contract.test.ts drives it with the SDK itself so it cannot
// drift from what the real client expects.
//
// Evaluation inside it reuses escd's evaluator (its semantics are not what the fake is for) with an
// `aws-login` that returns fixed credentials, as the service's would be opaque to a client anyway.
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isMap, isPair, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import { evaluateEnvironment } from '../../src/esc/evaluate.js';
import { escValue, isArray, isObject, type EscValue } from '../../src/esc/value.js';
import type { Provider } from '../../src/esc/provider.js';
import type { Cipher } from '../../src/secrets/cipher.js';
import { decryptSecretsInText, encryptSecretsInText } from '../../src/store/secret-rewrite.js';

export interface FakeCloud {
  /** `http://127.0.0.1:<port>`: the backend URL a client is given. */
  readonly url: string;
  readonly token: string;
  /** Opens served per `org/project/env`. */
  opens(ref: string): number;
  /** Every request, oldest first (method and path, no headers). */
  readonly requests: readonly { readonly method: string; readonly path: string }[];
  /** While down, every request gets its connection destroyed (an outage, not an HTTP error). */
  setDown(down: boolean): void;
  /** Stores `yaml` as a new revision of `org/project/env` (creating it). */
  put(ref: string, yaml: string): void;
  /** Revisions stored for `org/project/env`. */
  revisionCount(ref: string): number;
  /** The latest stored text (secrets sealed, as the service keeps them). */
  stored(ref: string): string | undefined;
  stop(): Promise<void>;
}

/** The fake's own sealing: reversible and obviously not plaintext, which is all a test needs at rest. */
const fakeAtRest: Cipher = {
  encrypt: async (p) => Uint8Array.from(p, (b) => b ^ 0x5a),
  decrypt: async (c) => Uint8Array.from(c, (b) => b ^ 0x5a),
};

/** The credentials the fake's aws-login returns (moto accepts any key for GetCallerIdentity). */
export const FAKE_AWS_LOGIN = {
  accessKeyId: 'ASIAFAKECLOUD0000001',
  secretAccessKey: 'fake-cloud-secret-access-key-000000000000',
  sessionToken: 'fake-cloud-session-token',
} as const;

const awsLogin: Provider = {
  inputSchema: true,
  outputSchema: true,
  open: async () =>
    escValue(
      new Map([
        ['accessKeyId', escValue(FAKE_AWS_LOGIN.accessKeyId)],
        ['secretAccessKey', escValue(FAKE_AWS_LOGIN.secretAccessKey, { secret: true })],
        ['sessionToken', escValue(FAKE_AWS_LOGIN.sessionToken, { secret: true })],
      ]),
    ),
};

interface Revision {
  readonly yaml: string;
  readonly created: string;
}

interface Stamped {
  readonly created: string;
  modified: string;
}

interface Environment {
  readonly revisions: Revision[];
  readonly created: string;
  /** Revision tags other than `latest` (which is always the newest revision). */
  readonly revisionTags: Map<string, Stamped & { revision: number }>;
  readonly tags: Map<string, Stamped & { value: string }>;
}

/** Who the fake says made every change (the token's user, on the real service). */
export const FAKE_USER = { login: 'fake-user', name: 'Fake User' } as const;
const LATEST = 'latest';

interface OpenSession {
  readonly properties: Record<string, unknown>;
  readonly exprs: Record<string, unknown>;
}

export async function startFakeCloud(options: { token?: string } = {}): Promise<FakeCloud> {
  const token = options.token ?? `pul-${randomUUID().replaceAll('-', '')}`;
  const environments = new Map<string, Environment>();
  const sessions = new Map<string, OpenSession>();
  const opens = new Map<string, number>();
  const requests: { method: string; path: string }[] = [];
  let down = false;

  // A fixed clock: every change happens at the same instant, which is all a listing needs.
  const now = (): string => new Date(Date.UTC(2026, 0, 2, 3, 4, 5)).toISOString();
  const newEnvironment = (): Environment => ({ revisions: [], created: now(), revisionTags: new Map(), tags: new Map() });

  const put = (ref: string, yaml: string): void => {
    const env = environments.get(ref) ?? newEnvironment();
    env.revisions.push({ yaml, created: now() });
    environments.set(ref, env);
  };

  /** The revision number a version names: a number, `latest`, or a revision tag (as the service reads it). */
  const numberOf = (env: Environment, version: string | undefined): number | undefined => {
    if (version === undefined || version === LATEST) return env.revisions.length;
    if (/^[0-9]/.test(version)) {
      const n = Number(version);
      return Number.isInteger(n) && n >= 1 && n <= env.revisions.length ? n : undefined;
    }
    return env.revisionTags.get(version)?.revision;
  };
  const revisionOf = (env: Environment, version: string | undefined): string | undefined => {
    const n = numberOf(env, version);
    return n === undefined ? undefined : env.revisions[n - 1]?.yaml;
  };
  /** A definition as the service shows it: secrets sealed (a test's put() may hold them in clear). */
  const sealed = (text: string): Promise<string> => encryptSecretsInText(text, fakeAtRest);
  /** An opaque ETag that changes with every revision. */
  const etagOf = (ref: string, env: Environment): string => `"${createHash('sha256').update(`${ref}\n${env.revisions.length}`).digest('hex').slice(0, 16)}"`;
  const revisionHeaders = (ref: string, env: Environment, n: number): Record<string, string> => ({ ETag: etagOf(ref, env), 'Pulumi-ESC-Revision': String(n) });
  const revisionTagBody = (name: string, tag: Stamped & { revision: number }) => ({ name, revision: tag.revision, created: tag.created, modified: tag.modified, editorLogin: FAKE_USER.login, editorName: FAKE_USER.name });
  const tagBody = (name: string, tag: Stamped & { value: string }) => ({ name, value: tag.value, created: tag.created, modified: tag.modified, editorLogin: FAKE_USER.login, editorName: FAKE_USER.name });

  const open = async (org: string, project: string, name: string, text: string): Promise<{ id: string } | { diagnostics: unknown[] }> => {
    const plain = await decryptSecretsInText(text, fakeAtRest);
    const result = await evaluateEnvironment(`${project}/${name}`, plain, {
      loader: async (imported) => {
        const [p, n] = imported.includes('/') ? imported.split('/', 2) : ['default', imported];
        const found = environments.get(`${org}/${p}/${n}`)?.revisions.at(-1);
        if (found === undefined) throw new Error('not found');
        return { name: imported, source: await decryptSecretsInText(found.yaml, fakeAtRest) };
      },
      providers: new Map([['aws-login', awsLogin]]),
      cipher: fakeAtRest,
      context: {},
      mode: 'eval',
    });
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length > 0) return { diagnostics: errors.map((d) => ({ summary: d.summary, ...(d.path ? { path: d.path } : {}) })) };
    const id = randomUUID();
    const properties: Record<string, unknown> = {};
    if (result.values && isObject(result.values.data)) for (const [k, v] of result.values.data) properties[k] = toApiValue(v);
    sessions.set(id, { properties, exprs: exprsOf(plain) });
    return { id };
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => send(res, 500, { code: 500, message: (err as Error).message }));
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://fake');
    requests.push({ method: req.method ?? '', path: url.pathname });
    if (down) {
      req.socket.destroy();
      return;
    }
    res.setHeader('X-Pulumi-Request-Id', randomUUID());
    if (req.headers.authorization !== `token ${token}`) return send(res, 401, { code: 401, message: 'Unauthorized: No credentials provided or are invalid.' });
    const body = await readBody(req);
    const parts = url.pathname.replace(/^\/api\/esc\/environments\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
    const [org, project, name, ...rest] = parts;
    if (org === undefined || !url.pathname.startsWith('/api/esc/environments')) return send(res, 404, { code: 404, message: 'Not Found' });

    if (project === undefined) {
      if (req.method === 'GET') {
        const list = [...environments.entries()]
          .filter(([ref]) => ref.startsWith(`${org}/`))
          .map(([ref, env]) => {
            const [, p, n] = ref.split('/');
            return { organization: org, project: p, name: n, created: env.created, modified: env.created };
          });
        return send(res, 200, { environments: list });
      }
      if (req.method === 'POST') {
        const { project: p, name: n } = JSON.parse(body) as { project?: string; name?: string };
        if (!p || !n) return send(res, 400, { code: 400, message: 'project and name are required' });
        if (environments.has(`${org}/${p}/${n}`)) return send(res, 409, { code: 409, message: 'Conflict: environment already exists' });
        const created = newEnvironment();
        created.revisions.push({ yaml: '', created: now() });
        environments.set(`${org}/${p}/${n}`, created);
        return send(res, 200, {});
      }
    }
    if (project === undefined || name === undefined) return send(res, 404, { code: 404, message: 'Not Found' });
    const ref = `${org}/${project}/${name}`;
    const env = environments.get(ref);
    if (!env) return send(res, 404, { code: 404, message: `Environment '${ref}' not found` });

    const [verb, arg, third] = rest;
    if (verb === undefined) {
      if (req.method === 'GET') return sendYaml(res, await sealed(env.revisions.at(-1)?.yaml ?? ''), revisionHeaders(ref, env, env.revisions.length));
      if (req.method === 'PATCH') {
        // The esc CLI sends the ETag of its read back in an `ETag` header; a stale one is a 409.
        const expected = req.headers.etag;
        if (typeof expected === 'string' && expected !== etagOf(ref, env)) return send(res, 409, { code: 409, message: 'Conflict: the environment has been modified' });
        let sealed: string;
        try {
          parseDocument(body);
          sealed = await encryptSecretsInText(body, fakeAtRest);
        } catch (err) {
          return send(res, 400, { code: 400, message: (err as Error).message });
        }
        const errors = await check(org, sealed);
        if (errors.length > 0) return send(res, 400, { code: 400, message: 'Bad Request', diagnostics: errors });
        env.revisions.push({ yaml: sealed, created: now() });
        res.setHeader('Pulumi-ESC-Revision', String(env.revisions.length));
        return send(res, 200, {});
      }
      if (req.method === 'DELETE') {
        environments.delete(ref);
        return send(res, 200, {});
      }
    }
    if (verb === 'decrypt' && req.method === 'GET') return sendYaml(res, await decryptSecretsInText(env.revisions.at(-1)?.yaml ?? '', fakeAtRest), revisionHeaders(ref, env, env.revisions.length));
    if (verb === 'versions' && arg === undefined && req.method === 'GET') {
      // Newest first, from `before - 1` down, `count` at most.
      const before = Number(url.searchParams.get('before') ?? env.revisions.length + 1);
      const count = Number(url.searchParams.get('count') ?? 20);
      const tagsOn = (n: number): string[] => [...env.revisionTags].filter(([, t]) => t.revision === n).map(([name]) => name).sort();
      const list = [];
      for (let n = Math.min(before - 1, env.revisions.length); n >= 1 && list.length < count; n--) {
        list.push({ number: n, created: env.revisions[n - 1]!.created, creatorLogin: FAKE_USER.login, creatorName: FAKE_USER.name, tags: tagsOn(n) });
      }
      return send(res, 200, list);
    }
    if (verb === 'versions' && arg === 'tags') return revisionTags(req, res, url, env, third, body);
    if (verb === 'clone' && req.method === 'POST') {
      const copy = parseJson(body) as { project?: unknown; name?: unknown; preserveHistory?: unknown; preserveEnvironmentTags?: unknown; preserveRevisionTags?: unknown };
      if (typeof copy.project !== 'string' || copy.project === '' || typeof copy.name !== 'string' || copy.name === '') return send(res, 400, { code: 400, message: 'project and name are required' });
      const to = `${org}/${copy.project}/${copy.name}`;
      if (environments.has(to)) return send(res, 409, { code: 409, message: 'Conflict: environment already exists' });
      const history = copy.preserveHistory === true;
      const cloned = newEnvironment();
      cloned.revisions.push(...(history ? env.revisions : env.revisions.slice(-1)));
      if (history && copy.preserveRevisionTags === true) for (const [n, t] of env.revisionTags) cloned.revisionTags.set(n, { ...t });
      if (copy.preserveEnvironmentTags === true) for (const [n, t] of env.tags) cloned.tags.set(n, { ...t });
      environments.set(to, cloned);
      return void res.writeHead(204).end();
    }
    if (verb === 'tags') return environmentTags(req, res, env, arg, body);
    const version = verb === 'versions' ? arg : undefined;
    const action = verb === 'versions' ? third : verb;
    if (verb === 'versions' && action === undefined && req.method === 'GET') {
      const n = numberOf(env, version);
      const text = revisionOf(env, version);
      return n === undefined || text === undefined ? send(res, 404, { code: 404, message: 'revision not found' }) : sendYaml(res, await sealed(text), revisionHeaders(ref, env, n));
    }
    if (action === 'open' && req.method === 'POST') {
      const text = revisionOf(env, version);
      if (text === undefined) return send(res, 404, { code: 404, message: 'revision not found' });
      opens.set(ref, (opens.get(ref) ?? 0) + 1);
      const opened = await open(org, project, name, text);
      return 'id' in opened ? send(res, 200, { id: opened.id }) : send(res, 400, { diagnostics: opened.diagnostics });
    }
    if (verb === 'open' && arg !== undefined && req.method === 'GET') {
      const session = sessions.get(arg);
      if (!session) return send(res, 404, { code: 404, message: 'open session not found' });
      return send(res, 200, { exprs: session.exprs, properties: session.properties, schema: {} });
    }
    send(res, 404, { code: 404, message: 'Not Found' });
  };

  /** Evaluation errors of a definition the service is asked to store (check mode: no provider is called). */
  const check = async (org: string, sealed: string): Promise<{ summary: string; path?: string }[]> => {
    const result = await evaluateEnvironment('check', sealed, {
      loader: async (imported) => {
        const [p, n] = imported.includes('/') ? imported.split('/', 2) : ['default', imported];
        const found = environments.get(`${org}/${p}/${n}`)?.revisions.at(-1);
        if (found === undefined) throw new Error('not found');
        return { name: imported, source: found.yaml };
      },
      providers: new Map([['aws-login', awsLogin]]),
      cipher: fakeAtRest,
      context: {},
      mode: 'check',
    });
    return result.diagnostics.filter((d) => d.severity === 'error').map((d) => ({ summary: d.summary, ...(d.path ? { path: d.path } : {}) }));
  };

  /** /versions/tags[/{name}]: revision tags, `latest` included in listings and never changed by hand. */
  const revisionTags = (req: IncomingMessage, res: ServerResponse, url: URL, env: Environment, name: string | undefined, body: string): void => {
    const stamped = (revision: number) => ({ revision, created: now(), modified: now() });
    const valid = (revision: unknown): revision is number => typeof revision === 'number' && Number.isInteger(revision) && revision >= 1 && revision <= env.revisions.length;
    if (name === undefined) {
      if (req.method === 'GET') {
        const all = [[LATEST, { revision: env.revisions.length, created: env.created, modified: now() }] as const, ...[...env.revisionTags].sort(([a], [b]) => (a < b ? -1 : 1))];
        const after = url.searchParams.get('after');
        const from = after ? all.findIndex(([n]) => n === after) + 1 : 0;
        return send(res, 200, { tags: all.slice(from).map(([n, t]) => revisionTagBody(n, t)), nextToken: '' });
      }
      if (req.method === 'POST') {
        const { name: n, revision } = parseJson(body) as { name?: unknown; revision?: unknown };
        if (typeof n !== 'string' || n === '' || /^[0-9]/.test(n) || n === LATEST) return send(res, 400, { code: 400, message: 'invalid tag name' });
        if (!valid(revision)) return send(res, 400, { code: 400, message: 'invalid revision' });
        if (env.revisionTags.has(n)) return send(res, 409, { code: 409, message: `tag ${n} already exists` });
        env.revisionTags.set(n, stamped(revision));
        return void res.writeHead(204).end();
      }
    } else {
      const tag = name === LATEST ? { revision: env.revisions.length, created: env.created, modified: now() } : env.revisionTags.get(name);
      if (req.method === 'GET') return tag ? send(res, 200, revisionTagBody(name, tag)) : send(res, 404, { code: 404, message: `revision tag ${name} not found` });
      if (name === LATEST && req.method !== 'GET') return send(res, 400, { code: 400, message: 'the latest tag cannot be changed' });
      if (!tag) return send(res, 404, { code: 404, message: `revision tag ${name} not found` });
      if (req.method === 'PATCH') {
        const { revision } = parseJson(body) as { revision?: unknown };
        if (!valid(revision)) return send(res, 400, { code: 400, message: 'invalid revision' });
        env.revisionTags.set(name, { ...tag, revision, modified: now() });
        return void res.writeHead(204).end();
      }
      if (req.method === 'DELETE') {
        env.revisionTags.delete(name);
        return void res.writeHead(204).end();
      }
    }
    send(res, 405, { code: 405, message: 'Method Not Allowed' });
  };

  /** /tags[/{name}]: environment tags; an update names the current value (optimistic concurrency). */
  const environmentTags = (req: IncomingMessage, res: ServerResponse, env: Environment, name: string | undefined, body: string): void => {
    if (name === undefined) {
      if (req.method === 'GET') return send(res, 200, { tags: Object.fromEntries([...env.tags].map(([n, t]) => [n, tagBody(n, t)])), nextToken: '' });
      if (req.method === 'POST') {
        const { name: n, value } = parseJson(body) as { name?: unknown; value?: unknown };
        if (typeof n !== 'string' || n === '' || typeof value !== 'string') return send(res, 400, { code: 400, message: 'name and value are required' });
        if (env.tags.has(n)) return send(res, 409, { code: 409, message: `tag ${n} already exists` });
        const tag = { value, created: now(), modified: now() };
        env.tags.set(n, tag);
        return send(res, 200, tagBody(n, tag));
      }
    } else {
      const tag = env.tags.get(name);
      if (!tag) return send(res, 404, { code: 404, message: `tag ${name} not found` });
      if (req.method === 'GET') return send(res, 200, tagBody(name, tag));
      if (req.method === 'PATCH') {
        const { currentTag, newTag } = parseJson(body) as { currentTag?: { value?: unknown }; newTag?: { name?: unknown; value?: unknown } };
        if (currentTag?.value !== tag.value) return send(res, 409, { code: 409, message: 'the tag has been modified' });
        const newName = typeof newTag?.name === 'string' && newTag.name !== '' ? newTag.name : name;
        if (newName !== name && env.tags.has(newName)) return send(res, 409, { code: 409, message: `tag ${newName} already exists` });
        const updated = { ...tag, value: typeof newTag?.value === 'string' && newTag.value !== '' ? newTag.value : tag.value, modified: now() };
        env.tags.delete(name);
        env.tags.set(newName, updated);
        return send(res, 200, tagBody(newName, updated));
      }
      if (req.method === 'DELETE') {
        env.tags.delete(name);
        return void res.writeHead(204).end();
      }
    }
    send(res, 405, { code: 405, message: 'Method Not Allowed' });
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    opens: (ref) => opens.get(ref) ?? 0,
    requests,
    setDown: (value) => {
      down = value;
    },
    put: (ref, yaml) => put(ref, yaml),
    revisionCount: (ref) => environments.get(ref)?.revisions.length ?? 0,
    stored: (ref) => environments.get(ref)?.revisions.at(-1)?.yaml,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function sendYaml(res: ServerResponse, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'Content-Type': 'application/x-yaml', ...headers });
  res.end(text);
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return {};
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** escd's value as the API's `Value` (`{value, secret?, unknown?, trace}`), nested. */
function toApiValue(v: EscValue): unknown {
  const flags = { ...(v.secret ? { secret: true } : {}), ...(v.unknown ? { unknown: true } : {}), trace: {} };
  const { data } = v;
  if (isArray(data)) return { value: data.map(toApiValue), ...flags };
  if (isObject(data)) return { value: Object.fromEntries([...data].map(([k, item]) => [k, toApiValue(item)])), ...flags };
  if (data === null || typeof data === 'boolean' || typeof data === 'string') return { value: data, ...flags };
  return { value: Number(data.text), ...flags };
}

/** The definition's `values` as the API's `Expr` tree: literals, objects, lists and builtin calls. */
function exprsOf(text: string): Record<string, unknown> {
  const doc = parseDocument(text);
  const values = doc.get('values', true);
  const out: Record<string, unknown> = {};
  if (isMap(values)) for (const pair of values.items) if (isPair(pair) && isScalar(pair.key)) out[String(pair.key.value)] = toExpr(pair.value as YamlNode);
  return out;
}

function toExpr(node: YamlNode | null): unknown {
  if (isScalar(node)) return { literal: node.value };
  if (isSeq(node)) return { list: node.items.map((item) => toExpr(item as YamlNode)) };
  if (isMap(node)) {
    const first = node.items[0];
    const key = first && isScalar(first.key) ? String(first.key.value) : undefined;
    if (node.items.length === 1 && key?.startsWith('fn::')) return { builtin: { name: key, arg: toExpr(first!.value as YamlNode) } };
    const object: Record<string, unknown> = {};
    for (const pair of node.items) if (isScalar(pair.key)) object[String(pair.key.value)] = toExpr(pair.value as YamlNode);
    return { object };
  }
  return { literal: null };
}

