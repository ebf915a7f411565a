// Where the daemon listens. Node built-ins only: the shim imports this file.
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

type Env = Readonly<Record<string, string | undefined>>;

/** sockaddr_un's sun_path: 108 bytes on Linux, 104 on macOS and the BSDs, the terminating NUL included. */
export const SUN_PATH_MAX = process.platform === 'linux' ? 108 : 104;

/** Whether a socket can be bound at `path` (its bytes and the NUL fit sun_path). */
export function fitsSockaddr(path: string): boolean {
  return Buffer.byteLength(path, 'utf8') < SUN_PATH_MAX;
}

/**
 * ESCD_SOCKET wins; with ESCD_HOME set everything lives under it (isolated installs, tests);
 * else $XDG_RUNTIME_DIR/escd/escd.sock. Without XDG_RUNTIME_DIR (containers, su, cron, ssh without
 * pam_systemd) a directory in the user's own state directory, which no other user can have made first;
 * only when that path is too long for a socket, the predictable per-user directory in the shared temp
 * dir, which clients and daemon check before use (socket-trust.ts).
 */
export function socketPath(env: Env = process.env): string {
  if (env.ESCD_SOCKET) return env.ESCD_SOCKET;
  if (env.ESCD_HOME) return join(env.ESCD_HOME, 'run', 'escd.sock');
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'escd', 'escd.sock');
  const own = join(stateDirectory(env), 'run', 'escd.sock');
  if (fitsSockaddr(own)) return own;
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const base = process.platform === 'darwin' ? (env.TMPDIR ?? tmpdir()) : '/tmp';
  return join(base, `escd-${uid}`, 'escd.sock');
}

/** The state directory (audit log, key file, daemon log): under ESCD_HOME, else $XDG_STATE_HOME/escd. */
export function stateDirectory(env: Env = process.env): string {
  if (env.ESCD_HOME) return join(env.ESCD_HOME, 'state');
  return join(env.XDG_STATE_HOME ?? join(userHome(env), '.local', 'state'), 'escd');
}

/** The user's home, honouring HOME so tests can run in a throwaway one. */
export function userHome(env: Env = process.env): string {
  return env.HOME ?? homedir();
}
