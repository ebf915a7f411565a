// `npm run conformance`: runs every case of the ESC conformance corpus and reports
//   conformance: N passed, M failed
//   conformance (rotation, schema): N passed, M failed
// Exits non-zero when the main group has failures or the corpus is missing.
// Usage: run.js [--strict] [corpus-dir]; --strict also compares checkJson, check diagnostics,
// columns and paths (reported by the corpus for reference only).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listCases, runAndCompare, type CaseOutcome } from './harness.js';

/** The repository root (this file runs from dist/test/conformance/ or test/conformance/). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

export function corpusDir(argv: readonly string[] = process.argv): string {
  const given = argv.slice(2).find((a) => !a.startsWith('--')) ?? process.env['ESC_CONFORMANCE_DIR'];
  return given !== undefined && given !== '' ? resolve(given) : resolve(repoRoot(), '..', 'shared', 'esc-conformance');
}

export async function runConformance(corpus: string, strict = false): Promise<CaseOutcome[]> {
  const casesDir = join(corpus, 'cases');
  const outcomes: CaseOutcome[] = [];
  for (const name of listCases(casesDir)) outcomes.push(await runAndCompare(casesDir, name, strict));
  return outcomes;
}

function summary(outcomes: readonly CaseOutcome[]): string {
  const passed = outcomes.filter((o) => o.passed).length;
  return `${passed} passed, ${outcomes.length - passed} failed`;
}

async function main(): Promise<number> {
  const corpus = corpusDir();
  if (!existsSync(join(corpus, 'cases'))) {
    process.stderr.write(`conformance: no corpus at ${corpus} (give its path as an argument or set ESC_CONFORMANCE_DIR)\n`);
    return 2;
  }
  const outcomes = await runConformance(corpus, process.argv.includes('--strict'));
  for (const o of outcomes.filter((x) => !x.passed)) {
    const label = o.group === 'main' ? '' : ' (rotation, schema)';
    process.stdout.write(`FAIL ${o.name}${label}\n`);
    for (const d of o.differences.slice(0, 12)) process.stdout.write(`  ${d}\n`);
    if (o.differences.length > 12) process.stdout.write(`  ... ${o.differences.length - 12} more\n`);
  }
  const main = outcomes.filter((o) => o.group === 'main');
  const other = outcomes.filter((o) => o.group !== 'main');
  process.stdout.write(`conformance: ${summary(main)}\n`);
  process.stdout.write(`conformance (rotation, schema): ${summary(other)}\n`);
  return main.every((o) => o.passed) ? 0 : 1;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`conformance: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
