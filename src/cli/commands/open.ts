// `escd open`: evaluate an environment and print its values.
import type { Command } from 'commander';
import { renderEnviron } from '../format/environ.js';
import { renderValue, selectValue, tracedEnvironment } from '../format/values.js';
import { goQuote } from '../../esc/go-quote.js';
import { projectEnvironment, type ProjectedSection } from '../../esc/project.js';
import { join } from 'node:path';
import { resolvePaths } from '../../config/paths.js';
import { cliDependencies } from '../context.js';
import { parsePath } from '../../store/path.js';
import { parseEnvironmentRef } from '../../store/names.js';
import { askEngine } from '../engine.js';
import { withProgress } from '../terminal.js';
import { decodeValue } from '../../esc/wire-value.js';
import type { EscValue } from '../../esc/value.js';
import type { EnvOpenResult } from '../../protocol/wire.js';
import { EscdError } from '../../core/errors.js';

/** Adds `open` to `parent` (`escd open`, and `escd env open` as the reference has it). */
export function addOpenCommand(parent: Command): void {
  parent
    .command('open')
    .description('Evaluate an environment and print its values, one property, or its environment variables')
    .argument('<env>', 'environment name, [org/]project/env')
    .argument('[path]', 'property path into the values, e.g. aws.login or a.b[0]["key"]')
    .option('-f, --format <format>', 'json, yaml, detailed, dotenv, shell or string (default: json)')
    .option('--json', 'the same as --format json')
    .option('--show-secrets', 'accepted for compatibility: open always shows secret values (it is an explicit open; `escd env get` masks them)')
    .option('--no-daemon', 'evaluate in this process instead of asking the daemon (also ESCD_NO_DAEMON=1): nothing is cached')
    .addHelpText(
      'after',
      `
The daemon evaluates (starting it if none runs) and serves the answer from its cache while the
environment's credentials are valid; every open is a line in the audit log (\`revealed\` with
--show-secrets). Diagnostics are printed as file:line:column: severity: summary; an error means no
values and a non-zero exit status.

Examples:
  $ escd open myproj/dev
  $ escd open myproj/dev --json | jq -r .aws.region
  $ escd open myproj/dev aws.login.accessKeyId --format string
  $ escd open myproj/dev --format yaml
  $ eval "$(escd open myproj/dev --format shell)"
  $ escd open myproj/dev --format dotenv > .env`,
    )
    .action(async (env: string, path: string | undefined, opts: { format?: string; json?: boolean; showSecrets?: boolean; daemon?: boolean }) =>
      open(env, path, opts),
    );
}

export function register(program: Command): void {
  addOpenCommand(program);
}

// `escd open <env> [path]`: the evaluated values (or one property, or the environment variables)
// in the requested format. As in the reference CLI, an open shows secrets: it is an explicit request
// for the values (an `eval "$(escd open … --format shell)"` must get real credentials, not
// `[secret]`), and the daemon audits it. `--show-secrets` is still accepted; `escd env get` masks.
// The daemon evaluates (and audits); this only renders its answer.
export const OPEN_FORMATS = ['json', 'yaml', 'detailed', 'dotenv', 'shell', 'string'] as const;
export type OpenFormat = (typeof OPEN_FORMATS)[number];

export interface OpenOptions {
  readonly format?: string;
  /** `--json`: the same as `--format json`. */
  readonly json?: boolean;
  /** Accepted for compatibility: open always shows values. */
  readonly showSecrets?: boolean;
  /** `--no-daemon` (commander's negated option: false when given). */
  readonly daemon?: boolean;
}

/**
 * The files projection written to private files (0600) that stay after escd exits, as the
 * reference's open does: the printed variables name them. A secret file holds `[secret]` unless
 * --show-secrets, so that no secret is left on disk unasked.
 */
async function keptFiles(section: ProjectedSection, redact: boolean): Promise<Record<string, string>> {
  const names = Object.keys(section);
  if (names.length === 0) return {};
  const texts = Object.fromEntries(names.map((name) => [name, section[name]!.secret && redact ? '[secret]' : section[name]!.value]));
  // Beside the run files, in the same private directory, but where no run sweeps them away.
  const { writeTempFiles } = await import('../../run/temp-files.js');
  const writer = cliDependencies().tempFiles ?? ((files) => writeTempFiles(files, join(resolvePaths().runFilesDir, 'open')));
  return { ...(await writer(texts)).paths };
}

export async function open(env: string, path: string | undefined, options: OpenOptions): Promise<void> {
  if (options.json && options.format !== undefined && options.format !== 'json') {
    throw new EscdError('usage', `--json is --format json: it cannot be combined with --format ${options.format}`);
  }
  const format = (options.format ?? 'json') as OpenFormat;
  if (!OPEN_FORMATS.includes(format)) throw new EscdError('usage', `unknown output format ${goQuote(options.format ?? '')}`);
  if ((format === 'dotenv' || format === 'shell') && path !== undefined) {
    throw new EscdError('usage', `output format '${format}' may not be used with a property path`);
  }
  const steps = path === undefined ? [] : parsePath(path);
  const redact = false;
  // Only the detailed format shows where values come from.
  const traces = format === 'detailed';
  const opened = (await withProgress(`opening ${env}…`, () =>
    askEngine('env.open', { env, format: 'wire', showSecrets: true, ...(traces ? { traces } : {}) }, { noDaemon: options.daemon === false }),
  )) as EnvOpenResult;
  for (const line of opened.warnings) process.stderr.write(line + '\n');
  const decoded = opened.values === undefined ? undefined : decodeValue(opened.values);
  const values = traces && decoded !== undefined ? tracedAsOpened(decoded, env) : decoded;
  if (format === 'dotenv' || format === 'shell') {
    const projection = projectEnvironment(values);
    // Printed values are shown (an explicit open); files stay on disk, so a secret one needs --show-secrets.
    const files = await keptFiles(projection.files, !options.showSecrets);
    const { text, skipped } = renderEnviron(projection.environmentVariables, format, { redact }, files);
    process.stdout.write(text);
    if (skipped.length > 0) process.stderr.write(`escd: skipped variables a shell cannot assign: ${skipped.join(', ')}\n`);
    return;
  }
  // An empty definition (a new environment's first revision) opens to nothing, as in the reference.
  if (values === undefined) return;
  let selected = values;
  if (steps.length > 0) {
    try {
      selected = selectValue(values, steps);
    } catch (err) {
      throw new EscdError('bad_request', (err as Error).message);
    }
  }
  process.stdout.write(await renderValue(selected, format, { redact }));
}

/**
 * Traced, the root is named by its environment part (`test` for `default/test@2`), as the reference's
 * open names it; its imports keep the names they were imported by.
 */
function tracedAsOpened(values: EscValue, env: string): EscValue {
  let short = env;
  try {
    short = parseEnvironmentRef(env, '-').env;
  } catch {
    // the engine accepted the name; keep it as given
  }
  return tracedEnvironment(values, short);
}
