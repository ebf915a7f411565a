// Which endpoint escd calls for an AWS service other than STS (Secrets Manager, SSM, IAM), by the
// same rules as src/aws/sts-endpoint.ts: the service's AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL
// (both skipped when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true), config.yaml's aws.<service>Endpoint,
// then the regional endpoint from the SDK client's own rules. Always explicit, so the SDK never
// looks in ~/.aws/config by itself.
import { quietSdkVersionWarning } from './sdk-env.js';
import { StsEndpointError } from './sts-endpoint.js';

type Env = Readonly<Record<string, string | undefined>>;

export type AwsService = 'secretsmanager' | 'ssm' | 'iam';

/** The SDK's service-specific variables (the service id, upper-cased, spaces as underscores). */
export const SERVICE_ENDPOINT_VARIABLES: Readonly<Record<AwsService, string>> = {
  secretsmanager: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  ssm: 'AWS_ENDPOINT_URL_SSM',
  iam: 'AWS_ENDPOINT_URL_IAM',
};

/** config.yaml's field for each service. */
export const SERVICE_CONFIG_FIELDS = {
  secretsmanager: 'secretsManagerEndpoint',
  ssm: 'ssmEndpoint',
  iam: 'iamEndpoint',
} as const satisfies Readonly<Record<AwsService, string>>;

export interface ServiceEndpoint {
  readonly url: string;
  /** Where it came from, for messages. */
  readonly source: string;
}

/** An SDK client's endpoint rules (`client.config.endpointProvider`). */
export type EndpointRules = (params: { Region: string; UseFIPS: boolean; UseDualStack: boolean }) => { url: URL };

function checkedUrl(text: string, source: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new StsEndpointError(`${source}: "${text}" is not a URL (expected e.g. https://ssm.eu-west-1.amazonaws.com)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new StsEndpointError(`${source}: "${text}" must be an http:// or https:// URL`);
  return text.replace(/\/+$/, '');
}

export function resolveServiceEndpoint(options: {
  readonly service: AwsService;
  readonly region: string;
  readonly env: Env;
  /** config.yaml's aws.<service>Endpoint. */
  readonly configured?: string;
  /** The SDK's rules for the regional endpoint; called only when nothing overrides it. */
  readonly rules: () => EndpointRules;
}): ServiceEndpoint {
  const { env, service } = options;
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.toLowerCase() !== 'true') {
    for (const source of [SERVICE_ENDPOINT_VARIABLES[service], 'AWS_ENDPOINT_URL']) {
      const value = env[source]?.trim();
      if (value) return { url: checkedUrl(value, source), source };
    }
  }
  const field = `aws.${SERVICE_CONFIG_FIELDS[service]}`;
  if (options.configured) return { url: checkedUrl(options.configured, field), source: field };
  if (!/^[a-z]{2,}(?:-[a-z0-9]+)+$/.test(options.region)) throw new StsEndpointError(`region: "${options.region}" is not an AWS region name (like us-east-1)`);
  quietSdkVersionWarning();
  const { url } = options.rules()({ Region: options.region, UseFIPS: false, UseDualStack: false });
  return { url: url.href.replace(/\/+$/, ''), source: 'region' };
}
