// The socket checks every client and the daemon make before use (src/protocol/socket-trust.ts) and
// where the socket goes without XDG_RUNTIME_DIR.
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fitsSockaddr, socketPath } from '../../src/protocol/socket-path.js';
import { socketProblem } from '../../src/protocol/socket-trust.js';
import { request } from '../../src/protocol/client.js';

const uid = process.getuid!();

describe('socketProblem', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'escd-st-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts a missing directory, a private directory, and our own socket in it', () => {
    expect(socketProblem(join(dir, 'none', 'escd.sock'), uid)).toBeUndefined();
    mkdirSync(join(dir, 'run'), { mode: 0o700 });
    expect(socketProblem(join(dir, 'run', 'escd.sock'), uid)).toBeUndefined();
  });

  it('refuses a directory others can enter, naming the mode and a chmod the owner can run', () => {
    mkdirSync(join(dir, 'run'));
    chmodSync(join(dir, 'run'), 0o755);
    expect(socketProblem(join(dir, 'run', 'escd.sock'), uid)).toMatch(/other users can enter it \(mode 0755\); run `chmod 700 .*run`.*ESCD_SOCKET/);
  });

  it('refuses a symbolic link in place of the directory', () => {
    mkdirSync(join(dir, 'real'), { mode: 0o700 });
    symlinkSync(join(dir, 'real'), join(dir, 'run'));
    expect(socketProblem(join(dir, 'run', 'escd.sock'), uid)).toMatch(/is a symbolic link/);
  });

  it('refuses a directory of another uid, naming the owner and the way out (XDG_RUNTIME_DIR, ESCD_SOCKET)', () => {
    mkdirSync(join(dir, 'run'), { mode: 0o700 });
    // Seen as uid+1: the directory belongs to "someone else".
    const problem = socketProblem(join(dir, 'run', 'escd.sock'), uid + 1);
    expect(problem).toMatch(new RegExp(`belongs to .*uid ${uid}\\b.*not you \\(uid ${uid + 1}\\)`));
    expect(problem).toMatch(/XDG_RUNTIME_DIR.*ESCD_SOCKET/);
    expect(problem).not.toContain('\n');
  });

  it('refuses a file that is not a socket', () => {
    mkdirSync(join(dir, 'run'), { mode: 0o700 });
    writeFileSync(join(dir, 'run', 'escd.sock'), '');
    expect(socketProblem(join(dir, 'run', 'escd.sock'), uid)).toMatch(/not a socket/);
  });

  it.skipIf(uid !== 0)('refuses a socket of another uid in our own directory (needs root to chown)', () => {
    mkdirSync(join(dir, 'run'), { mode: 0o700 });
    writeFileSync(join(dir, 'run', 'escd.sock'), '');
    chownSync(join(dir, 'run', 'escd.sock'), 4242, 4242);
    expect(socketProblem(join(dir, 'run', 'escd.sock'), uid)).toMatch(/socket .* belongs to uid 4242/);
  });

  it('request() refuses before connecting: a listener in an open directory receives nothing', async () => {
    mkdirSync(join(dir, 'open'));
    chmodSync(join(dir, 'open'), 0o777);
    const path = join(dir, 'open', 'escd.sock');
    let connections = 0;
    const server: Server = createServer(() => connections++);
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      await expect(request(path, 'ping', {})).rejects.toThrow(/refusing the escd socket directory/);
      expect(connections).toBe(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('socketPath without XDG_RUNTIME_DIR', () => {
  it('is in the state directory, which no other user can have made first', () => {
    expect(socketPath({ HOME: '/home/alice' })).toBe('/home/alice/.local/state/escd/run/escd.sock');
    expect(socketPath({ HOME: '/home/alice', XDG_STATE_HOME: '/s' })).toBe('/s/escd/run/escd.sock');
  });

  it('falls back to the per-user directory in the temp dir only when that path is too long for a socket', () => {
    const home = '/home/' + 'a'.repeat(100);
    expect(fitsSockaddr(join(home, '.local/state/escd/run/escd.sock'))).toBe(false);
    if (process.platform === 'linux') expect(socketPath({ HOME: home })).toBe(`/tmp/escd-${uid}/escd.sock`);
  });

  it('XDG_RUNTIME_DIR, ESCD_HOME and ESCD_SOCKET still win', () => {
    expect(socketPath({ HOME: '/h', XDG_RUNTIME_DIR: '/run/user/1' })).toBe('/run/user/1/escd/escd.sock');
    expect(socketPath({ HOME: '/h', ESCD_HOME: '/e' })).toBe('/e/run/escd.sock');
    expect(socketPath({ HOME: '/h', ESCD_SOCKET: '/x.sock', ESCD_HOME: '/e' })).toBe('/x.sock');
  });
});
