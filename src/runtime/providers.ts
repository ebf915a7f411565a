// Which `fn::open` providers a runtime offers (src/providers/registry.ts: `aws-login`). Loaded on
// first evaluation only, so commands that never evaluate do not pay for the AWS SDK.
import type { EscdConfig } from '../config/config.js';
import type { Clock } from '../clock/clock.js';
import type { TokenIssuer } from '../oidc/types.js';
import type { ProviderRegistry } from '../esc/provider.js';
import type { RotatorRegistry } from '../esc/types.js';

export interface ProviderDependencies {
  readonly config: EscdConfig;
  readonly issuer: TokenIssuer;
  readonly clock: Clock;
  /** Where AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL are read. */
  readonly env: NodeJS.ProcessEnv;
}

export async function loadProviders(deps: ProviderDependencies): Promise<ProviderRegistry> {
  const { createProviderRegistry } = await import('../providers/registry.js');
  return createProviderRegistry(deps);
}

export async function loadRotators(deps: Pick<ProviderDependencies, 'config' | 'env'>): Promise<RotatorRegistry> {
  const { createRotatorRegistry } = await import('../providers/registry.js');
  return createRotatorRegistry(deps);
}
