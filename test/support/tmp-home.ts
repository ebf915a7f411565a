// A throwaway escd installation for one test: ESCD_HOME, HOME and the socket all under a fresh temp dir.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
  return { dir, env, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
