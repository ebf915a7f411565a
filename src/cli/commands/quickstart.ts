// `escd quickstart`: the first-run command (README's main job).
import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { delimiter, join, sep } from 'node:path';
import { escdScript, NPX_CACHE_HINT, packageRoot, runsFromNpxCache, shimScript } from '../../service/package-files.js';
import { awsEnvironments, prepare, SAMPLE_ENVIRONMENT, type QuickstartSteps } from '../../quickstart/quickstart.js';
import { terminalFor, withProgress } from '../terminal.js';
import { shellQuote } from '../../setup/shell-quote.js';
import { EscdError } from '../../core/errors.js';

export function register(program: Command): void {
  program
    .command('quickstart')
    .description('Set up escd in one step: config, key store, issuer key, a sample environment, the daemon')
    .option('--json', 'print what was done (and the daemon status and snippets) as JSON')
    .addHelpText(
      'after',
      `
Needs no AWS account. Safe to run again: it creates what is missing and keeps everything else
(it never rewrites config.yaml or an environment).

Its next steps are printed as they will work from where you run it (\`npx escd …\` when escd is
not on the PATH). To wire up the AWS CLI, use \`escd setup aws <env>\`: it adds or updates the
profile, where appending a snippet twice would break the file.

Examples:
  $ escd quickstart
  $ escd quickstart --json | jq .check
  $ escd quickstart && escd setup aws quickstart/sample`,
    )
    .action(async (opts: { json?: boolean }) => quickstart(opts));
}

