// `fn::rotate::aws-iam` (https://www.pulumi.com/docs/esc/integrations/rotated-secrets/aws-iam/): an IAM
// user's access keys. State and output are `{current, previous}`, each `{accessKeyId, secretAccessKey
// (secret), createDate}`. A rotation creates a new key, which becomes `current`; the old current
// becomes `previous`. IAM allows two keys a user, so a key that is neither kept (the old current)
// is deleted first: at most two remain. Through @aws-sdk/client-iam with the login's credentials.
import { capResponses } from '../../aws/response-cap.js';
import type { Rotator } from '../../esc/types.js';
import { escValue, type EscValue } from '../../esc/value.js';
import type { Schema } from '../../esc/provider.js';
import { serviceClientConfig } from '../../aws/service-client.js';
import { describeServiceError } from '../../aws/service-errors.js';
import { resolveServiceEndpoint } from '../../aws/service-endpoint.js';
import { awsLoginInputProperty, credentialsOf } from '../aws-login-input.js';
import { stringAt, unknownKeys, valueAt } from '../input-checks.js';
import { ProviderError } from '../../esc/provider.js';

const key: Schema = {
  type: 'object',
  properties: { accessKeyId: { type: 'string' }, secretAccessKey: { type: 'string' }, createDate: { type: 'string' } },
  required: ['accessKeyId', 'secretAccessKey'],
};

export const awsIamInputSchema: Schema = {
  type: 'object',
  properties: {
    region: { type: 'string', description: 'The AWS region to use (IAM is global; default the configured region).' },
    login: { ...(awsLoginInputProperty as object), rotateOnly: true },
    userArn: { type: 'string', description: 'The ARN of the IAM user.' },
  },
  required: ['login', 'userArn'],
};
export const awsIamStateSchema: Schema = { type: 'object', properties: { current: key, previous: key } };
export const awsIamOutputSchema: Schema = awsIamStateSchema;

const USER_ARN = /^arn:[a-z][a-z0-9-]*:iam::\d{12}:user\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;

export interface AwsIamDependencies {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** config.yaml aws.iamEndpoint. */
  readonly configured?: string;
  /** The region when the inputs name none. */
  readonly defaultRegion: string;
}

function keyValue(accessKeyId: string, secretAccessKey: string, createDate: Date | undefined): EscValue {
  return escValue(
    new Map<string, EscValue>([
      ['accessKeyId', escValue(accessKeyId)],
      ['secretAccessKey', escValue(secretAccessKey, { secret: true })],
      ...(createDate ? ([['createDate', escValue(createDate.toISOString())]] as [string, EscValue][]) : []),
    ]),
  );
}

/** The state as output: `{current, previous}` with what is known (empty before the first rotation). */
function stateOutput(state: EscValue | null): EscValue {
  const out = new Map<string, EscValue>();
  for (const name of ['current', 'previous']) {
    const item = state === null ? undefined : valueAt(state, name);
    if (item !== undefined && item.data !== null) out.set(name, item);
  }
  return escValue(out);
}

export function createAwsIamRotator(deps: AwsIamDependencies): Rotator {
  return {
    inputSchema: awsIamInputSchema,
    stateSchema: awsIamStateSchema,
    outputSchema: awsIamOutputSchema,
    validate(inputs) {
      const issues = unknownKeys(awsIamInputSchema, inputs);
      const arn = stringAt(inputs, 'userArn');
      if (arn !== undefined && !USER_ARN.test(arn)) {
        issues.push({ path: ['userArn'], message: `userArn: "${arn}" is not an IAM user ARN (expected arn:<partition>:iam::<12-digit account>:user/<name>)` });
      }
      return issues;
    },
    open: async (_inputs, state) => stateOutput(state),
    async rotate(inputs, state, context) {
      // The SDK client is loaded when a rotation runs, not by every evaluation.
      const { CreateAccessKeyCommand, DeleteAccessKeyCommand, IAMClient, ListAccessKeysCommand } = await import('@aws-sdk/client-iam');
      const userName = USER_ARN.exec(stringAt(inputs, 'userArn') ?? '')?.[1] ?? '';
      const region = stringAt(inputs, 'region') ?? deps.defaultRegion;
      const endpoint = resolveServiceEndpoint({
        service: 'iam',
        region,
        env: deps.env,
        ...(deps.configured ? { configured: deps.configured } : {}),
        rules: () => new IAMClient({ region }).config.endpointProvider,
      });
      const client = new IAMClient(serviceClientConfig({ region, endpoint: endpoint.url, credentials: credentialsOf(inputs) }));
      capResponses(client.middlewareStack);
      const options = context.signal ? { abortSignal: context.signal } : {};
      const call = async <T>(action: string, permission: string, send: () => Promise<T>): Promise<T> => {
        try {
          return await send();
        } catch (err) {
          const failure = describeServiceError(err, { service: 'IAM', endpoint: endpoint.url, region, action, permission, notFound: `there is no IAM user "${userName}": check userArn` });
          throw new ProviderError([{ path: ['userArn'], message: failure.message }]);
        }
      };
      try {
        const current = state === null ? undefined : valueAt(state, 'current');
        const currentId = stringAt(current, 'accessKeyId');
        const listed = await call(`list the access keys of "${userName}"`, 'iam:ListAccessKeys', () => client.send(new ListAccessKeysCommand({ UserName: userName }), options));
        const keys = [...(listed.AccessKeyMetadata ?? [])].sort((a, b) => (a.CreateDate?.getTime() ?? 0) - (b.CreateDate?.getTime() ?? 0));
        // Room for the new key: delete the oldest keys other than the one kept as `previous`.
        const removable = keys.filter((k) => k.AccessKeyId !== currentId);
        while (keys.length >= 2 && removable.length > 0) {
          const victim = removable.shift()!;
          await call(`delete access key ${victim.AccessKeyId} of "${userName}"`, 'iam:DeleteAccessKey', () =>
            client.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: victim.AccessKeyId }), options),
          );
          keys.splice(keys.indexOf(victim), 1);
        }
        if (keys.length >= 2) throw new ProviderError([{ path: ['userArn'], message: `user "${userName}" already has two access keys and escd may keep both: delete one` }]);
        const created = await call(`create an access key for "${userName}"`, 'iam:CreateAccessKey', () => client.send(new CreateAccessKeyCommand({ UserName: userName }), options));
        const made = created.AccessKey;
        if (!made?.AccessKeyId || !made.SecretAccessKey) throw new Error(`IAM at ${endpoint.url} answered CreateAccessKey without a key`);
        const next = new Map<string, EscValue>([['current', keyValue(made.AccessKeyId, made.SecretAccessKey, made.CreateDate)]]);
        if (current !== undefined && currentId !== undefined && keys.some((k) => k.AccessKeyId === currentId)) next.set('previous', current);
        return escValue(next);
      } finally {
        client.destroy();
      }
    },
  };
}
