// `escd oidc token-file`: a request to the daemon only, so this module stays light (the other oidc
import { EscdError } from '../../core/errors.js';
// actions load the runtime and the providers, seconds of imports on a busy machine).

/** `escd oidc token-file`: the daemon (started if needed) keeps the token fresh at the path. */
export async function keepTokenFile(envName: string | undefined, opts: { audience?: string; path: string; lifetime?: string; remove?: boolean; json?: boolean }): Promise<void> {
  const [{ resolvePaths }, control, { resolve }, { expandHome }] = await Promise.all([
    import('../../config/paths.js'),
    import('../../../daemon/control.js'),
    import('node:path'),
    import('../../setup/config-files.js'),
  ]);
  let lifetimeSeconds: number | undefined;
  if (opts.lifetime !== undefined) {
    lifetimeSeconds = Number(opts.lifetime);
    if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds < 300 || lifetimeSeconds > 3600) throw new EscdError('usage', `--lifetime must be a whole number of seconds from 300 to 3600 (got ${JSON.stringify(opts.lifetime.slice(0, 20))})`);
  }
  const paths = resolvePaths();
  const ctx = { socket: paths.socket, logFile: paths.daemonLog, env: process.env, out: () => {} };
  const path = resolve(expandHome(opts.path, process.env));
  if (opts.remove) {
    const { dropped } = (await control.ask(ctx, 'tokenfile.drop', { path })) as { dropped: boolean };
    if (opts.json) process.stdout.write(JSON.stringify({ path, dropped }) + '\n');
    else if (dropped) process.stdout.write(`no longer keeping ${path} (removed)\n`);
    else throw new EscdError('bad_request', `escd keeps no token file at ${path}`);
    return;
  }
  if (envName === undefined) throw new EscdError('usage', 'missing environment name: escd oidc token-file <env> --audience A --path P');
  if (opts.audience === undefined) throw new EscdError('usage', '--audience is required (the aud the token exchange expects)');
  const kept = (await control.ask(ctx, 'tokenfile.keep', {
    kind: 'oidc',
    env: envName,
    audience: opts.audience,
    path,
    lifetimeSeconds: lifetimeSeconds ?? 3600,
  })) as { path: string; environment: string; expiresAt?: string; nextRenewalAt?: string };
  if (opts.json) process.stdout.write(JSON.stringify(kept, null, 2) + '\n');
  else process.stdout.write(`keeping a token for ${kept.environment} (aud ${opts.audience}) fresh in ${kept.path}; next renewal ${kept.nextRenewalAt ?? 'pending'}\n`);
}
