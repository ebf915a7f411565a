// Adding or updating escd's exec-plugin user (and optionally a cluster and a context) in a kubeconfig,
// through the yaml Document API so comments, order and every other entry stay as they were.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, stringify, type Document, type YAMLMap, type YAMLSeq } from 'yaml';
import { EscdError } from '../core/errors.js';

export const EXEC_API_VERSION = 'client.authentication.k8s.io/v1beta1';

export interface KubeUser {
  readonly name: string;
  /** Absolute path of node. */
  readonly command: string;
  /** [shim path, 'kube', env, '--cluster', C, …]. */
  readonly args: readonly string[];
  /** Instead of the exec plugin: a token file the daemon keeps fresh (`--token-file`). */
  readonly tokenFile?: string;
}

export interface KubeCluster {
  readonly name: string;
  readonly server: string;
  /** PEM text of the cluster's CA, embedded as certificate-authority-data. */
  readonly caPem?: string;
}

export interface KubeContext {
  readonly name: string;
  readonly cluster: string;
  readonly user: string;
}

export interface KubeSetup {
  readonly user: KubeUser;
  readonly cluster?: KubeCluster;
  readonly context?: KubeContext;
}

export interface KubeconfigEdit {
  readonly text: string;
  readonly changed: boolean;
  /** True when the kubeconfig had no current-context and ours became it. */
  readonly currentContextSet: boolean;
}

/** The exec section kubectl runs: the shim, non-interactive, no cluster info needed. */
export function execUser(user: KubeUser): Record<string, unknown> {
  return {
    exec: {
      apiVersion: EXEC_API_VERSION,
      command: user.command,
      args: [...user.args],
      interactiveMode: 'Never',
      provideClusterInfo: false,
      installHint: 'escd-shim comes with escd: install escd, then re-run `escd setup kube`.',
    },
  };
}

/** The user's authentication: the token file when there is one, else the exec plugin. */
export function userSection(user: KubeUser): Record<string, unknown> {
  return user.tokenFile !== undefined ? { tokenFile: user.tokenFile } : execUser(user);
}

/** The entries as a kubeconfig holds them: `clusters`, `contexts` (each when set up) and `users` lists. */
export function kubeEntries(setup: KubeSetup): Record<string, unknown> {
  return {
    ...(setup.cluster ? { clusters: [clusterEntry(setup.cluster)] } : {}),
    ...(setup.context ? { contexts: [contextEntry(setup.context)] } : {}),
    users: [{ name: setup.user.name, user: userSection(setup.user) }],
  };
}

/** The entries as kubeconfig YAML lists, in block style as kubeconfigs are written (what `--print` shows). */
export function kubeSnippet(setup: KubeSetup): string {
  return stringify(kubeEntries(setup), { lineWidth: 0, indentSeq: false });
}

function clusterEntry(cluster: KubeCluster): Record<string, unknown> {
  return {
    name: cluster.name,
    cluster: {
      server: cluster.server,
      ...(cluster.caPem ? { 'certificate-authority-data': Buffer.from(cluster.caPem).toString('base64') } : {}),
    },
  };
}

function contextEntry(context: KubeContext): Record<string, unknown> {
  return { name: context.name, context: { cluster: context.cluster, user: context.user } };
}

const EMPTY_KUBECONFIG = 'apiVersion: v1\nkind: Config\npreferences: {}\nclusters: []\ncontexts: []\nusers: []\ncurrent-context: ""\n';

/** The named-entry list under `key`, created when absent or null. */
function namedList(doc: Document, key: string, file: string): YAMLSeq<YAMLMap> {
  let list = doc.get(key, true);
  if (list === undefined || isNull(list)) {
    doc.set(key, doc.createNode([]));
    list = doc.get(key, true);
  }
  if (!isSeq(list)) throw new EscdError('bad_request', `${file}: '${key}' must be a list`);
  // `users: []` would otherwise keep its flow style and put our entry on one long line.
  if (list.items.length === 0) list.flow = false;
  for (const item of list.items) if (!isMap(item)) throw new EscdError('bad_request', `${file}: every entry of '${key}' must be a mapping with a name`);
  return list as YAMLSeq<YAMLMap>;
}