// `escd quickstart`: prepares the installation (src/quickstart/quickstart.ts), starts the daemon and
// shows how to point aws and kubectl at it.
interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a script of this same installation in its own process (`escd start` detaches a daemon). */
function runScript(script: string, args: readonly string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const escd = (args: readonly string[]): Promise<CliRun> => runScript(escdScript(), args);
const oneLine = (text: string): string => text.trim().split('\n').at(-1) ?? '';

export interface ShimCheck {
  readonly command: string;
  readonly ok: boolean;
  /** Why not (one line, from the shim). */
  readonly error?: string;
}

/** Asks the shim for the sample's AWS credentials, as `aws` would: proves the whole path works. */
async function checkShim(): Promise<ShimCheck> {
  const command = `escd-shim aws ${SAMPLE_ENVIRONMENT}`;
  const result = await runScript(shimScript(), ['aws', SAMPLE_ENVIRONMENT]);
  if (result.code === 0) {
    try {
      const answer = JSON.parse(result.stdout) as { Version?: unknown; AccessKeyId?: unknown };
      if (answer.Version === 1 && typeof answer.AccessKeyId === 'string') return { command, ok: true };
    } catch {
      // reported below
    }
  }
  return { command, ok: false, error: oneLine(result.stderr).replace(/^escd-shim: /, '') || `exit code ${result.code}` };
}

export async function quickstart(opts: { json?: boolean }): Promise<void> {
  const prepared = await prepare({ env: process.env, progress: withProgress });

  const started = await withProgress('starting the daemon…', () => escd(['start']));
  if (started.code !== 0) {
    throw new EscdError('bad_request', `everything is set up, but the daemon did not start: ${oneLine(started.stderr).replace(/^escd: /, '')}; run \`escd doctor\``);
  }
  // The daemon checks which environments serve AWS credentials (or this process, with ESCD_NO_DAEMON=1).
  const { checkDefinition } = await import('../engine.js');
  const steps: QuickstartSteps = { ...prepared, awsEnvironments: await awsEnvironments(prepared.environments, (name) => checkDefinition(name, undefined, { values: true })) };
  const check = await checkShim();
  const status = await escd(opts.json ? ['status', '--json'] : ['status']);
  const { aws, kube } = await snippets(steps.awsEnvironments);

  if (opts.json) {
    let daemon: unknown = null;
    try {
      daemon = JSON.parse(status.stdout);
    } catch {
      daemon = null;
    }
    process.stdout.write(JSON.stringify({ ...steps, daemon, check, snippets: { awsConfig: aws, kubeconfig: kube } }, null, 2) + '\n');
    return;
  }
  process.stdout.write(report(steps, started.stdout.trim(), check, status.stdout.trimEnd(), aws, kube));
}

/** `escd setup aws`'s default profile name. */
const profileNameFor = (environment: string): string => environment.replaceAll('/', '-');
const KUBE_CLUSTER_PLACEHOLDER = 'CLUSTER_NAME';

/**
 * What `escd setup aws|kube --print` would print for every environment that serves AWS credentials
 * (kube: one, as an example; an EKS token is signed with them). Empty when there is none.
 */
async function snippets(environments: readonly string[]): Promise<{ aws: string; kube: string }> {
  if (environments.length === 0) return { aws: '', kube: '' };
  const [{ profileSnippet }, { kubeSnippet }, { kubeSetup }, { commandLine }, { setupEnvironment }, { writeLauncher }, { checkDefinition }] = await Promise.all([
    import('../../setup/aws-config.js'),
    import('../../setup/kubeconfig.js'),
    import('./setup.js'),
    import('../../setup/shell-quote.js'),
    import('../../setup/environment.js'),
    import('../../setup/launcher.js'),
    import('../engine.js'),
  ]);
  const at = { node: process.execPath, shim: shimScript() };
  const aws: string[] = [];
  for (const e of environments) {
    const { region } = await setupEnvironment(e, process.env, (name) => checkDefinition(name, undefined, { values: true }));
    aws.push(profileSnippet(profileNameFor(e), commandLine([at.node, at.shim, 'aws', e]), '\n', region));
  }
  const example = environments.find((e) => e !== SAMPLE_ENVIRONMENT) ?? environments[0]!;
  const setup = await kubeSetup(example, { cluster: KUBE_CLUSTER_PLACEHOLDER }, { env: process.env, out: () => undefined, warn: () => undefined, ...at });
  // The snippet names the escd-shim launcher: write it, so that the snippet works as printed.
  await writeLauncher(setup.user.command, at.node, at.shim);
  return { aws: aws.join('\n'), kube: kubeSnippet(setup) };
}

/**
 * How the next steps spell `escd` so that they work as printed: `escd` when that is this installation
 * on the PATH, `npx escd` from inside the package (a clone after `npm install`), else node and the script.
 */
export function escdInvocation(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const script = realOrSelf(escdScript());
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && realOrSelf(join(dir, 'escd')) === script) return 'escd';
  }
  const root = realOrSelf(packageRoot());
  const here = realOrSelf(cwd);
  if (here === root || here.startsWith(root + sep)) return 'npx escd';
  return [process.execPath, escdScript()].map(shellQuote).join(' ');
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function report(steps: QuickstartSteps, started: string, check: ShimCheck, status: string, aws: string, kube: string): string {
  const term = terminalFor(process.stdout);
  const escd = escdInvocation();
  const done = (action: string): string => (action === 'created' ? term.green(action) : term.dim(action));
  const ks = steps.keystore;
  const keystoreLine = ks.fallback
    ? `${term.yellow('file fallback')}: keys in ${ks.location} (0600, not an OS keychain)${ks.note ? ` — ${ks.note}` : ''}`
    : `OS keychain (${ks.location})`;
  const lines = [
    term.bold('escd quickstart'),
    `  config       ${done(steps.config.action)} ${steps.config.file}`,
    `  key store    ${keystoreLine}`,
    `  issuer key   ${done(steps.issuerKey.action)} ${steps.issuerKey.alg} ${steps.issuerKey.kid}`,
    `  environment  ${done(steps.environment.action)} ${steps.environment.name} (${steps.environment.file})`,
    `  daemon       ${started.replace(/^escd daemon /, '')}`,
    `  check        ${check.ok ? `${term.green('ok')} ${check.command} answered with credentials` : `${term.yellow('failed')} ${check.command}: ${check.error}`}`,
    '',
    term.bold('escd status'),
    status,
    '',
    ...(aws
      ? [
          term.bold('~/.aws/config') + term.dim(` — \`${escd} setup aws <env>\` adds (or updates) a profile like this, with the region; appending it by hand twice breaks the file:`),
          aws.trimEnd(),
          '',
          term.bold('kubeconfig') + term.dim(` — a user whose exec plugin asks escd for an EKS token (\`${escd} setup kube <env> --cluster <name>\` adds it):`),
          kube.trimEnd(),
        ]
      : [
          term.bold('~/.aws/config and kubeconfig') +
            term.dim(` — no environment serves AWS credentials yet (environmentVariables.AWS_ACCESS_KEY_ID, no errors): add them, then \`${escd} setup aws <env>\``),
        ]),
    '',
    term.bold('Try it'),
    `  ${escd} open ${SAMPLE_ENVIRONMENT}`,
    `  ${escd} run ${SAMPLE_ENVIRONMENT} -- env`,
    ...(steps.awsEnvironments.includes(SAMPLE_ENVIRONMENT)
      ? [
          `  ${escd} setup aws ${SAMPLE_ENVIRONMENT}`,
          `  AWS_PROFILE=${profileNameFor(SAMPLE_ENVIRONMENT)} aws configure list   # the sample's keys are AWS's examples: real calls need your own`,
        ]
      : []),
    `  ${escd} doctor`,
    `  ${escd} service install   # keep the daemon running across logins (systemd/launchd)`,
    ...(escd === 'escd' ? [] : ['', term.dim(`escd is not on your PATH; \`npm install -g .\` in the clone puts escd and escd-shim there.`)]),
  ];
  if (runsFromNpxCache()) lines.push('', term.yellow('note:') + ` ${NPX_CACHE_HINT}.`);
  if (ks.fallback) lines.push('', term.yellow('note:') + ' keys are in a 0600 file because no OS keychain answered; see `escd doctor`.');
  return lines.join('\n') + '\n';
}
