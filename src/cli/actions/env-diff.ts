// `escd env diff <env>[@version] [[env][@version]]`: the values and definitions of two versions
// compared as the reference CLI does (env_diff.go): by default both, as fenced unified diffs; with
// --format json|string|dotenv|shell only the values in that form. The second side defaults to the
// first environment's latest revision; `@v` alone means the first environment at v.
import { Document, parseDocument } from 'yaml';
import { goQuote } from '../../esc/go-quote.js';
import { projectEnvironment } from '../../esc/project.js';
import type { Runtime } from '../../runtime/runtime.js';
import { fullName } from '../../store/names.js';
import type { StoredRef } from '../../store/store.js';
import { existingRef } from '../env-ref.js';
import { openRuntime } from '../evaluate.js';
import { unifiedDiff } from '../format/unified-diff.js';
import { renderValue } from '../format/values.js';
import { EscdError } from '../../core/errors.js';

type DiffFormat = 'default' | 'json' | 'string' | 'dotenv' | 'shell';
const FORMATS: readonly DiffFormat[] = ['default', 'json', 'string', 'dotenv', 'shell'];

interface Side {
  readonly label: string;
  readonly definition: string;
  readonly value: string;
}

/** The definition as `env get` shows it: re-encoded at 2-space indentation. */
function shownDefinition(text: string): string {
  if (text.trim() === '') return '';
  const doc = parseDocument(text, { uniqueKeys: false, version: '1.2' });
  return doc.errors.length > 0 ? text : (doc as Document).toString({ indent: 2, indentSeq: true, lineWidth: 0, flowCollectionPadding: false });
}

async function side(runtime: Runtime, ref: StoredRef, label: string, format: DiffFormat): Promise<Side> {
  const text = (await runtime.store.readRevision(ref, ref.version)).source;
  const evaluation = await runtime.evaluate(fullName(ref), { mode: 'check', source: text });
  const values = evaluation.values;
  let value: string;
  if (format === 'dotenv' || format === 'shell') {
    const vars = projectEnvironment(values).environmentVariables;
    value = Object.entries(vars)
      .map(([name, v]) => `${format === 'shell' ? 'export ' : ''}${name}=${goQuote(v.secret ? '[secret]' : v.value)}\n`)
      .join('');
  } else if (values === undefined) {
    value = '';
  } else if (format === 'string') {
    value = renderValue(values, 'string', { redact: true });
  } else {
    value = renderValue(values, 'json', { redact: true });
    if (format === 'default') value = value.replace(/\n$/, '');
  }
  return { label, definition: shownDefinition(text), value };
}

export async function diff(args: readonly string[], options: { format?: string }): Promise<void> {
  const format = (options.format ?? 'default') as DiffFormat;
  if (!FORMATS.includes(format)) throw new EscdError('bad_request', `unknown output format ${JSON.stringify(options.format)}`);
  const runtime = await openRuntime();
  const first = await existingRef(runtime, args[0]!);
  const from = { ...first, version: first.version ?? 'latest' };
  let to: StoredRef;
  let toLabel: string;
  const second = args[1];
  if (second === undefined) {
    to = { ...first, version: 'latest' };
    toLabel = `${fullName(first)}@latest`;
  } else if (second.startsWith('@')) {
    to = { ...first, version: second.slice(1) };
    toLabel = `${fullName(first)}${second}`;
  } else {
    to = await existingRef(runtime, second);
    toLabel = to.version === undefined ? fullName(to) : `${fullName(to)}@${to.version}`;
  }
  const a = await side(runtime, from, `${fullName(from)}@${from.version}`, format);
  const b = await side(runtime, to, toLabel, format);
  if (format !== 'default') {
    process.stdout.write(unifiedDiff(a.value, b.value, a.label, b.label));
    return;
  }
  const values = unifiedDiff(a.value, b.value, a.label, b.label);
  const definitions = unifiedDiff(a.definition, b.definition, a.label, b.label);
  if (values === '' && definitions === '') return;
  process.stdout.write(`# Value\n\`\`\`diff\n${values}\n\`\`\`\n# Definition\n\`\`\`diff\n${definitions}\n\`\`\`\n`);
}
