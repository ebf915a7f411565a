// Where the daemon listens. Node built-ins only: the shim imports this file.
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * ESCD_SOCKET wins; with ESCD_HOME set everything lives under it (isolated installs, tests);
 * else $XDG_RUNTIME_DIR/escd/escd.sock on Linux, and a per-user dir under the temp dir elsewhere (macOS).
 */
export function socketPath(env: Env = process.env): string {
  if (env.ESCD_SOCKET) return env.ESCD_SOCKET;
  if (env.ESCD_HOME) return join(env.ESCD_HOME, 'run', 'escd.sock');
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'escd', 'escd.sock');
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const base = process.platform === 'darwin' ? (env.TMPDIR ?? tmpdir()) : '/tmp';
  return join(base, `escd-${uid}`, 'escd.sock');
}

/** The user's home, honouring HOME so tests can run in a throwaway one. */
export function userHome(env: Env = process.env): string {
  return env.HOME ?? homedir();
}
