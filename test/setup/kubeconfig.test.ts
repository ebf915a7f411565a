import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { EXEC_API_VERSION, kubeSnippet, upsertKubeconfig, type KubeSetup } from '../../src/setup/kubeconfig.js';

// The shape kubectl writes: lists flush with their keys, keys sorted, a folded long line.
const KUBECONFIG = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTg==
    server: https://kind.example:6443
  name: kind
# staging is managed by terraform
- cluster:
    server: https://staging.example
  name: staging
contexts:
- context:
    cluster: kind
    namespace: web
    user: kind-admin
  name: kind
current-context: kind
kind: Config
preferences: {}
users:
- name: kind-admin
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
`;

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

const setup = (over: Partial<KubeSetup> = {}): KubeSetup => ({
  user: { name: 'escd-proj-dev@prod', command: '/usr/bin/node', args: ['/opt/escd/dist/shim/main.js', 'kube', 'proj/dev', '--cluster', 'prod'] },
  cluster: { name: 'prod', server: 'https://prod.example', caPem: PEM },
  context: { name: 'prod', cluster: 'prod', user: 'escd-proj-dev@prod' },
  ...over,
});

interface Named {
  name: string;
  [k: string]: unknown;
}
const byName = (list: Named[], name: string) => list.find((e) => e.name === name);

describe('upsertKubeconfig', () => {
  it('adds user, cluster and context, keeping every other entry, comment and the current context', () => {
    const edit = upsertKubeconfig(KUBECONFIG, setup());
    expect(edit.changed).toBe(true);
    expect(edit.currentContextSet).toBe(false);
    expect(edit.text).toContain('# staging is managed by terraform');
    const before = parse(KUBECONFIG) as Record<string, Named[] | string>;
    const after = parse(edit.text) as Record<string, Named[] | string>;
    expect(after['current-context']).toBe('kind');
    for (const key of ['clusters', 'contexts', 'users'] as const) {
      for (const entry of before[key] as Named[]) expect(byName(after[key] as Named[], entry.name)).toEqual(entry);
    }
    expect(byName(after.users as Named[], 'escd-proj-dev@prod')).toEqual({
      name: 'escd-proj-dev@prod',
      user: {
        exec: {
          apiVersion: EXEC_API_VERSION,
          command: '/usr/bin/node',
          args: ['/opt/escd/dist/shim/main.js', 'kube', 'proj/dev', '--cluster', 'prod'],
          interactiveMode: 'Never',
          provideClusterInfo: false,
          installHint: expect.stringContaining('escd setup kube'),
        },
      },
    });
    expect(byName(after.clusters as Named[], 'prod')).toEqual({
      name: 'prod',
      cluster: { server: 'https://prod.example', 'certificate-authority-data': Buffer.from(PEM).toString('base64') },
    });
    expect(byName(after.contexts as Named[], 'prod')).toEqual({ name: 'prod', context: { cluster: 'prod', user: 'escd-proj-dev@prod' } });
    // kubectl's flush list style is kept.
    expect(edit.text).toMatch(/^users:\n- name: kind-admin/m);
  });

  it('changes nothing on a second run, even after kubectl reformatted the file', () => {
    const once = upsertKubeconfig(KUBECONFIG, setup()).text;
    expect(upsertKubeconfig(once, setup())).toEqual({ text: once, changed: false, currentContextSet: false });
    // kubectl sorts keys, adds env: null and folds long strings: all still "up to date".
    const js = parse(once) as { users: { name: string; user: { exec: Record<string, unknown> } }[] };
    js.users.find((u) => u.name === 'escd-proj-dev@prod')!.user.exec.env = null;
    const reformatted = stringify(js, { indentSeq: false, lineWidth: 60, sortMapEntries: true });
    expect(reformatted).toMatch(/installHint: "[^"]*\n/); // folded
    expect(reformatted).not.toBe(once);
    expect(upsertKubeconfig(reformatted, setup()).changed).toBe(false);
  });

  it('updates an existing user in place: other auth methods go, extra exec fields stay', () => {
    const text = `users:\n- name: escd-proj-dev@prod\n  user:\n    token: abc\n    exec:\n      command: /old/node\n      env:\n      - name: A\n        value: b\n`;
    const after = parse(upsertKubeconfig(text, setup({ cluster: undefined, context: undefined })).text) as { users: Named[] };
    const user = after.users[0]!.user as { token?: string; exec: Record<string, unknown> };
    expect(user.token).toBeUndefined();
    expect(user.exec.command).toBe('/usr/bin/node');
    expect(user.exec.env).toEqual([{ name: 'A', value: 'b' }]);
  });

  it('updates an existing cluster: new server and CA, drops a conflicting CA file and insecure flag, keeps the rest', () => {
    const text = `clusters:\n- name: prod\n  cluster:\n    server: https://old\n    certificate-authority: /tmp/ca.pem\n    insecure-skip-tls-verify: true\n    tls-server-name: api.prod\n`;
    const after = parse(upsertKubeconfig(text, setup({ context: undefined })).text) as { clusters: Named[] };
    expect(after.clusters[0]!.cluster).toEqual({ server: 'https://prod.example', 'tls-server-name': 'api.prod', 'certificate-authority-data': Buffer.from(PEM).toString('base64') });
  });

  it('creates a complete kubeconfig from nothing and makes the new context current', () => {
    const edit = upsertKubeconfig('', setup());
    const doc = parse(edit.text) as Record<string, unknown>;
    expect(doc).toMatchObject({ apiVersion: 'v1', kind: 'Config', 'current-context': 'prod' });
    expect(edit.currentContextSet).toBe(true);
    expect(edit.text).not.toContain('[ {'); // block style, not one flow line
  });

  it('handles null lists as kubectl writes them', () => {
    const doc = parse(upsertKubeconfig('apiVersion: v1\nclusters: null\ncontexts:\nusers: null\n', setup()).text) as Record<string, Named[]>;
    expect(doc.users!.map((u) => u.name)).toEqual(['escd-proj-dev@prod']);
    expect(doc.clusters!.map((u) => u.name)).toEqual(['prod']);
  });

  it('refuses broken files with file and line, and non-kubeconfig shapes', () => {
    expect(() => upsertKubeconfig('users:\n- name: [\n', setup(), '/home/u/.kube/config')).toThrow(/^\/home\/u\/\.kube\/config:\d+: not valid YAML/);
    expect(() => upsertKubeconfig('- a\n', setup(), 'kc')).toThrow("kc: not a kubeconfig (expected a mapping at the top)");
    expect(() => upsertKubeconfig('users: {}\n', setup(), 'kc')).toThrow("kc: 'users' must be a list");
  });
});

describe('kubeSnippet', () => {
  it('prints the entries as kubeconfig YAML, in block style', () => {
    const text = kubeSnippet(setup());
    expect(text).toMatch(/^clusters:\n- name: prod\n/);
    expect(text).not.toMatch(/[{[] /); // no flow collections
    const doc = parse(text) as Record<string, Named[]>;
    expect(doc.users![0]!.name).toBe('escd-proj-dev@prod');
    expect(doc.clusters![0]!.name).toBe('prod');
    expect(doc.contexts![0]!.name).toBe('prod');
  });
});
