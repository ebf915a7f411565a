// Getting a listening socket: the one systemd passed (socket activation), or our own Unix socket in a
// private directory. A socket file left by a dead daemon is replaced; a live daemon's is never taken.
import { lstatSync, mkdirSync, statSync, unlinkSync, chmodSync } from 'node:fs';
import { socketProblem } from '../src/protocol/socket-trust.js';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { LockTimeoutError, withFileLock } from '../src/keystore/file-lock.js';

/** An expected start-up failure; its message is the one line to print. */
export class ListenError extends Error {}

export interface Listener {
  readonly server: Server;
  readonly path: string;
  /** True when the socket came from the service manager (it owns the file: we never remove it). */
  readonly activated: boolean;
  /** Inode of the socket file we bound, to notice when someone replaces or removes it. */
  readonly inode?: number;
}

type Env = Record<string, string | undefined>;

// A client may send its request and half-close (`socat`, `nc -N`): it must still get its answer, so
// the server ends each connection itself (daemon/server.ts) instead of Node's auto-end on FIN.
const SERVER_OPTIONS = { allowHalfOpen: true } as const;

/** sd_listen_fds(3): fds start at 3 and are ours only if LISTEN_PID names this process. */
export function activationFd(env: Env, pid = process.pid): number | undefined {
  if (env.LISTEN_PID === undefined || env.LISTEN_FDS === undefined) return undefined;
  if (env.LISTEN_PID !== String(pid)) return undefined;
  const count = Number(env.LISTEN_FDS);
  return Number.isInteger(count) && count >= 1 ? 3 : undefined;
}

export async function listen(path: string, env: Env = process.env): Promise<Listener> {
  const fd = activationFd(env);
  // Not for our children (the variables describe this process only).
  delete env.LISTEN_PID;
  delete env.LISTEN_FDS;
  delete env.LISTEN_FDNAMES;
  if (fd !== undefined) {
    const server = createServer(SERVER_OPTIONS);
    await listenOn(server, { fd });
    // Node cannot tell the path of an inherited socket: `path` is what the unit is expected to use.
    return { server, path, activated: true };
  }
  return listenOnPath(path);
}

async function listenOnPath(path: string): Promise<Listener> {
  preparePrivateDir(path);
  // Daemons started at once (many shims auto-starting) take turns: without this, two could both find
  // a stale socket, and the loser's close would unlink the winner's socket (libuv unlinks by path).
  try {
    return await withFileLock(`${path}.lock`, () => bindFresh(path), { timeoutMs: 15_000, staleMs: 5_000 });
  } catch (err) {
    if (err instanceof LockTimeoutError) throw new ListenError(err.message);
    throw err;
  }
}

async function bindFresh(path: string): Promise<Listener> {
  await clearStaleSocket(path);
  const server = createServer(SERVER_OPTIONS);
  // The socket is created with the process umask: make it 0600 from the first instant.
  const previous = process.umask(0o177);
  try {
    await listenOn(server, { path });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      // Another daemon bound it between our probe and our bind.
      throw new ListenError(`another escd daemon is already listening on ${path}`);
    }
    throw new ListenError(`cannot listen on ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  } finally {
    process.umask(previous);
  }
  chmodSync(path, 0o600);
  return { server, path, activated: false, inode: statSync(path).ino };
}

/**
 * The socket's directory must be ours and closed to others: created 0700, then checked as every client
 * checks it (socket-trust.ts) — a directory another user made first, or a symlink, is refused.
 */
function preparePrivateDir(socket: string): void {
  const dir = dirname(socket);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new ListenError(`cannot create the socket directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const problem = socketProblem(socket);
  if (problem) throw new ListenError(problem);
}

/** Removes a socket file nobody answers on; refuses when a daemon is alive or the path is not a socket. */
async function clearStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return; // nothing there
  }
  if (!isSocket) throw new ListenError(`${path} exists and is not a socket; remove it or choose another path with ESCD_SOCKET`);
  const alive = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    const timer = setTimeout(() => {
      probe.destroy();
      resolve(true); // accepted but silent: treat as alive rather than steal it
    }, 1_000);
    probe.on('connect', () => {
      clearTimeout(timer);
      probe.destroy();
      resolve(true);
    });
    probe.on('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  if (alive) throw new ListenError(`another escd daemon is already listening on ${path} (stop it with \`escd stop\`)`);
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ListenError(`cannot remove the stale socket ${path}: ${(err as NodeJS.ErrnoException).code}`);
  }
}

function listenOn(server: Server, options: { path: string } | { fd: number }): Promise<void> {
  holdEarlyConnections(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // A burst of clients (e.g. many shims at once) must queue, not get EAGAIN.
    server.listen({ ...options, backlog: 1024 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Between listening and the request server attaching its handler, the event loop turns (the bind
 * lock is released asynchronously), and a client arriving then (a shim starting the daemon) would be
 * accepted with nobody to answer it: it would wait out its timeout. Such connections are held and
 * handed to the first 'connection' listener; what they already sent waits in their read buffers.
 */
function holdEarlyConnections(server: Server): void {
  const held: Socket[] = [];
  const hold = (socket: Socket): void => void held.push(socket);
  const attach = (event: string | symbol): void => {
    if (event !== 'connection') return;
    server.off('newListener', attach);
    server.off('connection', hold);
    // 'newListener' fires before the new listener is added: replay once it is in place.
    process.nextTick(() => {
      for (const socket of held.splice(0)) if (!socket.destroyed) server.emit('connection', socket);
    });
  };
  server.on('connection', hold);
  server.on('newListener', attach);
}

/** True while the file at `listener.path` is still the socket we bound. */
export function stillOurs(listener: Listener): boolean {
  if (listener.activated || listener.inode === undefined) return true;
  try {
    return statSync(listener.path).ino === listener.inode;
  } catch {
    return false;
  }
}

/** Removes our socket file, unless it was passed to us or has been replaced by someone else's. */
export function removeSocket(listener: Listener): void {
  if (listener.activated || !stillOurs(listener)) return;
  try {
    unlinkSync(listener.path);
  } catch {
    // already gone
  }
}