const isNull = (node: unknown): boolean => isScalar(node) && node.value === null;

/** Finds the entry named `name` in `key`, or appends a new one; returns it. */
function entry(doc: Document, key: string, name: string, file: string): YAMLMap {
  const list = namedList(doc, key, file);
  const found = list.items.find((item) => item.get('name') === name);
  if (found) return found;
  const created = doc.createNode({ name }) as YAMLMap;
  list.items.push(created);
  return created;
}

/** The mapping under `entry[key]`, created when absent. */
function child(doc: Document, parent: YAMLMap, key: string, file: string): YAMLMap {
  const node = parent.get(key, true);
  if (isMap(node)) return node;
  if (node !== undefined && !isNull(node)) throw new EscdError('bad_request', `${file}: '${key}' of '${String(parent.get('name'))}' must be a mapping`);
  const created = doc.createNode({}) as YAMLMap;
  parent.set(key, created);
  return created;
}

/** Sets `key` only when its value differs, so an unchanged value keeps its formatting (kubectl folds long lines). */
function setIfDifferent(doc: Document, map: YAMLMap, key: string, value: unknown): void {
  const node = map.get(key, true) as { toJSON?: () => unknown } | undefined;
  const current: unknown = node && typeof node.toJSON === 'function' ? node.toJSON() : node;
  if (JSON.stringify(current) === JSON.stringify(value)) return;
  map.set(key, doc.createNode(value));
}

export function hasNamedEntry(text: string, key: 'clusters' | 'contexts' | 'users', name: string): boolean {
  const list = parseDocument(text).get(key);
  return isSeq(list) && list.items.some((item) => isMap(item) && item.get('name') === name);
}

/**
 * Applies `setup` to the kubeconfig `text` (empty = a new file). The user keeps only its exec section
 * (escd is its authentication; extra exec fields like env stay); a cluster keeps fields we do not set
 * (proxy-url, tls-server-name…) but loses a CA file or insecure flag that would conflict; a context keeps
 * its namespace. Values already right are not rewritten, so a second run changes nothing.
 */
export function upsertKubeconfig(text: string, setup: KubeSetup, file = 'kubeconfig'): KubeconfigEdit {
  const source = text.trim().length === 0 ? EMPTY_KUBECONFIG : text;
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0].line ?? lineCounter.linePos(e.pos[0]).line;
    throw new EscdError('bad_request', `${file}${line ? `:${line}` : ''}: not valid YAML: ${e.message.split('\n')[0]}`);
  }
  if (!isMap(doc.contents)) throw new EscdError('bad_request', `${file}: not a kubeconfig (expected a mapping at the top)`);
  const before = JSON.stringify(doc.toJS());

  if (setup.cluster) {
    const cluster = child(doc, entry(doc, 'clusters', setup.cluster.name, file), 'cluster', file);
    setIfDifferent(doc, cluster, 'server', setup.cluster.server);
    if (setup.cluster.caPem) {
      setIfDifferent(doc, cluster, 'certificate-authority-data', Buffer.from(setup.cluster.caPem).toString('base64'));
      cluster.delete('certificate-authority');
      cluster.delete('insecure-skip-tls-verify');
    }
  }
  const user = child(doc, entry(doc, 'users', setup.user.name, file), 'user', file);
  // escd is this user's authentication: any other method (token, client certificate…) would compete.
  const method = setup.user.tokenFile !== undefined ? 'tokenFile' : 'exec';
  for (const pair of [...user.items]) {
    const key = String((pair.key as { value?: unknown } | null)?.value ?? pair.key);
    if (key !== method) user.delete(key);
  }
  if (setup.user.tokenFile !== undefined) setIfDifferent(doc, user, 'tokenFile', setup.user.tokenFile);
  else {
    const exec = child(doc, user, 'exec', file);
    for (const [key, value] of Object.entries(execUser(setup.user).exec as Record<string, unknown>)) setIfDifferent(doc, exec, key, value);
  }
  let currentContextSet = false;
  if (setup.context) {
    const context = child(doc, entry(doc, 'contexts', setup.context.name, file), 'context', file);
    setIfDifferent(doc, context, 'cluster', setup.context.cluster);
    setIfDifferent(doc, context, 'user', setup.context.user);
    const current = doc.get('current-context');
    if (current === undefined || current === null || current === '') {
      doc.set('current-context', setup.context.name);
      currentContextSet = true;
    }
  }
  // kubectl writes lists flush with their key; keep whichever style the file uses.
  const indentSeq = !/^[\w-]+:[ \t]*\r?\n- /m.test(source);
  // Same content: keep the file as it is (yaml would re-flow strings kubectl folded).
  if (text.trim().length > 0 && JSON.stringify(doc.toJS()) === before) return { text, changed: false, currentContextSet: false };
  return { text: doc.toString({ lineWidth: 0, indentSeq }), changed: true, currentContextSet };
}

