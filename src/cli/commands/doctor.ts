// `escd doctor`: checks the installation and says how to fix what is wrong.
import type { Command } from 'commander';
import { withProgress, terminalFor } from '../terminal.js';
import { summarize, type CheckResult } from '../../doctor/checks.js';
import { defaultDoctorDeps, runDoctor } from '../../doctor/facts.js';

export function register(program: Command): void {
  program
    .command('doctor')
    .description('Check the installation (config, key store, daemon, socket, issuer, clock, aws/kube configs) and explain fixes')
    .option('--json', 'print every check as JSON')
    .option('--offline', 'skip the network checks (issuer documents, clock against STS)')
    .addHelpText(
      'after',
      `
Each check is pass, warn or fail; the exit code is 1 when any check fails.

Examples:
  $ escd doctor
  $ escd doctor --json | jq '.checks[] | select(.status != "pass")'
  $ escd doctor --offline`,
    )
    .action(async (opts: { json?: boolean; offline?: boolean }) => doctor(opts));
}

// `escd doctor`: runs the checks and prints them (a table, or JSON). Exit code 1 when any check fails.
export function formatReport(checks: readonly CheckResult[], term = terminalFor(process.stdout)): string {
  const mark = { pass: term.green('✓ pass'), warn: term.yellow('! warn'), fail: term.red('✗ fail') };
  const width = Math.max(...checks.map((c) => c.title.length));
  const lines: string[] = [];
  for (const check of checks) {
    // A detail of several lines (every problem of config.yaml) stays in its column.
    const detail = check.detail.split('\n').join(`\n${' '.repeat(8 + width + 2)}`);
    lines.push(`${mark[check.status]}  ${check.title.padEnd(width)}  ${detail}`);
    if (check.fix && check.status !== 'pass') lines.push(`${' '.repeat(8 + width + 2)}${term.dim('fix:')} ${check.fix}`);
  }
  const s = summarize(checks);
  lines.push('', `${s.pass} passed, ${s.warn} warning${s.warn === 1 ? '' : 's'}, ${s.fail} failed`);
  return lines.join('\n') + '\n';
}

export async function doctor(opts: { json?: boolean; offline?: boolean }): Promise<void> {
  const { checkDefinition } = await import('../engine.js');
  const checkEnvironment = (name: string): ReturnType<typeof checkDefinition> => checkDefinition(name, undefined);
  const checks = await withProgress('checking escd…', () => runDoctor(defaultDoctorDeps(opts.offline === true, checkEnvironment)));
  const summary = summarize(checks);
  if (opts.json) process.stdout.write(JSON.stringify({ ok: summary.ok, summary: { pass: summary.pass, warn: summary.warn, fail: summary.fail }, checks }, null, 2) + '\n');
  else process.stdout.write(formatReport(checks));
  if (!summary.ok) process.exitCode = 1;
}
