// Issue 12 (size caps): an answer of Pulumi Cloud beyond MAX_ANSWER_BYTES is refused in one line, whatever
// the call, and nothing of it is kept. A raw server stands in for a hostile or broken service.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCloudClient, MAX_ANSWER_BYTES, type CloudCall } from '../../src/cloud/client.js';

describe('Pulumi Cloud client answer cap', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    // Every request gets a JSON answer just over the cap, streamed so the server holds none of it.
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-pulumi-request-id': 'req-big' });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      res.write('{"id":"');
      for (let i = 0; i <= MAX_ANSWER_BYTES / chunk.length; i++) res.write(chunk);
      res.end('"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('refuses an oversized answer with one line that says so', async () => {
    const calls: CloudCall[] = [];
    const client = await createCloudClient({ url, token: 'pul-test', now: () => 0, onCall: (c) => calls.push(c) });
    const ref = { org: 'acme', project: 'app', name: 'dev' };
    await expect(client.open(ref)).rejects.toMatchObject({
      reason: 'bad_answer',
      message: `Pulumi Cloud's answer for acme/app/dev is larger than 16 MiB: refused, nothing of it kept`,
    });
    await expect(client.definition(ref)).rejects.toMatchObject({ message: expect.stringContaining('larger than 16 MiB') });
    expect(calls.map((c) => c.operation)).toEqual(['open', 'read-definition']);
  });
});
