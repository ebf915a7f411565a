// Cloud environments as the daemon's cache sees them: opening one is an evaluation whose result lives
// until the earliest expiry inside it, so the cache's single flight, renewal ahead of expiry and
// last-good serving during an outage apply unchanged (src/cache/environment-cache.ts).
import type { EvaluateResult } from '../esc/types.js';
import type { KeyStore } from '../keystore/types.js';
import { CloudError, createCloudClient, type CloudCall, type CloudClient } from './client.js';
import { accessTokenFor } from './credentials.js';
import type { CloudTarget } from './routing.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface CloudEnvironmentsOptions {
  readonly keyStore: () => Promise<KeyStore>;
  /** The daemon's own environment (its deliberate start), for PULUMI_ACCESS_TOKEN. */
  readonly env: Env;
  readonly now: () => number;
  readonly onCall?: (call: CloudCall) => void;
}

export interface CloudEnvironments {
  open(target: CloudTarget): Promise<EvaluateResult>;
  /** A client for the service at `url` with the stored token (CloudError `unauthorized` when there is none). */
  client(url: string): Promise<CloudClient>;
}

export function cloudEnvironments(options: CloudEnvironmentsOptions): CloudEnvironments {
  // One client per service and token: a new `escd login` takes effect at the next open.
  const clients = new Map<string, Promise<CloudClient>>();
  const clientFor = (url: string, token: string): Promise<CloudClient> => {
    const key = `${url}\n${token}`;
    let client = clients.get(key);
    if (!client) {
      clients.clear();
      client = createCloudClient({ url, token, now: options.now, ...(options.onCall ? { onCall: options.onCall } : {}) });
      clients.set(key, client);
    }
    return client;
  };

  const client = async (url: string): Promise<CloudClient> => {
    // Read on every use (an open is about once an hour per environment): a login or logout applies at once.
    const token = await accessTokenFor(await options.keyStore(), url, options.env);
    if (!token) throw new CloudError('unauthorized', `not logged in to ${url}: run 'escd login ${url}'`);
    return clientFor(url, token);
  };

  return {
    client,
    async open(target) {
      const opened = await (await client(target.url)).open(target.ref);
      return {
        ...(opened.values ? { values: opened.values } : {}),
        diagnostics: opened.diagnostics.map((d) => ({ ...d, file: target.name })),
        expiresAt: opened.expiresAt,
        environments: [target.name],
      };
    },
  };
}
