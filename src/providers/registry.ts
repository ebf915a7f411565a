// The `fn::open` providers escd offers: aws-login, aws-secrets, aws-parameter-store, external.
import { systemClock, type Clock } from '../clock/clock.js';
import { awsAudience, type EscdConfig } from '../config/config.js';
import type { TokenIssuer } from '../oidc/types.js';
import { createWebIdentitySts, type WebIdentitySts } from '../aws/sts-client.js';
import { resolveStsEndpoint } from '../aws/sts-endpoint.js';
import { createAwsLoginProvider } from './aws-login/provider.js';
import type { Provider, ProviderRegistry } from '../esc/provider.js';
import { createAwsParameterStoreProvider } from './aws-parameter-store/provider.js';
import { createAwsSecretsProvider } from './aws-secrets/provider.js';
import { createExternalProvider } from './external/provider.js';
import { MISSING_PROVIDERS, MISSING_ROTATORS, missingProvider, missingRotator } from './missing.js';
import { createAwsIamRotator } from './aws-iam/rotator.js';
import { changeMysqlPassword, changePostgresPassword } from './database/drivers.js';
import { createDatabaseRotator } from './database/rotator.js';
import type { Rotator, RotatorRegistry } from '../esc/types.js';

export interface ProviderRegistryDependencies {
  readonly config: EscdConfig;
  readonly issuer: TokenIssuer;
  readonly clock?: Clock;
  /** Where AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL are read; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

export function createProviderRegistry(deps: ProviderRegistryDependencies): ProviderRegistry {
  const env = deps.env ?? process.env;
  const { region, stsEndpoint } = deps.config.aws;
  // One client for the registry's life (keeps connections warm); created on first OIDC login, and
  // only once it could be created, so a bad endpoint setting is reported on each attempt.
  let sts: WebIdentitySts | undefined;
  const getSts = (): WebIdentitySts =>
    (sts ??= createWebIdentitySts({ region, endpoint: resolveStsEndpoint({ region, env, ...(stsEndpoint ? { configured: stsEndpoint } : {}) }).url }));
  const { secretsManagerEndpoint, ssmEndpoint } = deps.config.aws;
  const registry = new Map<string, Provider>([
    ['aws-login', createAwsLoginProvider({ issuer: deps.issuer, sts: getSts, clock: deps.clock ?? systemClock, audience: awsAudience(deps.config) })],
    ['aws-secrets', createAwsSecretsProvider({ env, ...(secretsManagerEndpoint ? { configured: secretsManagerEndpoint } : {}) })],
    ['aws-parameter-store', createAwsParameterStoreProvider({ env, ...(ssmEndpoint ? { configured: ssmEndpoint } : {}) })],
    ['external', createExternalProvider({ issuer: deps.issuer })],
  ]);
  const have = [...registry.keys()];
  for (const name of MISSING_PROVIDERS) registry.set(name, missingProvider(name, have));
  return registry;
}

/** The `fn::rotate` rotators escd offers: aws-iam, postgres, mysql. */
export function createRotatorRegistry(deps: Pick<ProviderRegistryDependencies, 'config' | 'env'>): RotatorRegistry {
  const env = deps.env ?? process.env;
  const { region, iamEndpoint } = deps.config.aws;
  const registry = new Map<string, Rotator>([
    ['aws-iam', createAwsIamRotator({ env, defaultRegion: region, ...(iamEndpoint ? { configured: iamEndpoint } : {}) })],
    ['postgres', createDatabaseRotator('postgres', 5432, changePostgresPassword)],
    ['mysql', createDatabaseRotator('mysql', 3306, changeMysqlPassword)],
  ]);
  const have = [...registry.keys()];
  for (const name of MISSING_ROTATORS) registry.set(name, missingRotator(name, have));
  return registry;
}
