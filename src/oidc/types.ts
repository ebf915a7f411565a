// What a provider asks of the OIDC issuer. Implemented by src/oidc/issuer.ts.

export interface TokenRequest {
  /** `aud`, e.g. `aws:<org>`. */
  readonly audience: string;
  /** The organization (`pulumi.organization.login`). */
  readonly org: string;
  /** `current_env`: the environment holding the provider call. */
  readonly currentEnvironment: string;
  /** `root_env`: the environment that was opened. */
  readonly rootEnvironment: string;
  /** `trigger_user`: `pulumi.user.login`. */
  readonly userLogin: string;
  /**
   * Customises `sub` as the reference's `subjectAttributes`: names among `rootEnvironment.name`,
   * `currentEnvironment.name`, `pulumi.user.login`, `pulumi.organization.login`. Absent = the default subject.
   */
  readonly subjectAttributes?: readonly string[];
  /** Overrides the configured lifetime, in seconds. */
  readonly lifetimeSeconds?: number;
  /** Claims added to the standard ones, which they cannot replace (the external provider's `org`, `body_hash`). */
  readonly extraClaims?: Readonly<Record<string, string>>;
}

export interface TokenIssuer {
  /** The `iss` of every token. */
  readonly issuerUrl: string;
  /** Signs a fresh token (unique `jti`, `iat`/`nbf` now, short `exp`). */
  mint(request: TokenRequest): Promise<string>;
}
