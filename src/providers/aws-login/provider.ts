// `fn::open::aws-login`: AWS credentials from an escd OIDC token (AssumeRoleWithWebIdentity) or
// from static values. Outputs `accessKeyId`, `secretAccessKey`, `sessionToken` (secret) and, for
// OIDC sessions, `expiration` (ISO 8601, not secret), which is also reported through
// context.noteExpiry so caches drop the environment before the session ends.
import type { Clock } from '../../clock/clock.js';
import { escValue, toPlain, type EscValue } from '../../esc/value.js';
import { contextString } from '../context.js';
import type { TokenIssuer } from '../../oidc/types.js';
import type { WebIdentitySts } from '../../aws/sts-client.js';
import type { Provider, ProviderContext } from '../../esc/provider.js';
import { awsLoginInputIssues, parseAwsLoginInputs, type OidcLogin } from './inputs.js';
import { awsLoginInputSchema, awsLoginOutputSchema } from './schema.js';

export interface AwsLoginDependencies {
  readonly issuer: TokenIssuer;
  /** The STS to call; a function so a bad endpoint setting is reported when OIDC is first used. */
  readonly sts: () => WebIdentitySts;
  readonly clock: Clock;
  /** The token's `aud`; default `aws:<org>` (config.yaml aws.audience sets another). */
  readonly audience?: string;
}


function credentialsValue(values: { accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration?: Date }): EscValue {
  const secret = (text: string): EscValue => escValue(text, { secret: true });
  const entries: [string, EscValue][] = [
    ['accessKeyId', secret(values.accessKeyId)],
    ['secretAccessKey', secret(values.secretAccessKey)],
    ['sessionToken', secret(values.sessionToken)],
  ];
  if (values.expiration) entries.push(['expiration', escValue(values.expiration.toISOString())]);
  return escValue(new Map(entries));
}

async function openOidc(login: OidcLogin, context: ProviderContext, deps: AwsLoginDependencies): Promise<EscValue> {
  const org = contextString(context.execution, ['pulumi', 'organization', 'login']);
  if (!org) throw new Error('aws-login: context.pulumi.organization.login is not set, so the token subject (and the audience aws:<org>) cannot be formed');
  const userLogin = contextString(context.execution, ['pulumi', 'user', 'login']) ?? '';
  context.signal?.throwIfAborted();

  let token: string;
  try {
    token = await deps.issuer.mint({
      audience: deps.audience ?? `aws:${org}`,
      org,
      currentEnvironment: context.currentEnvironment,
      rootEnvironment: context.rootEnvironment,
      userLogin,
      ...(login.subjectAttributes ? { subjectAttributes: login.subjectAttributes } : {}),
    });
  } catch (err) {
    throw new Error(`aws-login: cannot sign the OIDC token: ${err instanceof Error ? err.message : String(err)}`);
  }

  const sts = deps.sts();
  const session = await sts.assumeRoleWithWebIdentity({
    roleArn: login.roleArn,
    sessionName: login.sessionName,
    token,
    durationSeconds: login.durationSeconds,
    policyArns: login.policyArns,
    ...(context.signal ? { signal: context.signal } : {}),
  });
  if (session.expiration.getTime() <= deps.clock.now()) {
    throw new Error(
      `aws-login: STS at ${sts.endpoint} returned credentials that expired at ${session.expiration.toISOString()}, before now (${new Date(deps.clock.now()).toISOString()}): is this computer's clock right?`,
    );
  }
  context.noteExpiry(session.expiration);
  return credentialsValue(session);
}

export function createAwsLoginProvider(deps: AwsLoginDependencies): Provider {
  return {
    inputSchema: awsLoginInputSchema,
    outputSchema: awsLoginOutputSchema,
    validate: awsLoginInputIssues,
    async open(inputs, context) {
      const login = parseAwsLoginInputs(toPlain(inputs));
      if (login.kind === 'static') {
        // Static credentials do not expire as far as escd can tell; sessionToken is '' when not given,
        // so `${aws.login.sessionToken}` still resolves.
        return credentialsValue({ accessKeyId: login.accessKeyId, secretAccessKey: login.secretAccessKey, sessionToken: login.sessionToken ?? '' });
      }
      return openOidc(login, context, deps);
    },
  };
}
