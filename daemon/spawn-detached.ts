// Starts `escd daemon` in the background with its output appended to the daemon log, for `escd start`
// and for the auto-start of the shim and the CLI. Node built-ins only: the shim loads this file (on its
// cold path).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI_SCRIPT = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

/**
 * Node options for the daemon, on every way it is started (here, the systemd unit, the LaunchAgent).
 * A small young generation: V8 grows it to 32 MB during a burst of evaluations and never gives it back,
 * which is most of the daemon's memory (bench: RSS with 100 environments 85 → 76 MB). The price is more
 * scavenges under load: a cached answer allocates about 8.5 KB on a new connection (6.6 KB of it Node's
 * own, as a bare node:net server's), so at 100 concurrent clients GC is ~7 µs of a request's ~75 µs.
 * A 16 MB young generation halves that but holds 89 MB with 100 environments, over the 80 MB target.
 */
export const DAEMON_NODE_OPTIONS: readonly string[] = ['--max-semi-space-size=2'];

/**
 * Variables a daemon keeps from whoever started it: where things are, the locale, proxies and CAs, and
 * the session bus (where the OS keychain, the Secret Service, answers: without it an auto-started daemon
 * cannot read the keys a command just stored there).
 */
const KEPT = new Set(['HOME', 'USER', 'LOGNAME', 'PATH', 'LANG', 'TZ', 'NODE_EXTRA_CA_CERTS', 'AWS_CA_BUNDLE', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'ALL_PROXY', 'DBUS_SESSION_BUS_ADDRESS']);
const KEPT_PREFIXES = ['LC_', 'XDG_', 'ESCD_'];
/**
 * Settings of the daemon itself, honoured only when it is started on purpose (`escd start`, `escd
 * restart`): AWS endpoint overrides (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>), the region, and the
 * Pulumi Cloud token.
 */
const DELIBERATE_SETTINGS: readonly string[] = ['AWS_IGNORE_CONFIGURED_ENDPOINT_URLS', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'PULUMI_ACCESS_TOKEN'];
const isDeliberateSetting = (name: string): boolean => DELIBERATE_SETTINGS.includes(name) || /^AWS_ENDPOINT_URL(_[A-Z0-9_]+)?$/.test(name);

/**
 * The environment a daemon starts with: the allowlist above and nothing else, so neither a secret of
 * the caller's shell (or of an `escd run` it runs in) nor a setting of that shell reaches the daemon.
 * `deliberate` (an explicit `escd start`/`restart`) also passes the endpoint and region settings.
 */
export function daemonEnvironment(env: NodeJS.ProcessEnv, options: { deliberate: boolean }): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    const upper = name.toUpperCase();
    const kept =
      KEPT.has(upper) || KEPT_PREFIXES.some((prefix) => name.startsWith(prefix)) || (options.deliberate && isDeliberateSetting(name));
    if (kept) out[name] = value;
  }
  return out;
}

export function spawnDetachedDaemon(options: { socket: string; logFile: string; env: NodeJS.ProcessEnv; deliberate?: boolean }): ChildProcess {
  mkdirSync(dirname(options.logFile), { recursive: true, mode: 0o700 });
  // Never through a link planted in its place: O_NOFOLLOW fails with ELOOP. Created 0600.
  const logFd = openSync(options.logFile, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  try {
    const child = spawn(process.execPath, [...DAEMON_NODE_OPTIONS, CLI_SCRIPT, 'daemon', '--socket', options.socket], {
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: daemonEnvironment(options.env, { deliberate: options.deliberate ?? false }),
    });
    child.unref();
    return child;
  } finally {
    closeSync(logFd); // the child has its own copy
  }
}
