// `fn::open::aws-parameter-store`
// (https://www.pulumi.com/docs/esc/integrations/dynamic-secrets/aws-parameter-store/):
// `{region, login, get: {<name>: {name, decrypt?}}}` → `{<name>: <value>}`. `name` may end in
// `:<version>` or `:<label>`. A String is a string, a StringList a list of strings, a SecureString a
// secret string (its ciphertext unless `decrypt: true`). Reads through @aws-sdk/client-ssm with the
// login's credentials; a parameter that cannot be read is an error at its own `get` entry.
import { capResponses } from '../../aws/response-cap.js';
import { escValue, type EscValue } from '../../esc/value.js';
import { serviceClientConfig } from '../../aws/service-client.js';
import { describeServiceError } from '../../aws/service-errors.js';
import { resolveServiceEndpoint } from '../../aws/service-endpoint.js';
import { awsLoginInputProperty, credentialsOf } from '../aws-login-input.js';
import { entriesOf, stringAt, unknownKeys, valueAt } from '../input-checks.js';
import type { AwsServiceDependencies } from '../aws-secrets/provider.js';
import { ProviderError, type Provider, type ProviderIssue, type Schema } from '../../esc/provider.js';

export const awsParameterStoreInputSchema: Schema = {
  type: 'object',
  properties: {
    region: { type: 'string', description: 'The AWS region to use.' },
    login: awsLoginInputProperty,
    get: {
      type: 'object',
      description: 'A map from names to parameters to read from AWS Parameter Store.',
      additionalProperties: {
        type: 'object',
        properties: {
          name: { type: 'string', description: 'The name of the parameter; `name:version` or `name:label` for one version.' },
          decrypt: { type: 'boolean', description: 'Whether to decrypt the value (SecureString only).' },
        },
        required: ['name'],
      },
    },
  },
  required: ['region', 'login', 'get'],
};

export const awsParameterStoreOutputSchema: Schema = {
  type: 'object',
  additionalProperties: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
};

function parameterValue(type: string | undefined, value: string): EscValue {
  if (type === 'StringList') return escValue(value.split(',').map((item) => escValue(item)));
  return escValue(value, { secret: type === 'SecureString' });
}

export function createAwsParameterStoreProvider(deps: AwsServiceDependencies): Provider {
  return {
    inputSchema: awsParameterStoreInputSchema,
    outputSchema: awsParameterStoreOutputSchema,
    validate: (inputs) => unknownKeys(awsParameterStoreInputSchema, inputs),
    async open(inputs, context) {
      // The SDK client is loaded on first use: most evaluations never read a parameter.
      const { GetParameterCommand, SSMClient } = await import('@aws-sdk/client-ssm');
      const region = stringAt(inputs, 'region') ?? '';
      const endpoint = resolveServiceEndpoint({
        service: 'ssm',
        region,
        env: deps.env,
        ...(deps.configured ? { configured: deps.configured } : {}),
        rules: () => new SSMClient({ region }).config.endpointProvider,
      });
      const client = new SSMClient(serviceClientConfig({ region, endpoint: endpoint.url, credentials: credentialsOf(inputs) }));
      capResponses(client.middlewareStack);
      try {
        const results = await Promise.all(
          entriesOf(valueAt(inputs, 'get')).map(async ([key, get]): Promise<[string, EscValue] | ProviderIssue> => {
            const name = stringAt(get, 'name') ?? '';
            const decrypt = valueAt(get, 'decrypt')?.data === true;
            try {
              const out = await client.send(new GetParameterCommand({ Name: name, WithDecryption: decrypt }), context.signal ? { abortSignal: context.signal } : {});
              const value = out.Parameter?.Value;
              if (value === undefined) return { path: ['get', key], message: `parameter "${name}" has no value` };
              return [key, parameterValue(out.Parameter?.Type, value)];
            } catch (err) {
              const failure = describeServiceError(err, {
                service: 'SSM',
                endpoint: endpoint.url,
                region,
                action: `read parameter "${name}"`,
                permission: decrypt ? 'ssm:GetParameter (and kms:Decrypt on its key)' : 'ssm:GetParameter',
                notFound: `there is no parameter "${name}" in ${region}: check name (a version or label after ":" must exist too) and region`,
              });
              return { path: ['get', key], message: failure.message };
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
