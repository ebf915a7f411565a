// The `login` input of the AWS providers (aws-secrets, aws-parameter-store) and the aws-iam
// rotator: the output of `fn::open::aws-login`, passed as `login: ${aws.login}`.
import type { EscValue } from '../esc/value.js';
import type { AwsCredentials } from '../aws/service-client.js';
import { stringAt, valueAt } from './input-checks.js';
import type { Schema } from '../esc/provider.js';

const string = { type: 'string' } as const;

export const awsLoginInputProperty: Schema = {
  type: 'object',
  description: 'Credentials to use to log in to AWS (the output of fn::open::aws-login).',
  properties: {
    accessKeyId: { ...string, description: 'The AWS access key ID.' },
    secretAccessKey: { ...string, description: 'The AWS secret access key.' },
    sessionToken: { ...string, description: 'The AWS session token, if any.' },
    expiration: { ...string, description: "escd's aws-login: when the session ends (ignored here)." },
  },
  required: ['accessKeyId', 'secretAccessKey'],
};

/** The credentials of a checked `login` input (the schema made sure the two keys are strings). */
export function credentialsOf(inputs: EscValue): AwsCredentials {
  const login = valueAt(inputs, 'login');
  const sessionToken = stringAt(login, 'sessionToken');
  return {
    accessKeyId: stringAt(login, 'accessKeyId') ?? '',
    secretAccessKey: stringAt(login, 'secretAccessKey') ?? '',
    ...(sessionToken ? { sessionToken } : {}),
  };
}
