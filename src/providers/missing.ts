// Providers and rotators that Pulumi ESC documents and escd does not have yet. Each is registered as
// a stub whose input check fails at once (check and eval alike) with a plain sentence, instead of
// the language's bare `unknown provider "P"`, so a user knows it is escd's gap and not a typo.
import type { Provider } from '../esc/provider.js';
import type { Rotator } from '../esc/types.js';

export const MISSING_PROVIDERS = [
  'azure-login',
  'gcp-login',
  'gh-login',
  'snowflake-login',
  'vault-login',
  'doppler-login',
  'infisical-login',
  '1password-secrets',
  'azure-secrets',
  'gcp-secrets',
  'vault-secrets',
  'doppler-secrets',
  'infisical-secrets',
  'pulumi-stacks',
] as const;

export const MISSING_ROTATORS = ['azure-app-secret', 'snowflake-user', 'external', 'passphrase', 'password'] as const;

const notYet = (kind: 'provider' | 'rotator', name: string, have: readonly string[]): string =>
  `escd does not have the ESC ${kind} "${name}" yet (escd has ${have.join(', ')}; see the README's Providers and rotators section)`;

export function missingProvider(name: string, have: readonly string[]): Provider {
  return {
    inputSchema: true,
    outputSchema: true,
    validate: () => [{ path: [], message: notYet('provider', name, have) }],
    open: () => Promise.reject(new Error(notYet('provider', name, have))),
  };
}

export function missingRotator(name: string, have: readonly string[]): Rotator {
  return {
    inputSchema: true,
    stateSchema: { type: 'object' },
    outputSchema: true,
    validate: () => [{ path: [], message: notYet('rotator', name, have) }],
    open: () => Promise.reject(new Error(notYet('rotator', name, have))),
    rotate: () => Promise.reject(new Error(notYet('rotator', name, have))),
  };
}

