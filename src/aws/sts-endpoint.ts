// Which STS endpoint escd talks to. escd decides it here, once, and hands the SDK an explicit
// endpoint: the SDK would otherwise look on its own in process.env and in ~/.aws/config
// (`endpoint_url`, `services` sections), which the daemon should not pick up by surprise, and the
// error messages could not name where the request went.
//
// Order: AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL (both skipped when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
// is true, as in the SDKs), config `aws.stsEndpoint`, then the regional endpoint of `aws.region`.
import { createRequire } from 'node:module';
import type { STSClient } from '@aws-sdk/client-sts';
import { quietSdkVersionWarning } from './sdk-env.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface StsEndpoint {
  /** An http(s) URL without a trailing slash. */
  readonly url: string;
  /** Where it came from, for messages and `escd status`. */
  readonly source: 'AWS_ENDPOINT_URL_STS' | 'AWS_ENDPOINT_URL' | 'aws.stsEndpoint' | 'aws.region';
}

export class StsEndpointError extends Error {}

let rules: STSClient['config']['endpointProvider'] | undefined;
// The SDK takes ~100 ms and ~15 MB to load: only when an endpoint is first derived from a region,
// not in every process that imports this file (the daemon before its first STS call, the CLI).
const requireSdk = createRequire(import.meta.url);

/**
 * `https://sts.<region>.<partition suffix>` from the SDK's own endpoint rules (so `cn-north-1`
 * gives `amazonaws.com.cn`, GovCloud and ISO regions their hosts). Never the legacy global endpoint.
 */
export function regionalStsUrl(region: string): string {
  if (!/^[a-z]{2,}(?:-[a-z0-9]+)+$/.test(region)) throw new StsEndpointError(`aws.region: "${region}" is not an AWS region name (like us-east-1)`);
  if (!rules) {
    quietSdkVersionWarning();
    // Only the client's endpoint rules are used: no request, no configuration lookup.
    const sdk = requireSdk('@aws-sdk/client-sts') as typeof import('@aws-sdk/client-sts');
    rules = new sdk.STSClient({ region: 'us-east-1' }).config.endpointProvider;
  }
  const { url } = rules({ Region: region, UseFIPS: false, UseDualStack: false, UseGlobalEndpoint: false });
  return url.href.replace(/\/+$/, '');
}

function checkedUrl(text: string, source: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new StsEndpointError(`${source}: "${text}" is not a URL (expected e.g. https://sts.eu-west-1.amazonaws.com)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new StsEndpointError(`${source}: "${text}" must be an http:// or https:// URL`);
  return text.replace(/\/+$/, '');
}

export function resolveStsEndpoint(options: { readonly region: string; readonly configured?: string; readonly env: Env }): StsEndpoint {
  const { env } = options;
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.toLowerCase() !== 'true') {
    for (const source of ['AWS_ENDPOINT_URL_STS', 'AWS_ENDPOINT_URL'] as const) {
      const value = env[source]?.trim();
      if (value) return { url: checkedUrl(value, source), source };
    }
  }
  if (options.configured) return { url: checkedUrl(options.configured, 'aws.stsEndpoint'), source: 'aws.stsEndpoint' };
  return { url: regionalStsUrl(options.region), source: 'aws.region' };
}
