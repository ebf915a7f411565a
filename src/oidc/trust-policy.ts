// The IAM role trust policy that lets tokens of this issuer assume a role, as in the AWS guides
// for Pulumi ESC (Federated principal = the IAM OIDC provider, conditions on aud and sub).

/** The IAM OIDC provider's name: the issuer URL without its scheme (and without a trailing slash). */
export function providerHostPath(issuerUrl: string): string {
  return issuerUrl.replace(/^https?:\/\//, '').replace(/\/+$/, '');
}

export interface TrustPolicyInput {
  readonly issuerUrl: string;
  /** 12-digit AWS account that holds the role and the OIDC provider. */
  readonly account: string;
  readonly audience: string;
  /** Adds a `:sub` condition. */
  readonly subject?: string;
  /** `aws` unless in another partition (`aws-cn`, `aws-us-gov`). */
  readonly partition?: string;
}

export interface TrustPolicy {
  readonly Version: '2012-10-17';
  readonly Statement: readonly {
    readonly Effect: 'Allow';
    readonly Principal: { readonly Federated: string };
    readonly Action: 'sts:AssumeRoleWithWebIdentity';
    readonly Condition: { readonly StringEquals: Readonly<Record<string, string>> };
  }[];
}

export function trustPolicy(input: TrustPolicyInput): TrustPolicy {
  if (!/^\d{12}$/.test(input.account)) throw new Error(`the account must be 12 digits (got "${input.account}")`);
  const provider = providerHostPath(input.issuerUrl);
  const conditions: Record<string, string> = { [`${provider}:aud`]: input.audience };
  if (input.subject !== undefined) conditions[`${provider}:sub`] = input.subject;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: `arn:${input.partition ?? 'aws'}:iam::${input.account}:oidc-provider/${provider}` },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringEquals: conditions },
      },
    ],
  };
}
