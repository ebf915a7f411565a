// Pulumi Cloud access tokens. They live only in escd's key store (the OS keychain where there is one),
// one per service URL, as the `esc` CLI keeps one per backend; PULUMI_ACCESS_TOKEN is honoured where a
// process was started deliberately with it (`escd login`, `escd start`), as `esc` honours it.
import type { KeyStore } from '../keystore/types.js';

type Env = Readonly<Record<string, string | undefined>>;

export const keyNameFor = (url: string): string => `pulumi-access-token:${url}`;

/** A token that could not be a Pulumi access token (empty, multi-line, absurdly long) is refused before it is stored. */
export function checkTokenShape(token: string): string | undefined {
  if (token.length === 0) return 'the access token is empty';
  if (/\s/.test(token)) return 'the access token contains white space';
  if (token.length > 1024) return 'the access token is longer than 1024 characters';
  return undefined;
}

export async function storeAccessToken(keys: KeyStore, url: string, token: string): Promise<void> {
  await keys.set(keyNameFor(url), token);
}

export async function forgetAccessToken(keys: KeyStore, url: string): Promise<boolean> {
  const had = (await keys.get(keyNameFor(url))) !== undefined;
  if (had) await keys.delete(keyNameFor(url));
  return had;
}

/** The stored token for `url`, else PULUMI_ACCESS_TOKEN from the process's own (deliberate) start. */
export async function accessTokenFor(keys: KeyStore, url: string, env: Env): Promise<string | undefined> {
  return (await keys.get(keyNameFor(url))) ?? (env.PULUMI_ACCESS_TOKEN || undefined);
}
