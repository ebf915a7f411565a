// kubectl exec-plugin answers. Tokens are minted on demand and kept with the session they came from;
// one is reused while it has at least 5 minutes left (or half its life, for tokens shorter than 10 min),
// so kubectl never gets a token about to lapse and the daemon does not sign one per call.
import { EscdError } from '../src/core/errors.js';
import type { Session } from '../src/cache/environment-cache.js';
import type { KubeApiVersion, MethodParams } from '../src/protocol/wire.js';
import { awsCredentials, environmentVariables, execCredential, type AwsCredentials } from './credentials.js';

export interface KubeToken {
  readonly token: string;
  readonly expiresAt: number;
}

/** Where tokens come from: an EKS token presigned with the session's AWS credentials, or an issuer JWT. */
export interface KubeTokenSources {
  eks(args: { credentials: AwsCredentials; cluster: string; region: string }): Promise<KubeToken>;
  oidc(args: { environment: string; audience: string; lifetimeSeconds?: number }): Promise<KubeToken>;
}

export const KUBE_TOKEN_REUSE_MS = 5 * 60_000;

interface Minted {
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly json: string;
}

interface Slot {
  pending?: Promise<Minted>;
  minted?: Minted;
}

function reusable(minted: Minted, now: number): boolean {
  const reuseFloor = Math.min(KUBE_TOKEN_REUSE_MS, (minted.expiresAt - minted.issuedAt) / 2);
  return minted.expiresAt - now >= reuseFloor;
}

export interface KubeRequestContext {
  readonly sources: KubeTokenSources;
  /** config.aws.region: the last fallback for EKS tokens. */
  readonly defaultRegion: string;
  readonly now: () => number;
}

/** The ExecCredential JSON text for `params`, from the session's token slot or freshly minted. */
export async function kubeCredentialJson(session: Session, params: MethodParams['kube.credentials'], ctx: KubeRequestContext): Promise<string> {
  const vars = environmentVariables(session);
  const region = params.region ?? vars.AWS_REGION ?? vars.AWS_DEFAULT_REGION ?? ctx.defaultRegion;
  const audience = params.audience ?? params.cluster;
  const key = params.oidc ? `kube:oidc:${audience}:${params.apiVersion}` : `kube:eks:${params.cluster}:${region}:${params.apiVersion}`;
  let slot = session.memo.get(key) as Slot | undefined;
  if (!slot) session.memo.set(key, (slot = {}));
  if (slot.minted && reusable(slot.minted, ctx.now())) return slot.minted.json;
  if (!slot.pending) {
    const owner = slot;
    const credentials = params.oidc ? undefined : awsCredentials(session); // not_credentials before any minting
    owner.pending = mint(session, params, region, audience, credentials, ctx).then(
      (minted) => {
        owner.minted = minted;
        owner.pending = undefined;
        return minted;
      },
      (err: unknown) => {
        owner.pending = undefined;
        throw err;
      },
    );
  }
  return (await slot.pending!).json;
}

/** A new token for `params` (never a reused one): what kept token files are written with. */
export async function freshKubeToken(session: Session, params: Omit<MethodParams['kube.credentials'], 'apiVersion' | 'env'>, ctx: KubeRequestContext): Promise<KubeToken> {
  const vars = environmentVariables(session);
  const region = params.region ?? vars.AWS_REGION ?? vars.AWS_DEFAULT_REGION ?? ctx.defaultRegion;
  const credentials = params.oidc ? undefined : awsCredentials(session);
  return mintToken(session, params.cluster, region, params.audience ?? params.cluster, credentials, ctx);
}

async function mint(
  session: Session,
  params: MethodParams['kube.credentials'],
  region: string,
  audience: string,
  credentials: AwsCredentials | undefined,
  ctx: KubeRequestContext,
): Promise<Minted> {
  const issuedAt = ctx.now();
  const token = await mintToken(session, params.cluster, region, audience, credentials, ctx);
  return { issuedAt, expiresAt: token.expiresAt, json: JSON.stringify(execCredential(params.apiVersion as KubeApiVersion, token.token, token.expiresAt)) };
}

async function mintToken(session: Session, cluster: string, region: string, audience: string, credentials: AwsCredentials | undefined, ctx: KubeRequestContext): Promise<KubeToken> {
  let token: KubeToken;
  try {
    if (credentials) {
      token = await ctx.sources.eks({ credentials, cluster, region });
      // The presigned request is only good while the credentials that signed it are.
      if (credentials.expiration) token = { token: token.token, expiresAt: Math.min(token.expiresAt, credentials.expiration.getTime()) };
    } else {
      token = await ctx.sources.oidc({ environment: session.environment, audience });
    }
  } catch (err) {
    const why = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
    throw new EscdError('upstream_failed', `cannot make ${credentials ? 'an EKS' : 'an OIDC'} token for cluster '${cluster}': ${why}`);
  }
  return token;
}
