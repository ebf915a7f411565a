// A second local user for the multi-user suite: created with useradd, removed after. Only root can do
// this (CI runs as root); elsewhere the suite skips with the reason printed.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

export const IS_ROOT = process.getuid?.() === 0;
export const HAS_USERADD = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v useradd && command -v userdel && command -v setpriv'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
/** Why the multi-user suite cannot run here, or undefined when it can. */
export const MULTI_USER_SKIP = !IS_ROOT ? 'not root: cannot create a second user (CI runs as root)' : !HAS_USERADD ? 'useradd/userdel/setpriv missing' : undefined;

export interface OtherUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  /** Runs `node -e script ...args` as this user; resolves with its exit code and output. */
  node(script: string, args?: readonly string[], env?: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Starts `node -e script` as this user and leaves it running (the caller kills it). */
  spawnNode(script: string, args?: readonly string[]): ChildProcess;
  remove(): void;
}

function asUser(uid: number, gid: number, args: readonly string[]): [string, string[]] {
  return ['setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--reset-env', process.execPath, ...args]];
}

export function createOtherUser(): OtherUser {
  const name = `escdo${process.pid}`.slice(0, 30);
  execFileSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', name], { stdio: 'ignore' });
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  const spawnNode = (script: string, args: readonly string[] = []): ChildProcess => {
    const [cmd, argv] = asUser(uid, gid, ['-e', script, ...args]);
    return spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: '/' });
  };
  return {
    name,
    uid,
    gid,
    spawnNode,
    node: (script, args = []) =>
      new Promise((resolve, reject) => {
        const child = spawnNode(script, args);
        let stdout = '';
        let stderr = '';
        child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      }),
    remove: () => {
      try {
        execFileSync('userdel', [name], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    },
  };
}
