// The `aws-login` input and output schemas, as the reference documents them
// (https://www.pulumi.com/docs/esc/providers/login/aws-login/), plus the documented extra output
// `expiration`. Types and required fields only: the evaluator's schema messages cannot say what
// a good ARN or duration looks like, so inputs.ts checks those with clearer words.
import type { Schema } from '../../esc/provider.js';

const string = { type: 'string' } as const;
const stringList = { type: 'array', items: string } as const;

export const awsLoginInputSchema: Schema = {
  type: 'object',
  properties: {
    oidc: {
      type: 'object',
      description: 'Log in with an escd OIDC token (AssumeRoleWithWebIdentity).',
      properties: {
        roleArn: { ...string, description: 'The ARN of the role to assume.' },
        sessionName: { ...string, description: 'The name of the role session.' },
        duration: { ...string, description: 'The session length (Go duration, 15m to 12h). Defaults to 2h.' },
        policyArns: { ...stringList, description: 'ARNs of managed policies that further restrict the session.' },
        subjectAttributes: { ...stringList, description: 'Attributes appended to the token subject.' },
      },
      required: ['roleArn', 'sessionName'],
    },
    static: {
      type: 'object',
      description: 'A static set of credentials.',
      properties: {
        accessKeyId: string,
        secretAccessKey: string,
        sessionToken: string,
      },
      required: ['accessKeyId', 'secretAccessKey'],
    },
  },
};

const secretString = { type: 'string', secret: true } as const;

export const awsLoginOutputSchema: Schema = {
  type: 'object',
  properties: {
    accessKeyId: secretString,
    secretAccessKey: secretString,
    sessionToken: secretString,
    /** escd's extra: when the credentials stop working (ISO 8601, UTC); absent for static credentials. */
    expiration: string,
  },
  required: ['accessKeyId', 'secretAccessKey', 'sessionToken'],
  // Closed, so that a misspelt output (`${aws.login.keyId}`) is an error when the definition is checked.
  additionalProperties: false,
};
