// The variables of the AWS SDKs' container credentials provider, as escd hands them out
// (`escd endpoint`, `escd run --endpoint`).

/** AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN for a grant. */
export function endpointVariables(grant: { readonly url: string; readonly token: string }): Record<string, string> {
  return { AWS_CONTAINER_CREDENTIALS_FULL_URI: grant.url, AWS_CONTAINER_AUTHORIZATION_TOKEN: grant.token };
}

/**
 * What a process given the endpoint must not also get: the keys themselves, and the container
 * settings that an SDK reads before (RELATIVE_URI) or instead of (TOKEN_FILE) the two above.
 */
export const ENDPOINT_WITHHELD = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
] as const;

/** A copy of `vars` without ENDPOINT_WITHHELD. */
export function withoutAwsKeys<T extends Record<string, string | undefined>>(vars: T): T {
  const out = { ...vars };
  for (const name of ENDPOINT_WITHHELD) delete out[name];
  return out;
}
