// The listening socket before the request server takes it over: a client that connects in between
// (a shim that has just started the daemon) must be served, not left waiting for its timeout.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listen, type Listener } from '../../daemon/listen.js';

describe('listen', () => {
  let dir: string | undefined;
  let listener: Listener | undefined;
  afterEach(() => {
    listener?.server.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = listener = undefined;
  });

  it('connections accepted before anyone handles them are handed, with what they sent, to the first handler', async () => {
    dir = mkdtempSync(join(tmpdir(), 'escd-listen-'));
    listener = await listen(join(dir, 'run', 'escd.sock'), {});
    const client = connect(listener.path);
    client.on('connect', () => client.write('hello\n'));
    // Give the event loop time to accept it while nothing listens for 'connection'.
    await new Promise((r) => setTimeout(r, 100));
    const served = new Promise<string>((resolve) => {
      listener!.server.on('connection', (socket: Socket) => {
        socket.setEncoding('utf8');
        socket.once('data', (data: string) => {
          socket.end('answer\n');
          resolve(data);
        });
      });
    });
    expect(await served).toBe('hello\n');
    const answer = await new Promise<string>((resolve) => client.once('data', (d) => resolve(d.toString('utf8'))));
    expect(answer).toBe('answer\n');
    client.destroy();
  }, 10_000);

  it('later connections go straight to the handler', async () => {
    dir = mkdtempSync(join(tmpdir(), 'escd-listen-'));
    listener = await listen(join(dir, 'run', 'escd.sock'), {});
    const seen: Socket[] = [];
    listener.server.on('connection', (socket: Socket) => {
      seen.push(socket);
      socket.end();
    });
    await new Promise((r) => setTimeout(r, 10));
    const client = connect(listener.path);
    await new Promise((r) => client.once('close', r));
    expect(seen).toHaveLength(1);
  });
});
