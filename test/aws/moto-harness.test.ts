// The moto harness other suites rely on: it starts, counts calls per action, resets, and stops
// (the port is free again afterwards).
import { createConnection } from 'node:net';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { e2eSkipReason, motoMissing, startMoto } from '../support/moto.js';

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe.skipIf(e2eSkipReason(motoMissing()))('startMoto', () => {
  it('serves STS, counts AssumeRoleWithWebIdentity calls, resets, and stops', async () => {
    const started = Date.now();
    const moto = await startMoto();
    const startupMs = Date.now() - started;
    try {
      expect(moto.endpoint).toBe(`http://127.0.0.1:${moto.port}`);
      expect(startupMs).toBeLessThan(20_000);
      expect(await moto.count('AssumeRoleWithWebIdentity')).toBe(0);
      const client = new STSClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
      const assume = (session: string) =>
        client.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: 'arn:aws:iam::123456789012:role/r', RoleSessionName: session, WebIdentityToken: 'a.b.c', DurationSeconds: 900 }));
      const out = await assume('one');
      expect(out.AssumedRoleUser?.Arn).toBe('arn:aws:sts::123456789012:assumed-role/r/one');
      await assume('two');
      expect(await moto.count('AssumeRoleWithWebIdentity')).toBe(2);
      expect((await moto.calls()).map((c) => c.params.get('RoleSessionName'))).toEqual(['one', 'two']);
      await moto.reset();
      expect(await moto.count('AssumeRoleWithWebIdentity')).toBe(0);
      await assume('three');
      expect(await moto.count('AssumeRoleWithWebIdentity')).toBe(1);
    } finally {
      await moto.stop();
    }
    expect(await portOpen(moto.port)).toBe(false);
    await moto.stop(); // twice is fine
  }, 30_000);
});
