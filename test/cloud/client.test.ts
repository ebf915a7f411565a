// escd's cloud client against the fake service (itself held to @pulumi/esc-sdk by contract.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCloudClient, OPEN_SESSION, type CloudCall, type CloudClient } from '../../src/cloud/client.js';
import { toJSON } from '../../src/esc/value.js';
import { FAKE_AWS_LOGIN, startFakeCloud, type FakeCloud } from '../support/fake-pulumi-cloud.js';

describe('cloud client', () => {
  let cloud: FakeCloud;
  let client: CloudClient;
  const calls: CloudCall[] = [];
  const now = 1_700_000_000_000;

  beforeAll(async () => {
    cloud = await startFakeCloud();
    client = await createCloudClient({ url: cloud.url, token: cloud.token, now: () => now, onCall: (c) => calls.push(c) });
    cloud.put('acme/app/dev', 'values:\n  region: eu-west-1\n  password:\n    fn::secret: hunter2\n');
    cloud.put('acme/app/aws', 'values:\n  login:\n    fn::open::aws-login:\n      oidc:\n        duration: 20m\n        roleArn: arn:aws:iam::123456789012:role/x\n        sessionName: s\n');
  });
  afterAll(() => cloud?.stop());

  it('opens: values with their secret flags; an environment without logins lives as long as the open session', async () => {
    const opened = await client.open({ org: 'acme', project: 'app', name: 'dev' });
    expect(toJSON(opened.values!, { redact: true })).toEqual({ region: 'eu-west-1', password: '[secret]' });
    expect(toJSON(opened.values!, { redact: false })).toEqual({ region: 'eu-west-1', password: 'hunter2' });
    expect(opened.expiresAt.getTime()).toBe(now + OPEN_SESSION.ms);
  });

  it("an aws-login's session bounds the expiry by its duration (ESC returns none with the credentials)", async () => {
    const opened = await client.open({ org: 'acme', project: 'app', name: 'aws' });
    expect(toJSON(opened.values!, { redact: false })).toMatchObject({ login: { accessKeyId: FAKE_AWS_LOGIN.accessKeyId } });
    expect(opened.expiresAt.getTime()).toBe(now + 20 * 60_000);
  });

  it('every call is reported with the request id the service returned', () => {
    const opens = calls.filter((c) => c.operation === 'open');
    expect(opens.length).toBeGreaterThan(0);
    for (const c of opens) expect(c).toMatchObject({ status: 200, requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });

  it("errors are escd's one error type, one line with a code and the finer reason: unknown environment, refused token, service down", async () => {
    await expect(client.open({ org: 'acme', project: 'app', name: 'nope' })).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining('acme/app/nope not found') });
    const wrong = await createCloudClient({ url: cloud.url, token: 'pul-wrong', now: () => now });
    const refused = await wrong.open({ org: 'acme', project: 'app', name: 'dev' }).catch((e: Error) => e);
    expect(refused).toMatchObject({ reason: 'unauthorized', code: 'upstream_failed' });
    expect((refused as Error).message).not.toContain('pul-wrong');
    expect((refused as Error).message).toContain(`escd login ${cloud.url}`);
    cloud.setDown(true);
    try {
      await expect(client.open({ org: 'acme', project: 'app', name: 'dev' })).rejects.toMatchObject({ reason: 'unreachable', code: 'upstream_failed' });
    } finally {
      cloud.setDown(false);
    }
  });

  it('round-trips a definition: update creates, definition reads it sealed, decrypt in clear, list finds it', async () => {
    const ref = { org: 'acme', project: 'app', name: 'new' };
    expect(await client.update(ref, 'values:\n  token:\n    fn::secret: s3cret\n')).toEqual([]);
    expect(await client.definition(ref)).not.toContain('s3cret');
    expect(await client.definition(ref, { decrypt: true })).toContain('fn::secret: s3cret');
    expect(await client.list('acme')).toContainEqual(expect.objectContaining({ project: 'app', name: 'new' }));
  });

  it('an update with the ETag of an older read is refused as one line, nothing written; one with errors returns its diagnostics', async () => {
    const ref = { org: 'acme', project: 'app', name: 'dev' };
    const first = await client.read(ref);
    expect(first).toMatchObject({ etag: expect.any(String), revision: 1 });
    expect(await client.write(ref, 'values:\n  region: us-east-1\n', { etag: first.etag! })).toEqual({ diagnostics: [], revision: 2 });
    const conflict = await client.write(ref, 'values:\n  region: late\n', { etag: first.etag! }).catch((e: Error) => e);
    expect(conflict).toMatchObject({ reason: 'conflict', code: 'conflict' });
    expect((conflict as Error).message).toMatch(/^acme\/app\/dev changed in Pulumi Cloud since it was read; nothing was written/);
    expect((conflict as Error).message).not.toContain('\n');
    expect(cloud.revisionCount('acme/app/dev')).toBe(2);
    const bad = await client.write(ref, 'values:\n  x: ${missing}\n');
    expect(bad.diagnostics[0]?.summary).toMatch(/missing/);
    expect(cloud.revisionCount('acme/app/dev')).toBe(2);
    await expect(client.read({ ...ref, version: '1' }, { decrypt: true })).rejects.toMatchObject({ reason: 'unsupported', code: 'bad_request' });
  });

  it('revisions, revision tags and environment tags', async () => {
    const ref = { org: 'acme', project: 'app', name: 'dev' };
    await client.tagRevision(ref, 'stable', 1);
    await client.tagRevision(ref, 'stable', 2);
    expect((await client.revisionTag(ref, 'stable')).revision).toBe(2);
    expect((await client.revisions(ref)).map((r) => [r.number, r.tags])).toEqual([
      [2, ['stable']],
      [1, []],
    ]);
    expect((await client.revisionTags(ref)).map((t) => t.name)).toEqual(['latest', 'stable']);
    await client.untagRevision(ref, 'stable');
    await expect(client.revisionTag(ref, 'stable')).rejects.toMatchObject({ code: 'not_found', message: expect.stringMatching(/^revision tag stable of acme\/app\/dev not found/) });
    await client.setTag(ref, 'owner', 'a');
    expect(await client.setTag(ref, 'owner', 'b')).toMatchObject({ name: 'owner', value: 'b' });
    expect(await client.renameTag(ref, 'owner', 'team')).toMatchObject({ name: 'team', value: 'b' });
    expect((await client.tags(ref)).map((t) => `${t.name}=${t.value}`)).toEqual(['team=b']);
    await client.removeTag(ref, 'team');
    expect(await client.tags(ref)).toEqual([]);
    expect(calls.filter((c) => c.operation.includes('tag')).every((c) => c.requestId !== undefined)).toBe(true);
  });
});
