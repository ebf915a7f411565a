// A throwaway escd installation for one test: ESCD_HOME, HOME and the socket all under a fresh temp dir.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from '../../src/protocol/client.js';
import { socketPath } from '../../src/protocol/socket-path.js';

export interface TmpHome {
  readonly dir: string;
  /** Environment variables that point escd (and AWS/kube clients) into `dir`. */
  readonly env: Record<string, string>;
  cleanup(): Promise<void>;
}

export async function makeTmpHome(prefix = 'escd-test-'): Promise<TmpHome> {
  // Short base path: Unix socket paths are limited to ~104 bytes.
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const env: Record<string, string> = {
    HOME: dir,
    ESCD_HOME: join(dir, 'escd'),
    ESCD_KEYSTORE: 'file',
    AWS_CONFIG_FILE: join(dir, '.aws', 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, '.aws', 'credentials'),
    KUBECONFIG: join(dir, '.kube', 'config'),
    NO_COLOR: '1',
  };
  return {
    dir,
    env,
    cleanup: async () => {
      await stopDaemon(socketPath(env));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Stops a daemon that a command of the test started in this home (the CLI and the shim start one when
 * none answers), and waits until its process is gone. Nothing listening is fine.
 */
export async function stopDaemon(socket: string): Promise<void> {
  let pid: number | undefined;
  try {
    const answer = await request(socket, 'shutdown', {}, 2_000);
    if (answer.ok) pid = (answer.result as { pid?: number }).pid;
  } catch {
    return;
  }
  const deadline = Date.now() + 10_000;
  while (pid !== undefined && alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}
