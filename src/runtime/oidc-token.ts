// `escd oidc token`: a fresh issuer token as an environment's `fn::open::aws-login` would send it, for
// debugging trust policies. Run by the daemon (oidc.token), which signs every token escd makes: the
// environment is evaluated with an issuer that records what aws-login asks for and signs nothing (so
// STS is not called), then the first request, with the caller's overrides, is signed for real.
import { awsAudience } from '../config/config.js';
import { EscdError } from '../core/errors.js';
import type { TokenRequest } from '../oidc/types.js';
import type { MethodParams, OidcTokenResult } from '../protocol/wire.js';
import { createProviderRegistry } from '../providers/registry.js';
import { parseEnvironmentName } from '../store/names.js';
import { createRuntime, type Runtime, type RuntimeOptions } from './runtime.js';

/** What the environment's aws-login calls would ask the issuer for, without a token being made. */
async function recordedRequests(runtime: Runtime, options: RuntimeOptions, env: string): Promise<TokenRequest[]> {
  const requests: TokenRequest[] = [];
  const recorder = {
    issuerUrl: runtime.config.issuer.url,
    mint: (request: TokenRequest): Promise<string> => {
      requests.push(request);
      return Promise.reject(new Error('recorded, not signed'));
    },
  };
  const probe = await createRuntime({ ...options, providers: createProviderRegistry({ config: runtime.config, issuer: recorder, ...(options.env ? { env: options.env } : {}) }) });
  try {
    await probe.evaluate(env, { mode: 'eval' });
  } catch (err) {
    throw new EscdError('bad_request', (err as Error).message, { cause: err });
  }
  return requests;
}

/**
 * Signs the token for `params.env`. `options` are the runtime's (the daemon's settings); warnings say
 * when the environment has no aws-login with oidc (the default token for it) or asks for several.
 */
export async function debugToken(runtime: Runtime, options: RuntimeOptions, params: MethodParams['oidc.token']): Promise<OidcTokenResult> {
  let org: string;
  let environment: string;
  try {
    const parsed = parseEnvironmentName(params.env, runtime.config.org);
    org = parsed.org;
    environment = parsed.name;
  } catch (err) {
    throw new EscdError('bad_request', (err as Error).message);
  }
  const warnings: string[] = [];
  const recorded = await recordedRequests(runtime, options, params.env);
  if (recorded.length === 0) warnings.push(`${environment} has no fn::open::aws-login with oidc (or it does not evaluate): this is the default token for it`);
  else if (new Set(recorded.map((r) => JSON.stringify(r))).size > 1) warnings.push(`${environment} asks for ${recorded.length} different tokens: this is the first`);
  const base: TokenRequest = recorded[0] ?? {
    audience: awsAudience(runtime.config),
    org,
    currentEnvironment: environment,
    rootEnvironment: environment,
    userLogin: runtime.config.user,
  };
  // The caller's overrides win over what the environment asks for.
  const request: TokenRequest = {
    ...base,
    ...(params.audience !== undefined ? { audience: params.audience } : {}),
    ...(params.subjectAttributes !== undefined ? { subjectAttributes: params.subjectAttributes } : {}),
    ...(params.lifetimeSeconds !== undefined ? { lifetimeSeconds: params.lifetimeSeconds } : {}),
  };
  const issuer = await runtime.issuer();
  try {
    return { token: await issuer.mint(request), warnings };
  } catch (err) {
    throw new EscdError('bad_request', (err as Error).message, { cause: err });
  }
}
