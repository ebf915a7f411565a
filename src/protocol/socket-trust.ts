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
  const problem = privateDirProblem(dir, uid, 'the escd socket directory');
  if (problem) return `${problem}; ${problem.includes('chmod') ? 'or ' : ''}${ELSEWHERE}`;
  let info;
  try {
    info = lstatSync(socket);
  } catch {
    return undefined;
  }
  if (info.uid !== uid) return `refusing the escd socket ${socket}: it belongs to ${ownerName(info.uid)}, not you (uid ${uid}); remove it, or ${ELSEWHERE}`;
  if (!info.isSocket()) return `refusing ${socket}: it is not a socket; remove it, or ${ELSEWHERE}`;
  return undefined;
}

/**
 * Undefined when `dir` is missing or a real directory of `uid` closed to group and others, else why not
 * ("refusing <what> <dir>: …", with `chmod 700` when the user owns it and can fix it).
 */
export function privateDirProblem(dir: string, uid: number | undefined = process.getuid?.(), what = 'the directory'): string | undefined {
  if (uid === undefined) return undefined;
  let info;
  try {
    info = lstatSync(dir);
  } catch {
    return undefined;
  }
  if (info.isSymbolicLink()) return `refusing ${what} ${dir}: it is a symbolic link (owner ${ownerName(info.uid)})`;
  if (!info.isDirectory()) return `refusing ${what} ${dir}: it is not a directory`;
  if (info.uid !== uid) return `refusing ${what} ${dir}: it belongs to ${ownerName(info.uid)}, not you (uid ${uid})`;
  if ((info.mode & 0o077) !== 0) return `refusing ${what} ${dir}: other users can enter it (mode ${octal(info.mode)}); run \`chmod 700 ${dir}\``;
  return undefined;
}

/**
 * Undefined when no other user can replace `path` by renaming something above it: every existing
 * ancestor is owned by `uid` or root and is not writable by group or others unless sticky (as /tmp).
 */
export function ancestorsProblem(path: string, uid: number | undefined = process.getuid?.()): string | undefined {
  if (uid === undefined) return undefined;
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    let info;
    try {
      info = lstatSync(dir);
    } catch {
      info = undefined; // not there yet: we create it
    }
    if (info) {
      if (info.uid !== uid && info.uid !== 0) return `refusing ${path}: ${dir} above it belongs to ${ownerName(info.uid)}`;
      if ((info.mode & 0o022) !== 0 && (info.mode & 0o1000) === 0) {
        return `refusing ${path}: other users can write to ${dir} above it (mode ${octal(info.mode)}); run \`chmod go-w ${dir}\``;
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** Throws UnsafeSocket with the one line of socketProblem. */
export function assertSocketTrusted(socket: string, uid?: number): void {
  const problem = socketProblem(socket, uid ?? process.getuid?.());
  if (problem) throw new UnsafeSocket(problem);
}
