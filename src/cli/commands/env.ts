// `escd env …`: manage environment definitions in the local store, and in Pulumi Cloud for the orgs
// config.yaml maps to it (src/cli/cloud-env.ts: the daemon makes those calls).
import type { Command } from 'commander';
import { register as registerGet } from './env-get.js';
import { register as registerWrites } from './env-write.js';
import { register as registerHistory } from './env-history.js';
import { register as registerProvider } from './env-provider.js';
import { addOpenCommand } from './open.js';
import { addRunCommand } from './run.js';
import * as sync from './env-sync.js';
import { DiagnosticsFailure, openRuntime, withDiagnostics } from '../evaluate.js';
import { formatPath, parsePath } from '../../store/path.js';
import { cloudTargetOf } from '../../cloud/routing.js';
import { EscdError } from '../../core/errors.js';
import type { EnvRotateResult } from '../../protocol/wire.js';

export function register(program: Command): void {
  const env = program
    .command('env')
    .description('Manage environment definitions (YAML files under the environments directory)')
    .addHelpText(
      'after',
      `
Environments are named [org/]project/env[@version] and live in <environments dir>/<project>/<env>.yaml
(ESCD_HOME or XDG_CONFIG_HOME/escd/environments); another org's under .orgs/<org>/. A bare name means
default/<name>. Every write is a new revision: env@3 is revision 3, env@stable a revision tag.
An org config.yaml maps to Pulumi Cloud (orgs.<org>.backend) keeps its environments in the service: the
same verbs read and change them there, the daemon making each call (escd login first).

Examples:
  $ escd env init myproj/dev
  $ escd env set myproj/dev aws.region us-west-2
  $ escd env set myproj/dev db.password 'hunter22' --secret
  $ escd env get myproj/dev
  $ escd env edit myproj/dev
  $ escd env ls`,
    );

  env
    .command('ls')
    .alias('list')
    .description('List environments: the local ones and those of the orgs config.yaml maps to Pulumi Cloud')
    .option('--json', 'print name, org, file (or Pulumi Cloud backend) and modification time as JSON')
    .option('-o, --organization <org>', 'only the environments of this org')
    .option('-p, --project <project>', 'only the environments of this project')
    .addHelpText('after', '\nExamples:\n  $ escd env ls --json | jq -r \'.[].file\'\n  $ escd env ls -o acme\n  $ escd env ls -o acme -p app')
    .action(async (opts: { json?: boolean; organization?: string; project?: string }) => list(opts));

  registerGet(env);
  registerWrites(env);

  env
    .command('rotate')
    .description('Rotate the secrets of an environment\'s fn::rotate calls and save their new state as a new revision')
    .argument('<env>', 'environment name, [org/]project/env')
    .argument('[path...]', 'property paths of the fn::rotate calls to rotate (all when none), e.g. db.creds')
    .option('--show-secrets', 'print the rotated secrets in the clear instead of [secret]')
    .addHelpText('after', '\nExamples:\n  $ escd env rotate myproj/dev\n  $ escd env rotate myproj/dev aws.iam')
    .action(async (name: string, paths: string[], opts: { showSecrets?: boolean }) => withDiagnostics(async () => rotate(name, paths, opts)));

  registerHistory(env);
  registerProvider(env);

  addOpenCommand(env);
  addRunCommand(env);
  sync.register(env);
}

// `escd env ls` and `escd env rotate`. The other verbs have their own files: get in env-get.ts, the
// writes in env-write.ts, versions, tags, diff and clone in env-history.ts, pull/push in env-sync.ts,
// provider blocks in env-provider.ts.
const say = (line: string): void => void process.stdout.write(line + '\n');
const warn = (line: string): void => void process.stderr.write(line + '\n');

