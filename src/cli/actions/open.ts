// `escd open <env> [path]`: the evaluated values (or one property, or the environment variables)
// in the requested format, secrets redacted unless --show-secrets.
import { UserError } from '../../core/errors.js';
import { renderEnviron } from '../format/environ.js';
import { renderValue, selectValue, type ValueFormat } from '../format/values.js';
import { projectEnvironment } from '../../esc/project.js';
import { parsePath } from '../../store/definition.js';
import { evaluateOrFail, openRuntime, withDiagnostics } from '../evaluate.js';

export const OPEN_FORMATS = ['json', 'yaml', 'detailed', 'dotenv', 'shell', 'string'] as const;
export type OpenFormat = (typeof OPEN_FORMATS)[number];

export interface OpenOptions {
  readonly format?: string;
  /** `--json`: the same as `--format json`. */
  readonly json?: boolean;
  readonly showSecrets?: boolean;
}

export async function open(env: string, path: string | undefined, options: OpenOptions): Promise<void> {
  if (options.json && options.format !== undefined && options.format !== 'json') {
    throw new UserError(`--json is --format json: it cannot be combined with --format ${options.format}`, 2);
  }
  const format = (options.format ?? 'json') as OpenFormat;
  if (!OPEN_FORMATS.includes(format)) throw new UserError(`unknown --format ${JSON.stringify(options.format)}: use one of ${OPEN_FORMATS.join(', ')}`, 2);
  if ((format === 'dotenv' || format === 'shell') && path !== undefined) {
    throw new UserError(`--format ${format} prints the environmentVariables projection and takes no property path`, 2);
  }
  const steps = path === undefined ? [] : parsePath(path);
  const redact = !options.showSecrets;
  await withDiagnostics(async () => {
    const runtime = await openRuntime();
    const { values } = await evaluateOrFail(runtime, env, { mode: 'eval', showSecrets: !redact });
    if (format === 'dotenv' || format === 'shell') {
      const projection = projectEnvironment(values);
      const { text, skipped } = renderEnviron(projection.environmentVariables, format, { redact });
      process.stdout.write(text);
      if (skipped.length > 0) process.stderr.write(`escd: skipped variables a shell cannot assign: ${skipped.join(', ')}\n`);
      const files = Object.keys(projection.files);
      if (files.length > 0) process.stderr.write(`escd: files (${files.join(', ')}) are written only by \`escd run\`\n`);
      return;
    }
    let selected = values;
    if (steps.length > 0) {
      try {
        selected = selectValue(values, steps);
      } catch (err) {
        throw new UserError((err as Error).message);
      }
    }
    process.stdout.write(renderValue(selected, format, { redact }));
  });
}
