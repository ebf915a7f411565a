// The fake Pulumi Cloud (test/support/fake-pulumi-cloud.ts) held to the official client: every call
// escd's cloud backend makes is made here with @pulumi/esc-sdk alone (no escd code), and the answers
// must have the shapes the SDK's models declare.
import { Configuration, EscRawApi } from '@pulumi/esc-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_USER, startFakeCloud, type FakeCloud } from '../support/fake-pulumi-cloud.js';

describe('fake Pulumi Cloud, driven by @pulumi/esc-sdk', () => {
  let cloud: FakeCloud;
  let api: EscRawApi;
  const sdk = (token: string): EscRawApi => {
    const basePath = `${cloud.url}/api/esc`;
    return new EscRawApi(new Configuration({ accessToken: token, basePath }), basePath);
  };

  beforeAll(async () => {
    cloud = await startFakeCloud();
    api = sdk(cloud.token);
  });
  afterAll(() => cloud?.stop());

  it('creates, updates, lists and reads definitions (YAML), revisions included', async () => {
    await api.createEnvironment('acme', { project: 'app', name: 'dev' });
    const first = await api.updateEnvironmentYaml('acme', 'app', 'dev', 'values:\n  greeting: hello\n  password:\n    fn::secret: hunter2\n');
    expect(first.status).toBe(200);
    expect(first.data.diagnostics ?? []).toEqual([]);
    await api.updateEnvironmentYaml('acme', 'app', 'dev', 'values:\n  greeting: hi\n  password:\n    fn::secret: hunter2\n');

    const list = await api.listEnvironments('acme');
    expect(list.data.environments?.map((e) => `${e.project}/${e.name}`)).toEqual(['app/dev']);

    const latest = await api.getEnvironment('acme', 'app', 'dev', { responseType: 'text' });
    expect(typeof latest.data).toBe('string');
    expect(String(latest.data)).toContain('greeting: hi');
    expect(String(latest.data)).not.toContain('hunter2'); // sealed at rest
    const second = await api.getEnvironmentAtVersion('acme', 'app', 'dev', '2', { responseType: 'text' });
    expect(String(second.data)).toContain('greeting: hello');
    const clear = await api.decryptEnvironment('acme', 'app', 'dev', { responseType: 'text' });
    expect(String(clear.data)).toContain('fn::secret: hunter2');
  });

  it('opens a session and reads it as the SDK models it (Value: value, secret, trace)', async () => {
    cloud.put('acme/app/aws', 'values:\n  aws:\n    login:\n      fn::open::aws-login:\n        oidc:\n          duration: 15m\n          roleArn: arn:aws:iam::123456789012:role/x\n          sessionName: s\n');
    const opened = await api.openEnvironment('acme', 'app', 'aws', '1h');
    expect(typeof opened.data.id).toBe('string');
    const read = await api.readOpenEnvironment('acme', 'app', 'aws', opened.data.id);
    const login = read.data.properties?.aws?.value.login;
    expect(login.value.accessKeyId.value).toMatch(/^ASIA/);
    expect(login.value.secretAccessKey.secret).toBe(true);
    expect(read.data.exprs?.aws?.object?.login?.builtin?.name).toBe('fn::open::aws-login');
    expect(cloud.opens('acme/app/aws')).toBe(1);
    const pinned = await api.openEnvironmentAtVersion('acme', 'app', 'dev', '2', '1h');
    const pinnedRead = await api.readOpenEnvironment('acme', 'app', 'dev', pinned.data.id);
    expect(pinnedRead.data.properties?.greeting?.value).toBe('hello');
  });

  it('reads carry an ETag and the revision; an update with a stale ETag is refused 409, one with errors 400 with diagnostics', async () => {
    const read = await api.getEnvironment('acme', 'app', 'dev', { responseType: 'text' });
    const etag = read.headers['etag'] as string;
    expect(etag).toMatch(/^".+"$/);
    expect(Number(read.headers['pulumi-esc-revision'])).toBe(3);
    const decrypted = await api.decryptEnvironment('acme', 'app', 'dev', { responseType: 'text' });
    expect(decrypted.headers['etag']).toBe(etag);
    const written = await api.updateEnvironmentYaml('acme', 'app', 'dev', 'values:\n  greeting: hey\n', { headers: { ETag: etag } });
    expect(Number(written.headers['pulumi-esc-revision'])).toBe(4);
    await expect(api.updateEnvironmentYaml('acme', 'app', 'dev', 'values:\n  greeting: late\n', { headers: { ETag: etag } })).rejects.toMatchObject({ response: { status: 409 } });
    const bad = await api.updateEnvironmentYaml('acme', 'app', 'dev', 'values:\n  x: ${nope}\n').catch((e: { response: { status: number; data: { diagnostics?: { summary: string }[] } } }) => e.response);
    expect(bad.status).toBe(400);
    expect(bad.data.diagnostics?.[0]?.summary).toMatch(/nope/);
    const atTwo = await api.getEnvironmentAtVersion('acme', 'app', 'dev', '2', { responseType: 'text' });
    expect(Number(atTwo.headers['pulumi-esc-revision'])).toBe(2);
  });

  it('lists revisions newest first (EnvironmentRevision), paged by before/count', async () => {
    const all = await api.listEnvironmentRevisions('acme', 'app', 'dev');
    expect(all.data.map((r) => r.number)).toEqual([4, 3, 2, 1]);
    expect(all.data[0]).toMatchObject({ number: 4, creatorLogin: FAKE_USER.login, creatorName: FAKE_USER.name, created: expect.any(String), tags: [] });
    const page = await api.listEnvironmentRevisions('acme', 'app', 'dev', 3, 1);
    expect(page.data.map((r) => r.number)).toEqual([2]);
  });

  it('creates, reads, lists, moves and deletes revision tags; a version may name a tag', async () => {
    await api.createEnvironmentRevisionTag('acme', 'app', 'dev', { name: 'stable', revision: 2 });
    expect((await api.getEnvironmentRevisionTag('acme', 'app', 'dev', 'stable')).data).toMatchObject({ name: 'stable', revision: 2, editorLogin: FAKE_USER.login });
    const opened = await api.openEnvironmentAtVersion('acme', 'app', 'dev', 'stable', '1h');
    expect((await api.readOpenEnvironment('acme', 'app', 'dev', opened.data.id)).data.properties?.greeting?.value).toBe('hello');
    await expect(api.createEnvironmentRevisionTag('acme', 'app', 'dev', { name: 'stable', revision: 3 })).rejects.toMatchObject({ response: { status: 409 } });
    await api.updateEnvironmentRevisionTag('acme', 'app', 'dev', 'stable', { revision: 3 });
    const listed = await api.listEnvironmentRevisionTags('acme', 'app', 'dev');
    expect(listed.data.tags?.map((t) => [t.name, t.revision])).toEqual([
      ['latest', 4],
      ['stable', 3],
    ]);
    expect((await api.listEnvironmentRevisions('acme', 'app', 'dev', 4, 1)).data[0]?.tags).toEqual(['stable']);
    await api.deleteEnvironmentRevisionTag('acme', 'app', 'dev', 'stable');
    await expect(api.getEnvironmentRevisionTag('acme', 'app', 'dev', 'stable')).rejects.toMatchObject({ response: { status: 404 } });
  });

  it('creates, reads, lists, renames and deletes environment tags (ListEnvironmentTags, EnvironmentTag)', async () => {
    const created = await api.createEnvironmentTag('acme', 'app', 'dev', { name: 'owner', value: 'platform' });
    expect(created.data).toMatchObject({ name: 'owner', value: 'platform', created: expect.any(String), modified: expect.any(String), editorLogin: FAKE_USER.login, editorName: FAKE_USER.name });
    expect((await api.getEnvironmentTag('acme', 'app', 'dev', 'owner')).data.value).toBe('platform');
    await expect(api.updateEnvironmentTag('acme', 'app', 'dev', 'owner', { currentTag: { value: 'stale' }, newTag: { name: 'owner', value: 'x' } })).rejects.toMatchObject({ response: { status: 409 } });
    const renamed = await api.updateEnvironmentTag('acme', 'app', 'dev', 'owner', { currentTag: { value: 'platform' }, newTag: { name: 'team', value: 'platform' } });
    expect(renamed.data).toMatchObject({ name: 'team', value: 'platform' });
    const listed = await api.listEnvironmentTags('acme', 'app', 'dev');
    expect(Object.keys(listed.data.tags)).toEqual(['team']);
    expect(listed.data.nextToken).toBe('');
    await api.deleteEnvironmentTag('acme', 'app', 'dev', 'team');
    await expect(api.getEnvironmentTag('acme', 'app', 'dev', 'team')).rejects.toMatchObject({ response: { status: 404 } });
  });

  it('clones an environment (CloneEnvironment): the latest definition, or its history and tags when asked', async () => {
    await api.cloneEnvironment('acme', 'app', 'dev', { project: 'app', name: 'copy' });
    expect((await api.listEnvironmentRevisions('acme', 'app', 'copy')).data.map((r) => r.number)).toEqual([1]);
    await api.createEnvironmentTag('acme', 'app', 'dev', { name: 'owner', value: 'platform' });
    await api.cloneEnvironment('acme', 'app', 'dev', { project: 'other', name: 'full', preserveHistory: true, preserveEnvironmentTags: true });
    expect((await api.listEnvironmentRevisions('acme', 'other', 'full')).data.map((r) => r.number)).toEqual([4, 3, 2, 1]);
    expect(Object.keys((await api.listEnvironmentTags('acme', 'other', 'full')).data.tags)).toEqual(['owner']);
    await expect(api.cloneEnvironment('acme', 'app', 'dev', { project: 'app', name: 'copy' })).rejects.toMatchObject({ response: { status: 409 } });
  });

  it('answers errors as the service does: 401 without the token, 404 for an unknown environment, 409 on a second create', async () => {
    await expect(sdk('wrong').listEnvironments('acme')).rejects.toMatchObject({ response: { status: 401 } });
    await expect(api.openEnvironment('acme', 'app', 'nope')).rejects.toMatchObject({ response: { status: 404 } });
    await expect(api.createEnvironment('acme', { project: 'app', name: 'dev' })).rejects.toMatchObject({ response: { status: 409 } });
  });
});
