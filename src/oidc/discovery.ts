// What `escd oidc publish` writes: the OpenID discovery document and the JWKS it points to, laid out
// so that the output directory can be served as the issuer URL's root.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { JSONWebKeySet } from 'jose';
import { writeFileAtomic } from '../keystore/atomic-file.js';

export const JWKS_FILE = 'jwks.json';
export const DISCOVERY_FILE = join('.well-known', 'openid-configuration');

export const CLAIMS_SUPPORTED = ['aud', 'current_env', 'exp', 'iat', 'iss', 'jti', 'nbf', 'root_env', 'sub', 'trigger_user'] as const;

export interface OpenIdConfiguration {
  readonly issuer: string;
  readonly jwks_uri: string;
  readonly response_types_supported: readonly string[];
  readonly subject_types_supported: readonly string[];
  readonly id_token_signing_alg_values_supported: readonly string[];
  readonly scopes_supported: readonly string[];
  readonly claims_supported: readonly string[];
}

export function openIdConfiguration(issuerUrl: string, jwks: JSONWebKeySet): OpenIdConfiguration {
  const issuer = issuerUrl.replace(/\/+$/, '');
  const algs = [...new Set(jwks.keys.map((k) => k.alg).filter((a): a is string => typeof a === 'string'))].sort();
  return {
    issuer,
    jwks_uri: `${issuer}/${JWKS_FILE}`,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: algs,
    scopes_supported: ['openid'],
    claims_supported: [...CLAIMS_SUPPORTED],
  };
}

/** Writes both files under `outDir`; returns their paths. */
export async function writePublication(outDir: string, issuerUrl: string, jwks: JSONWebKeySet): Promise<{ discovery: string; jwks: string }> {
  const discoveryPath = join(outDir, DISCOVERY_FILE);
  const jwksPath = join(outDir, JWKS_FILE);
  await mkdir(join(outDir, '.well-known'), { recursive: true });
  // Public documents: world-readable, as the static host will serve them.
  await writeFileAtomic(jwksPath, JSON.stringify(jwks, null, 2) + '\n', 0o644);
  await writeFileAtomic(discoveryPath, JSON.stringify(openIdConfiguration(issuerUrl, jwks), null, 2) + '\n', 0o644);
  // GitHub Pages (Jekyll) skips dot-directories such as .well-known unless this marker exists.
  await writeFileAtomic(join(outDir, '.nojekyll'), '', 0o644);
  return { discovery: discoveryPath, jwks: jwksPath };
}
