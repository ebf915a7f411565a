// Where `escd setup` writes: the AWS config and credentials files and the kubeconfig, as the AWS
// CLI/SDKs and kubectl find them (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, KUBECONFIG).
import { delimiter, join } from 'node:path';
import { userHome } from '../protocol/socket-path.js';

type Env = Readonly<Record<string, string | undefined>>;

export const expandHome = (path: string, env: Env): string => (path === '~' || path.startsWith('~/') ? join(userHome(env), path.slice(1)) : path);

export function awsConfigFile(env: Env): string {
  return env.AWS_CONFIG_FILE ? expandHome(env.AWS_CONFIG_FILE, env) : join(userHome(env), '.aws', 'config');
}

export function awsCredentialsFile(env: Env): string {
  return env.AWS_SHARED_CREDENTIALS_FILE ? expandHome(env.AWS_SHARED_CREDENTIALS_FILE, env) : join(userHome(env), '.aws', 'credentials');
}

/** The kubeconfig written: the first file of KUBECONFIG, else ~/.kube/config. */
export function kubeconfigFile(env: Env): string {
  const first = (env.KUBECONFIG ?? '').split(delimiter).find((p) => p.length > 0);
  return first ? expandHome(first, env) : join(userHome(env), '.kube', 'config');
}
