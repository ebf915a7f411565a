// Which `fn::open` providers a runtime offers. The AWS login provider registers in
// src/providers/registry.ts; until that exists the registry is empty and `fn::open::aws-login`
// reports `unknown provider "aws-login"`.
import type { EscdConfig } from '../config/config.js';
import type { Clock } from '../clock/clock.js';
import type { TokenIssuer } from '../oidc/types.js';
import type { ProviderRegistry } from '../providers/types.js';

export interface ProviderDependencies {
  readonly config: EscdConfig;
  readonly issuer: TokenIssuer;
  readonly clock: Clock;
}

export async function loadProviders(_deps: ProviderDependencies): Promise<ProviderRegistry> {
  return new Map();
}