export interface KubeconfigRemoval extends KubeconfigEdit {
  /** What went, e.g. `user 'escd-proj-dev@prod'`, `context 'prod'`. */
  readonly removed: string[];
}

/**
 * Undoes `escd setup kube`: removes the user, every context that uses it, and a cluster that one of
 * those contexts used and no other context does. Refuses a user whose exec plugin is not escd's
 * (`isEscd` decides), so a hand-made user of the same name is never removed.
 */
export function removeKubeUser(
  text: string,
  userName: string,
  clusterName: string,
  isEscd: (command: string, args: readonly string[]) => boolean,
  file = 'kubeconfig',
): KubeconfigRemoval {
  const unchanged = { text, changed: false, currentContextSet: false, removed: [] };
  if (text.trim().length === 0) return unchanged;
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) throw new EscdError('bad_request', `${file}: not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  const list = (key: string): YAMLSeq<YAMLMap> | undefined => {
    const node = doc.get(key, true);
    return isSeq(node) ? (node as YAMLSeq<YAMLMap>) : undefined;
  };
  const users = list('users');
  const index = users?.items.findIndex((item) => isMap(item) && item.get('name') === userName) ?? -1;
  if (!users || index < 0) return unchanged;
  const exec = (users.items[index]!.toJSON() as { user?: { exec?: { command?: unknown; args?: unknown } } }).user?.exec;
  const args = Array.isArray(exec?.args) ? exec.args.filter((a): a is string => typeof a === 'string') : [];
  if (typeof exec?.command !== 'string' || !isEscd(exec.command, args)) {
    throw new EscdError('bad_request', `user '${userName}' in ${file} does not run escd's shim; left as it is`);
  }
  users.items.splice(index, 1);
  const removed = [`user '${userName}'`];
  const contexts = list('contexts');
  const usedClusters = new Set<string>();
  if (contexts) {
    for (let i = contexts.items.length - 1; i >= 0; i--) {
      const item = contexts.items[i]!;
      const context = isMap(item) ? (item.toJSON() as { name?: unknown; context?: { user?: unknown; cluster?: unknown } }) : {};
      if (context.context?.user !== userName) continue;
      contexts.items.splice(i, 1);
      removed.push(`context '${String(context.name)}'`);
      if (typeof context.context.cluster === 'string') usedClusters.add(context.context.cluster);
      if (doc.get('current-context') === context.name) doc.set('current-context', '');
    }
  }
  const stillUsed = (cluster: string): boolean =>
    contexts?.items.some((item) => isMap(item) && (item.toJSON() as { context?: { cluster?: unknown } }).context?.cluster === cluster) ?? false;
  const clusters = list('clusters');
  if (clusters && usedClusters.has(clusterName) && !stillUsed(clusterName)) {
    const at = clusters.items.findIndex((item) => isMap(item) && item.get('name') === clusterName);
    if (at >= 0) {
      clusters.items.splice(at, 1);
      removed.push(`cluster '${clusterName}'`);
    }
  }
  const indentSeq = !/^[\w-]+:[ \t]*\r?\n- /m.test(text);
  return { text: doc.toString({ lineWidth: 0, indentSeq }), changed: true, currentContextSet: false, removed };
}
