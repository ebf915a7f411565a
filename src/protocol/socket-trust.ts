// Whether a socket path may be trusted before a client connects to it (or the daemon listens on it).
// The model: a directory that is really a directory (not a symlink), owned by this user and closed to
// group and others (0700), holding a socket owned by this user, can be reached only by this user and
// root. Anything else may be another user's listener waiting for our requests: refuse.
// Node built-ins only: the shim loads this file.
import { lstatSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

export class UnsafeSocket extends Error {}

/** "alice (uid 1001)" when /etc/passwd names the uid, else "uid 1001". Read only on the failure path. */
export function ownerName(uid: number): string {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (id === String(uid) && name) return `${name} (uid ${uid})`;
    }
  } catch {
    // no passwd file (macOS keeps users elsewhere): the uid alone
  }
  return `uid ${uid}`;
}

const octal = (mode: number): string => '0' + (mode & 0o777).toString(8).padStart(3, '0');

/** What the user can do instead, whatever the cause (nobody else's directory can be fixed by them). */
const ELSEWHERE = 'set XDG_RUNTIME_DIR to a directory only you can enter, or ESCD_SOCKET to a socket path inside one';

/**
 * Returns undefined when `socket` may be used, else the one line saying why not and what to do.
 * A missing directory or socket is fine (nothing listens; the daemon creates them 0700/0600).
 */
export function socketProblem(socket: string, uid: number | undefined = process.getuid?.()): string | undefined {
  if (uid === undefined) return undefined; // Windows: no uids, named pipes have their own ACLs
  const dir = dirname(socket);
  let info;
  try {
    info = lstatSync(dir);
  } catch {
    return undefined;
  }
  if (info.isSymbolicLink()) return `refusing the escd socket directory ${dir}: it is a symbolic link (owner ${ownerName(info.uid)}); ${ELSEWHERE}`;
  if (!info.isDirectory()) return `refusing the escd socket directory ${dir}: it is not a directory; ${ELSEWHERE}`;
  if (info.uid !== uid) return `refusing the escd socket directory ${dir}: it belongs to ${ownerName(info.uid)}, not you (uid ${uid}); ${ELSEWHERE}`;
  if ((info.mode & 0o077) !== 0) {
    return `refusing the escd socket directory ${dir}: other users can enter it (mode ${octal(info.mode)}); run \`chmod 700 ${dir}\`, or ${ELSEWHERE}`;
  }
  try {
    info = lstatSync(socket);
  } catch {
    return undefined;
  }
  if (info.uid !== uid) return `refusing the escd socket ${socket}: it belongs to ${ownerName(info.uid)}, not you (uid ${uid}); remove it, or ${ELSEWHERE}`;
  if (!info.isSocket()) return `refusing ${socket}: it is not a socket; remove it, or ${ELSEWHERE}`;
  return undefined;
}

/** Throws UnsafeSocket with the one line of socketProblem. */
export function assertSocketTrusted(socket: string, uid?: number): void {
  const problem = socketProblem(socket, uid ?? process.getuid?.());
  if (problem) throw new UnsafeSocket(problem);
}
