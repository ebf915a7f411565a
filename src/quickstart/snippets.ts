// The lines a user pastes into ~/.aws/config and kubeconfig to get credentials from escd. Both run
// the shim by absolute path (node, then the script), so they work whatever PATH the tool has.
import { stringify } from 'yaml';
import type { KubeApiVersion } from '../protocol/wire.js';

export interface ShimLocation {
  readonly node: string;
  readonly shim: string;
}

/** `[profile NAME]` names cannot hold spaces or brackets; environment names never do. */
export const profileNameFor = (environment: string): string => environment.replace(/\//g, '-');

/** Quotes a word for credential_process, which the AWS CLI and SDKs split like a POSIX shell. */
const shellQuote = (word: string): string => (/^[\w@%+=:,./-]+$/.test(word) ? word : `"${word.replace(/(["\\$`])/g, '\\$1')}"`);

export function awsProfileSnippet(environment: string, at: ShimLocation, profile = profileNameFor(environment)): string {
  return `[profile ${profile}]\ncredential_process = ${[at.node, at.shim, 'aws', environment].map(shellQuote).join(' ')}\n`;
}

export const KUBE_API_VERSION: KubeApiVersion = 'client.authentication.k8s.io/v1beta1';

/** A kubeconfig `users:` entry whose exec plugin asks escd for an EKS token for `cluster`. */
export function kubeUserSnippet(environment: string, cluster: string, at: ShimLocation): string {
  const user = {
    name: `${profileNameFor(environment)}`,
    user: {
      exec: {
        apiVersion: KUBE_API_VERSION,
        command: at.node,
        args: [at.shim, 'kube', environment, '--cluster', cluster],
        interactiveMode: 'Never',
      },
    },
  };
  return stringify({ users: [user] });
}
