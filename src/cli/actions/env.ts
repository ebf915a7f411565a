// `escd env ls` and `escd env rotate`. The verbs that write a revision are in env-write.ts, the history
// verbs in env-history.ts, `env diff` in env-diff.ts.
import { DiagnosticsFailure, openRuntime } from '../evaluate.js';
import { parsePath } from '../../store/definition.js';
import { EscdError } from '../../core/errors.js';

const say = (line: string): void => void process.stdout.write(line + '\n');
const warn = (line: string): void => void process.stderr.write(line + '\n');

export async function list(options: { json?: boolean }): Promise<void> {
  const runtime = await openRuntime();
  const envs = await runtime.store.list();
  if (options.json) {
    say(JSON.stringify(envs.map((e) => ({ name: e.name, org: e.org, file: e.file, modified: e.modified.toISOString() })), null, 2));
    return;
  }
  if (envs.length === 0) {
    warn(`no environments yet in ${runtime.store.dir}; create one with \`escd env init <project>/<env>\``);
    return;
  }
  for (const e of envs) say(e.name);
}

/**
 * `escd env rotate <env> [path…]`: runs the rotators of the `fn::rotate` calls at the paths (all
 * when none), writes their new states as one new revision and prints the rotated values (redacted).
 * Any error changes nothing.
 */
export async function rotate(env: string, paths: readonly string[], options: { showSecrets?: boolean } = {}): Promise<void> {
  for (const path of paths) parsePath(path);
  const runtime = await openRuntime();
  const { withProgress } = await import('../terminal.js');
  const rotation = await withProgress(`rotating ${env}…`, () => runtime.rotate(env, paths.length > 0 ? { paths } : {}));
  const { formatDiagnostic: line, hasErrors } = await import('../../runtime/diagnostic-lines.js');
  for (const d of rotation.diagnostics) process.stderr.write(line(d, (name) => runtime.fileOf(name, rotation.environment)) + '\n');
  if (hasErrors(rotation.diagnostics)) throw new DiagnosticsFailure(rotation.diagnostics.filter((d) => d.severity === 'error').length);
  if (rotation.patches.length === 0) throw new EscdError('bad_request', paths.length > 0 ? `no fn::rotate at ${paths.join(', ')} in ${rotation.environment.name}` : `${rotation.environment.name} has no fn::rotate to rotate`);
  const { toJSON } = await import('../../esc/value.js');
  const { formatPath } = await import('../../store/definition.js');
  const rotated = rotation.patches.map((p) => formatPath(parsePath(p.docPath).slice(1, -2)));
  process.stderr.write(`escd: rotated ${rotated.join(', ')} in ${rotation.environment.name} (revision ${rotation.revision})\n`);
  process.stdout.write(JSON.stringify(rotation.values ? toJSON(rotation.values, { redact: !options.showSecrets }) : {}, null, 2) + '\n');
}
