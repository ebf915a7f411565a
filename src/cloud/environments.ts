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

  return {
    async open(target) {
      // Read on every open (about once an hour per environment): a login or logout applies at once.
      const token = await accessTokenFor(await options.keyStore(), target.url, options.env);
      if (!token) throw new CloudError('unauthorized', `not logged in to ${target.url}: run 'escd login ${target.url}'`);
      const opened = await (await clientFor(target.url, token)).open(target.ref);
      return {
        ...(opened.values ? { values: opened.values } : {}),
        diagnostics: opened.diagnostics.map((d) => ({ ...d, file: target.name })),
        expiresAt: opened.expiresAt,
        environments: [target.name],
      };
    },
  };
}
