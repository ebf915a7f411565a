// The fake Pulumi Cloud (test/support/fake-pulumi-cloud.ts) held to the official client: every call
// escd's cloud backend makes is made here with @pulumi/esc-sdk alone (no escd code), and the answers
// must have the shapes the SDK's models declare.
import { Configuration, EscRawApi } from '@pulumi/esc-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCloud, type FakeCloud } from '../support/fake-pulumi-cloud.js';

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

  it('answers errors as the service does: 401 without the token, 404 for an unknown environment, 409 on a second create', async () => {
    await expect(sdk('wrong').listEnvironments('acme')).rejects.toMatchObject({ response: { status: 401 } });
    await expect(api.openEnvironment('acme', 'app', 'nope')).rejects.toMatchObject({ response: { status: 404 } });
    await expect(api.createEnvironment('acme', { project: 'app', name: 'dev' })).rejects.toMatchObject({ response: { status: 409 } });
  });
});
