// Environment definitions the tests write. One a kind, so a change to the language or the README's
// example is made once.

export interface AwsLoginEnvironment {
  readonly roleArn: string;
  readonly sessionName: string;
  /** Default 1h. */
  readonly duration?: string;
  /** Also sets environmentVariables.AWS_REGION. */
  readonly region?: string;
}

/** An aws-login (OIDC) environment projected for AWS clients, as the README shows it. */
export function awsLoginEnvironment(options: AwsLoginEnvironment): string {
  return `values:
  aws:
    login:
      fn::open::aws-login:
        oidc:
          roleArn: ${options.roleArn}
          sessionName: ${options.sessionName}
          duration: ${options.duration ?? '1h'}
  environmentVariables:
    AWS_ACCESS_KEY_ID: \${aws.login.accessKeyId}
    AWS_SECRET_ACCESS_KEY: \${aws.login.secretAccessKey}
    AWS_SESSION_TOKEN: \${aws.login.sessionToken}
${options.region ? `    AWS_REGION: ${options.region}\n` : ''}`;
}
