// `escd setup aws --role-name R`: what pulumi/esc's `esc setup aws` does, for escd's issuer. With the
// caller's AWS credentials (the SDK's default chain): find the account, create the IAM OIDC provider
// for escd's issuer URL (or add escd's audience to the existing one), create the role with escd's
// trust policy (an existing role is kept as it is), attach the AWS managed policy. Returns what it
// did; the caller prints it and writes or prints the environment.
import { AddClientIDToOpenIDConnectProviderCommand, AttachRolePolicyCommand, GetOpenIDConnectProviderCommand, CreateOpenIDConnectProviderCommand, CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { awsAudience, type EscdConfig } from '../config/config.js';
import { resolveServiceEndpoint } from '../aws/service-endpoint.js';
import { resolveStsEndpoint } from '../aws/sts-endpoint.js';
import { describeServiceError } from '../aws/service-errors.js';
import { quietSdkVersionWarning } from '../aws/sdk-env.js';
import { fetchThumbprint } from '../oidc/thumbprint.js';
import { providerHostPath, trustPolicy } from '../oidc/trust-policy.js';
import { EscdError } from '../core/errors.js';

export interface AwsOidcSetupOptions {
  readonly roleName: string;
  /** An AWS managed policy name; default AdministratorAccess, as the reference. */
  readonly policy?: string;
}

export interface AwsOidcSetupResult {
  readonly account: string;
  readonly partition: string;
  readonly providerArn: string;
  readonly provider: 'created' | 'existing';
  readonly audience: string;
  readonly audienceAdded: boolean;
  readonly roleArn: string;
  readonly role: 'created' | 'existing';
  readonly policyArn: string;
  /** Set when the certificate thumbprint could not be read (IAM then finds it itself). */
  readonly thumbprintNote?: string;
}

const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const POLICY_NAME = /^[\w+=,.@/-]{1,128}$/;

/** The environment `--environment` writes (and the command prints otherwise), as the reference's. */
export function awsLoginEnvironmentYaml(roleArn: string): string {
  return `values:
  aws:
    login:
      fn::open::aws-login:
        oidc:
          duration: 1h
          roleArn: ${roleArn}
          sessionName: escd-session
  environmentVariables:
    AWS_ACCESS_KEY_ID: \${aws.login.accessKeyId}
    AWS_SECRET_ACCESS_KEY: \${aws.login.secretAccessKey}
    AWS_SESSION_TOKEN: \${aws.login.sessionToken}
`;
}

const errorName = (err: unknown): string | undefined => (typeof err === 'object' && err !== null ? (err as { name?: string }).name : undefined);

export async function setupAwsOidc(config: EscdConfig, env: Readonly<Record<string, string | undefined>>, options: AwsOidcSetupOptions): Promise<AwsOidcSetupResult> {
  if (!ROLE_NAME.test(options.roleName)) throw new EscdError('bad_request', `--role-name: "${options.roleName}" is not an IAM role name (1 to 64 letters, digits and +=,.@_-)`);
  const policy = options.policy ?? 'AdministratorAccess';
  if (!POLICY_NAME.test(policy)) throw new EscdError('bad_request', `--policy: "${policy}" is not an AWS managed policy name (like ReadOnlyAccess)`);
  if (!config.issuer.url.startsWith('https://')) throw new EscdError('bad_request', `issuer.url must be an https:// URL for AWS to trust it (config.yaml has ${config.issuer.url})`);
  quietSdkVersionWarning();
  const region = config.aws.region;
  const sts = resolveStsEndpoint({ region, env, ...(config.aws.stsEndpoint ? { configured: config.aws.stsEndpoint } : {}) });
  const iam = resolveServiceEndpoint({ service: 'iam', region, env, ...(config.aws.iamEndpoint ? { configured: config.aws.iamEndpoint } : {}), rules: () => new IAMClient({ region }).config.endpointProvider });
  const settings = { region, maxAttempts: 2, userAgentAppId: 'escd' };
  const stsClient = new STSClient({ ...settings, endpoint: sts.url });
  const iamClient = new IAMClient({ ...settings, endpoint: iam.url });
  const fail = (err: unknown, action: string, permission: string, service = 'IAM', endpoint = iam.url, notFound?: string): never => {
    throw new EscdError('bad_request', describeServiceError(err, { service, endpoint, region, action, permission, ...(notFound ? { notFound } : {}) }).message);
  };
  try {
    const identity = await stsClient.send(new GetCallerIdentityCommand({})).catch((err: unknown) => fail(err, 'find your AWS account (GetCallerIdentity)', 'valid AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, ...)', 'STS', sts.url));
    const account = identity.Account ?? '';
    const partition = identity.Arn?.split(':')[1] ?? 'aws';
    const host = providerHostPath(config.issuer.url);
    const audience = awsAudience(config);
    const providerArn = `arn:${partition}:iam::${account}:oidc-provider/${host}`;

    // The thumbprint is optional for IAM (it finds the CA itself); give it when the host answers.
    let thumbprintNote: string | undefined;
    const hostName = new URL(config.issuer.url).hostname;
    const thumbprint = await fetchThumbprint(hostName, 443, 5_000).catch((err: unknown) => {
      thumbprintNote = `${(err as Error).message}; IAM will read it itself`;
      return undefined;
    });

    let provider: AwsOidcSetupResult['provider'] = 'created';
    let audienceAdded = true;
    try {
      await iamClient.send(new CreateOpenIDConnectProviderCommand({ Url: config.issuer.url, ClientIDList: [audience], ...(thumbprint ? { ThumbprintList: [thumbprint.sha1] } : {}) }));
    } catch (err) {
      if (errorName(err) !== 'EntityAlreadyExistsException') fail(err, `create the IAM OIDC provider for ${config.issuer.url}`, 'iam:CreateOpenIDConnectProvider');
      provider = 'existing';
      const existing = await iamClient
        .send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: providerArn }))
        .catch((getErr: unknown) => fail(getErr, `read the IAM OIDC provider ${providerArn}`, 'iam:GetOpenIDConnectProvider'));
      if (existing.ClientIDList?.includes(audience)) audienceAdded = false;
      else {
        await iamClient
          .send(new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: providerArn, ClientID: audience }))
          .catch((addErr: unknown) => fail(addErr, `add the audience ${audience} to ${providerArn}`, 'iam:AddClientIDToOpenIDConnectProvider'));
      }
    }

    let role: AwsOidcSetupResult['role'] = 'created';
    const document = JSON.stringify(trustPolicy({ issuerUrl: config.issuer.url, account, audience, partition }));
    try {
      await iamClient.send(new CreateRoleCommand({ RoleName: options.roleName, AssumeRolePolicyDocument: document, Description: `Assumed by escd (${config.issuer.url})` }));
    } catch (err) {
      if (errorName(err) !== 'EntityAlreadyExistsException') fail(err, `create the role ${options.roleName}`, 'iam:CreateRole');
      role = 'existing';
    }
    const policyArn = `arn:${partition}:iam::aws:policy/${policy}`;
    await iamClient.send(new AttachRolePolicyCommand({ RoleName: options.roleName, PolicyArn: policyArn })).catch((err: unknown) => fail(err, `attach ${policyArn} to ${options.roleName}`, 'iam:AttachRolePolicy', 'IAM', iam.url, `AWS has no managed policy "${policy}": check --policy (e.g. ReadOnlyAccess)`));
    return {
      account,
      partition,
      providerArn,
      provider,
      audience,
      audienceAdded,
      roleArn: `arn:${partition}:iam::${account}:role/${options.roleName}`,
      role,
      policyArn,
      ...(thumbprintNote ? { thumbprintNote } : {}),
    };
  } finally {
    stsClient.destroy();
    iamClient.destroy();
  }
}
