// `npm run conformance:cli`: runs every case of the reference CLI corpus against escd and reports
//   cli conformance: N passed, M failed
// Usage: run.js [cases-dir-parent]; default $ESC_CLI_CONFORMANCE_DIR, else ../shared/esc-cli-conformance.
// Exits 1 when a case fails, 2 when the corpus is missing.
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { casesPresent, runCases, type HarnessOptions } from './harness.js';

/** The repository root (this file runs from dist/test/cli-conformance/ or test/cli-conformance/). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

export function cliCorpusDir(argv: readonly string[] = process.argv): string {
  const given = argv.slice(2).find((a) => !a.startsWith('--')) ?? process.env['ESC_CLI_CONFORMANCE_DIR'];
  return given !== undefined && given !== '' ? resolve(given) : resolve(repoRoot(), '..', 'shared', 'esc-cli-conformance');
}

/** The built test entry every `esc` call runs (`npm run build` makes it). */
export function harnessOptions(): HarnessOptions {
  return { entry: join(repoRoot(), 'dist', 'test', 'cli-conformance', 'esc.js') };
}

async function main(): Promise<number> {
  const corpus = cliCorpusDir();
  if (!casesPresent(corpus)) {
    process.stderr.write(`cli conformance: no corpus at ${corpus} (give its path as an argument or set ESC_CLI_CONFORMANCE_DIR)\n`);
    return 2;
  }
  const options = harnessOptions();
  if (!existsSync(options.entry)) {
    process.stderr.write(`cli conformance: ${options.entry} is missing: run \`npm run build\` first\n`);
    return 2;
  }
  const only = process.env['ESC_CLI_CASE'];
  const outcomes = await runCases(join(corpus, 'cases'), options, availableParallelism(), only);
  for (const o of outcomes.filter((x) => !x.passed)) {
    process.stdout.write(`FAIL ${o.name}\n`);
    for (const d of o.differences.slice(0, 14)) process.stdout.write(`  ${d}\n`);
    if (o.differences.length > 14) process.stdout.write(`  ... ${o.differences.length - 14} more\n`);
  }
  const passed = outcomes.filter((o) => o.passed).length;
  process.stdout.write(`cli conformance: ${passed} passed, ${outcomes.length - passed} failed\n`);
  return passed === outcomes.length ? 0 : 1;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`cli conformance: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
