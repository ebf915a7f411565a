// `fn::open::aws-secrets` (https://www.pulumi.com/docs/esc/integrations/dynamic-secrets/aws-secrets/):
// `{region, login, get: {<name>: {secretId, versionId?, versionStage?}}}` → `{<name>: <secret string>}`,
// every value secret. Reads through @aws-sdk/client-secrets-manager with the login's credentials;
// a secret that cannot be read is an error at its own `get` entry, with AWS's code and likely cause.
import { capResponses } from '../../aws/response-cap.js';
import { escValue, type EscValue } from '../../esc/value.js';
import { serviceClientConfig } from '../../aws/service-client.js';
import { describeServiceError } from '../../aws/service-errors.js';
import { resolveServiceEndpoint } from '../../aws/service-endpoint.js';
import { awsLoginInputProperty, credentialsOf } from '../aws-login-input.js';
import { entriesOf, stringAt, unknownKeys, valueAt } from '../input-checks.js';
import { ProviderError, type Provider, type ProviderIssue, type Schema } from '../../esc/provider.js';

const string = { type: 'string' } as const;

export const awsSecretsInputSchema: Schema = {
  type: 'object',
  properties: {
    region: { ...string, description: 'The AWS region to use.' },
    login: awsLoginInputProperty,
    get: {
      type: 'object',
      description: 'A map from names to secrets to read from AWS Secrets Manager.',
      additionalProperties: {
        type: 'object',
        properties: {
          secretId: { ...string, description: 'The ID (name or ARN) of the secret to import.' },
          versionId: { ...string, description: 'The version of the secret to import.' },
          versionStage: { ...string, description: 'The version stage of the secret to import.' },
        },
        required: ['secretId'],
      },
    },
  },
  required: ['region', 'login', 'get'],
};

export const awsSecretsOutputSchema: Schema = { type: 'object', additionalProperties: { type: 'string', secret: true } };

export interface AwsServiceDependencies {
  /** Where AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL are read. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** config.yaml's aws.<service>Endpoint. */
  readonly configured?: string;
}

export function createAwsSecretsProvider(deps: AwsServiceDependencies): Provider {
  return {
    inputSchema: awsSecretsInputSchema,
    outputSchema: awsSecretsOutputSchema,
    validate: (inputs) => unknownKeys(awsSecretsInputSchema, inputs),
    async open(inputs, context) {
      // The SDK client is loaded on first use: most evaluations never read a secret.
      const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
      const region = stringAt(inputs, 'region') ?? '';
      const endpoint = resolveServiceEndpoint({
        service: 'secretsmanager',
        region,
        env: deps.env,
        ...(deps.configured ? { configured: deps.configured } : {}),
        rules: () => new SecretsManagerClient({ region }).config.endpointProvider,
      });
      const client = new SecretsManagerClient(serviceClientConfig({ region, endpoint: endpoint.url, credentials: credentialsOf(inputs) }));
      capResponses(client.middlewareStack);
      try {
        const gets = entriesOf(valueAt(inputs, 'get'));
        const results = await Promise.all(
          gets.map(async ([name, get]): Promise<[string, EscValue] | ProviderIssue> => {
            const secretId = stringAt(get, 'secretId') ?? '';
            const versionId = stringAt(get, 'versionId');
            const versionStage = stringAt(get, 'versionStage');
            try {
              const out = await client.send(
                new GetSecretValueCommand({ SecretId: secretId, ...(versionId ? { VersionId: versionId } : {}), ...(versionStage ? { VersionStage: versionStage } : {}) }),
                context.signal ? { abortSignal: context.signal } : {},
              );
              const text = out.SecretString ?? (out.SecretBinary ? Buffer.from(out.SecretBinary).toString('base64') : undefined);
              if (text === undefined) return { path: ['get', name], message: `secret "${secretId}" has no value in the requested version` };
              return [name, escValue(text, { secret: true })];
            } catch (err) {
              const version = versionId ? ` version ${versionId}` : versionStage ? ` at stage ${versionStage}` : '';
              const failure = describeServiceError(err, {
                service: 'Secrets Manager',
                endpoint: endpoint.url,
                region,
                action: `read secret "${secretId}"`,
                permission: 'secretsmanager:GetSecretValue',
                notFound: `there is no secret "${secretId}"${version} in ${region}: check secretId${versionId || versionStage ? ', the version' : ''} and region`,
              });
              return { path: ['get', name], message: failure.message };
            }
          }),
        );
        const issues = results.filter((r): r is ProviderIssue => !Array.isArray(r));
        if (issues.length > 0) throw new ProviderError(issues);
        return escValue(new Map(results.filter((r): r is [string, EscValue] => Array.isArray(r))));
      } finally {
        client.destroy();
      }
    },
  };
}