export async function list(options: { json?: boolean; organization?: string; project?: string }): Promise<void> {
  const runtime = await openRuntime();
  const org = options.organization;
  const cloudOrg = org !== undefined && Object.hasOwn(runtime.config.cloudOrgs, org);
  // A cloud org's environments are listed by the service (through the daemon); the others are files here.
  const inProject = (e: { project: string }): boolean => options.project === undefined || e.project === options.project;
  const local = cloudOrg ? [] : (await runtime.store.list()).filter((e) => (org === undefined || e.org === org) && inProject(e));
  const wantCloud = cloudOrg || (org === undefined && Object.keys(runtime.config.cloudOrgs).length > 0);
  const cloud = (wantCloud ? await (await import('../cloud-env.js')).listEnvironments(runtime, cloudOrg ? org : undefined) : []).filter(inProject);
  if (options.json) {
    const entries = [
      ...local.map((e) => ({ name: e.name, org: e.org, file: e.file, modified: e.modified.toISOString() })),
      ...cloud.map((e) => ({ name: e.name, org: e.org, backend: e.backend, ...(e.modified ? { modified: e.modified } : {}) })),
    ];
    say(JSON.stringify(entries, null, 2));
    return;
  }
  if (local.length === 0 && cloud.length === 0) {
    if (org === undefined && options.project === undefined) warn(`no environments yet in ${runtime.store.dir}; create one with \`escd env init <project>/<env>\``);
    return;
  }
  for (const e of local) say(e.name);
  for (const e of cloud) say(e.name);
}

/**
 * `escd env rotate <env> [path…]`: runs the rotators of the `fn::rotate` calls at the paths (all
 * when none), writes their new states as one new revision and prints the rotated values (redacted).
 * Any error changes nothing.
 */
/** A rotation calls outside services (IAM, databases), each bounded by its own timeouts. */
const ROTATE_TIMEOUT_MS = 5 * 60_000;

export async function rotate(env: string, paths: readonly string[], options: { showSecrets?: boolean } = {}): Promise<void> {
  for (const path of paths) parsePath(path);
  const runtime = await openRuntime();
  if (cloudTargetOf(runtime.config, env)) {
    throw new EscdError('bad_request', `${env} is a Pulumi Cloud environment: its rotations run in the service (@pulumi/esc-sdk has no call to start one)`);
  }
  // The daemon runs the rotators (it alone calls providers) and writes the revision; asked once, as
  // a rotation must not run twice, and given the time a database's rotation may take.
  const [{ withProgress }, { askEngine }] = await Promise.all([import('../terminal.js'), import('../engine.js')]);
  const params = { env, ...(paths.length > 0 ? { paths: [...paths] } : {}), ...(options.showSecrets ? { showSecrets: true } : {}) };
  const rotation = (await withProgress(`rotating ${env}…`, () => askEngine('env.rotate', params, { once: true, timeoutMs: ROTATE_TIMEOUT_MS }))) as EnvRotateResult;
  const { checkResultLines, hasErrors } = await import('../../runtime/diagnostic-lines.js');
  for (const line of checkResultLines(rotation)) process.stderr.write(line + '\n');
  if (hasErrors(rotation.diagnostics)) throw new DiagnosticsFailure(rotation.diagnostics.filter((d) => d.severity === 'error').length);
  if (rotation.rotated.length === 0) throw new EscdError('bad_request', paths.length > 0 ? `no fn::rotate at ${paths.join(', ')} in ${rotation.environment.name}` : `${rotation.environment.name} has no fn::rotate to rotate`);
  const [{ toJSON }, { decodeValue }] = await Promise.all([import('../../esc/value.js'), import('../../esc/wire-value.js')]);
  const rotated = rotation.rotated.map((docPath) => formatPath(parsePath(docPath).slice(1, -2)));
  process.stderr.write(`escd: rotated ${rotated.join(', ')} in ${rotation.environment.name} (revision ${rotation.revision})\n`);
  const values = rotation.values === null || rotation.values === undefined ? undefined : decodeValue(rotation.values);
  process.stdout.write(JSON.stringify(values ? toJSON(values, { redact: !options.showSecrets }) : {}, null, 2) + '\n');
}
