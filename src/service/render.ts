// Turns the service templates (systemd/, launchd/) into files for this machine. Pure: every path
// and template comes in as an argument, so tests render with real paths and verify the output.
import { dirname, join } from 'node:path';
import { DAEMON_NODE_OPTIONS } from '../../daemon/spawn-detached.js';
import type { Paths } from '../config/paths.js';
import { EscdError } from '../core/errors.js';

type Env = Readonly<Record<string, string | undefined>>;

/** What a rendered service definition points at. */
export interface ServiceContext {
  /** The node binary (process.execPath). */
  readonly node: string;
  /** The built escd entry point (the package's bin, dist/cli/main.js), absolute. */
  readonly escd: string;
  readonly home: string;
  readonly paths: Pick<Paths, 'configDir' | 'stateDir' | 'socket'>;
  /** $XDG_RUNTIME_DIR of the installing shell: lets the socket unit say `%t` (systemd's runtime dir). */
  readonly runtimeDir?: string;
  /** Variables the daemon must see to find the same files as the installing shell (see serviceEnvironment). */
  readonly environment: Readonly<Record<string, string>>;
}

/**
 * Settings of the installing shell that change what the daemon does (where its files are, which STS it
 * calls); the service manager's environment would not have them, so they are written into the definition.
 */
const FORWARDED = [
  'ESCD_HOME',
  'ESCD_ENVIRONMENTS_DIR',
  'ESCD_KEYSTORE',
  'ESCD_ORG',
  'ESCD_USER',
  'XDG_CONFIG_HOME',
  'XDG_STATE_HOME',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ENDPOINT_URL_STS',
  'AWS_ENDPOINT_URL',
  'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
] as const;

export function serviceEnvironment(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of FORWARDED) {
    const value = env[name];
    if (value !== undefined && value !== '') out[name] = value;
  }
  return out;
}

export function contextFor(env: Env, paths: Paths, node: string, escd: string, home: string): ServiceContext {
  return {
    node,
    escd,
    home,
    paths,
    ...(env.XDG_RUNTIME_DIR ? { runtimeDir: env.XDG_RUNTIME_DIR } : {}),
    environment: serviceEnvironment(env),
  };
}

// ---------- systemd ----------

/**
 * Escapes a value for a unit file: `%` starts a specifier, and in Exec lines `$` a variable.
 * Quotes, backslashes and control characters are refused rather than escaped: each setting unquotes differently.
 */
function unitText(value: string, kind: 'exec' | 'plain' = 'plain'): string {
  if (/["\\\u0000-\u001f]/.test(value)) {
    throw new EscdError('bad_request', `cannot put ${JSON.stringify(value)} in a unit file: it contains a quote, backslash or control character`);
  }
  const escaped = value.replace(/%/g, '%%');
  return kind === 'exec' ? escaped.replace(/\$/g, '$$$$') : escaped;
}

/** One word of a setting, quoted when it holds a space. */
function quoteWord(escaped: string): string {
  return /\s/.test(escaped) ? `"${escaped}"` : escaped;
}

const unitWord = (value: string, kind: 'exec' | 'plain' = 'plain'): string => quoteWord(unitText(value, kind));

/** The socket path as the units should name it (escaped): `%t/…` when it lives in the user's runtime dir. */
function unitSocketPath(ctx: ServiceContext): { socket: string; dir: string } {
  const { socket } = ctx.paths;
  const runtime = ctx.runtimeDir?.replace(/\/+$/, '');
  if (runtime && socket.startsWith(runtime + '/')) {
    return { socket: '%t' + unitText(socket.slice(runtime.length)), dir: '%t' + unitText(dirname(socket).slice(runtime.length)) };
  }
  return { socket: unitText(socket), dir: unitText(dirname(socket)) };
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/@([A-Z][A-Z_]*[A-Z])@/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new EscdError('internal', `template placeholder ${whole} has no value`);
    return value;
  });
}

export interface SystemdTemplates {
  readonly service: string;
  readonly socket: string;
}

export interface RenderedFile {
  /** File name inside the service manager's directory. */
  readonly name: string;
  readonly content: string;
}

export function renderSystemdUnits(ctx: ServiceContext, templates: SystemdTemplates): RenderedFile[] {
  const { socket, dir } = unitSocketPath(ctx);
  // The daemon must report (and, run by hand, bind) the same path the socket unit listens on.
  const environment = [...Object.entries(ctx.environment).map(([name, value]) => `${name}=${unitText(value)}`), `ESCD_SOCKET=${socket}`];
  const writable = [...new Set([ctx.paths.configDir, ctx.paths.stateDir].map((p) => '-' + unitText(p))), '-' + dir];
  return [
    // ListenStream takes the rest of the line as the path: no quotes.
    { name: 'escd.socket', content: fill(templates.socket, { SOCKET: socket }) },
    {
      name: 'escd.service',
      content: fill(templates.service, {
        NODE: unitWord(ctx.node, 'exec'),
        NODE_OPTIONS: DAEMON_NODE_OPTIONS.map((option) => unitWord(option, 'exec')).join(' '),
        ESCD: unitWord(ctx.escd, 'exec'),
        ENVIRONMENT: environment.map((entry) => `Environment=${quoteWord(entry)}`).join('\n'),
        READ_WRITE_PATHS: writable.map(quoteWord).join(' '),
      }),
    },
  ];
}

// ---------- launchd ----------

export const LAUNCHD_LABEL = 'com.escd.daemon';

function xml(value: string): string {
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(value)) throw new EscdError('bad_request', `cannot put ${JSON.stringify(value)} in a plist: it contains a control character`);
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

export function launchdLogDir(home: string): string {
  return join(home, 'Library', 'Logs', 'escd');
}

export function renderLaunchdPlist(ctx: ServiceContext, template: string): RenderedFile {
  const environment: Record<string, string> = { ...ctx.environment, ESCD_SOCKET: ctx.paths.socket };
  const envEntries = Object.entries(environment)
    .map(([name, value]) => `    <key>${xml(name)}</key>\n    <string>${xml(value)}</string>`)
    .join('\n');
  return {
    name: `${LAUNCHD_LABEL}.plist`,
    content: fill(template, {
      NODE: xml(ctx.node),
      NODE_OPTIONS: DAEMON_NODE_OPTIONS.map((option) => `    <string>${xml(option)}</string>`).join('\n'),
      ESCD: xml(ctx.escd),
      HOME: xml(ctx.home),
      LOG_DIR: xml(launchdLogDir(ctx.home)),
      ENVIRONMENT: envEntries,
    }),
  };
}
