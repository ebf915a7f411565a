// `escd oidc token-file`: a request to the daemon only, so this module stays light (the other oidc
// actions load the runtime and the providers, seconds of imports on a busy machine).
import { UserError } from '../../core/errors.js';

/** `escd oidc token-file`: the daemon (started if needed) keeps the token fresh at the path. */
export async function keepTokenFile(envName: string, opts: { audience: string; path: string; lifetime?: string; json?: boolean }): Promise<void> {
  const [{ resolvePaths }, control, { resolve }, { expandHome }] = await Promise.all([
    import('../../config/paths.js'),
    import('../../../daemon/control.js'),
    import('node:path'),
    import('../../setup/config-files.js'),
  ]);
  let lifetimeSeconds: number | undefined;
  if (opts.lifetime !== undefined) {
    lifetimeSeconds = Number(opts.lifetime);
    if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds < 300 || lifetimeSeconds > 3600) throw new UserError(`--lifetime must be a whole number of seconds from 300 to 3600 (got ${JSON.stringify(opts.lifetime.slice(0, 20))})`, 2);
  }
  const paths = resolvePaths();
  const kept = (await control.ask({ socket: paths.socket, logFile: paths.daemonLog, env: process.env, out: () => {} }, 'tokenfile.keep', {
    kind: 'oidc',
    env: envName,
    audience: opts.audience,
    path: resolve(expandHome(opts.path, process.env)),
    lifetimeSeconds: lifetimeSeconds ?? 3600,
  })) as { path: string; environment: string; expiresAt?: string; nextRenewalAt?: string };
  if (opts.json) process.stdout.write(JSON.stringify(kept, null, 2) + '\n');
  else process.stdout.write(`keeping a token for ${kept.environment} (aud ${opts.audience}) fresh in ${kept.path}; next renewal ${kept.nextRenewalAt ?? 'pending'}\n`);
}
