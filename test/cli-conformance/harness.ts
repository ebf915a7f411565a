// Runs one case of the reference CLI corpus (../shared/esc-cli-conformance/README.md §4): a new
// store seeded from the case, a working directory holding process.fs, a bin/ holding
// process.commands and an `esc` wrapper, and the script run by real bash (`set -eu`, PATH = that
// bin/ only, TZ=UTC, empty stdin). Passes when stdout and stderr are byte for byte the expected
// ones and the script fails exactly when the case says so.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseCase, type CliCase } from './case.js';
import { seedStore } from './seed.js';

export interface CaseOutcome {
  readonly name: string;
  readonly passed: boolean;
  readonly differences: readonly string[];
}

export interface HarnessOptions {
  /** The test entry (esc.js) node runs for each `esc` call. */
  readonly entry: string;
  readonly bash?: string;
  readonly node?: string;
  /** Per case (default 180 s: a loaded 2-core machine runs the longest cases in over a minute). */
  readonly timeoutMs?: number;
}

export function listCases(casesDir: string): string[] {
  return readdirSync(casesDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
}

/** A shell word, single-quoted. */
const quote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * The reference interprets scripts with mvdan.cc/sh, where `[[ A -ne B ]]` compares strconv.Atoi
 * values (a non-number is 0) while bash evaluates A and B as arithmetic and, under `set -u`, fails
 * on a word such as `-w` (§2). Each operand of an arithmetic test is passed through __esc_atoi.
 */
const ARITHMETIC_TEST = /\[\[\s+("(?:[^"\\]|\\.)*"|'[^']*'|[^\s\]]+)\s+-(eq|ne|lt|le|gt|ge)\s+("(?:[^"\\]|\\.)*"|'[^']*'|[^\s\]]+)\s+\]\]/g;
const PRELUDE = `__esc_atoi() { if [[ $1 =~ ^[+-]?[0-9]+$ ]]; then echo "$1"; else echo 0; fi; }\nset -eu\n`;

export function referenceScript(script: string): string {
  return PRELUDE + script.replace(ARITHMETIC_TEST, (_m, a: string, op: string, b: string) => `[[ "$(__esc_atoi ${a})" -${op} "$(__esc_atoi ${b})" ]]`);
}

/**
 * `> NAME ARGS…` on stdout and stderr (§2 step 1), then the CLI with the test profile, given the
 * arguments from position `from` on (2 for `P esc ARGS`).
 */
function wrapper(options: Required<HarnessOptions>, shown: string, programName: string, from: number): string {
  return [
    `#!${options.bash}`,
    `line=${quote(`> ${shown}`)}; for a in "$@"; do line+=" $a"; done`,
    `printf '%s\\n' "$line"; printf '%s\\n' "$line" >&2`,
    `exec ${quote(options.node)} ${quote(options.entry)} ${quote(programName)} "\${@:${from}}"`,
    '',
  ].join('\n');
}

function writeExecutable(file: string, text: string): void {
  writeFileSync(file, text);
  chmodSync(file, 0o755);
}

interface ScriptResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

function runScript(bash: string, script: string, cwd: string, env: Record<string, string>, timeoutMs: number): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bash, [script], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), timedOut });
    });
    child.stdin.end();
  });
}

/** The first lines where two texts differ, for the report. */
export function describeDifference(what: string, expected: string, actual: string): string[] {
  if (expected === actual) return [];
  const e = expected.split('\n');
  const a = actual.split('\n');
  let i = 0;
  while (i < e.length && i < a.length && e[i] === a[i]) i++;
  const lines = [`${what} differs at line ${i + 1}:`];
  for (let j = i; j < Math.min(i + 4, Math.max(e.length, a.length)); j++) {
    if (j < e.length) lines.push(`  - ${JSON.stringify(e[j])}`);
    if (j < a.length) lines.push(`  + ${JSON.stringify(a[j])}`);
  }
  return lines;
}

export async function runCase(file: string, options: HarnessOptions): Promise<CaseOutcome> {
  const opts: Required<HarnessOptions> = { bash: '/bin/bash', node: process.execPath, timeoutMs: 180_000, ...options };
  let c: CliCase;
  try {
    c = parseCase(file);
  } catch (err) {
    return { name: file, passed: false, differences: [`cannot read the case: ${(err as Error).message}`] };
  }
  const root = mkdtempSync(join(tmpdir(), `escd-cli-${c.name}-`));
  try {
    const home = join(root, 'home');
    const work = join(root, 'work');
    const bin = join(root, 'bin');
    for (const dir of [home, work, bin]) mkdirSync(dir, { mode: 0o700 });
    await seedStore(home, c.environments);
    for (const [path, bytes] of c.fs) {
      mkdirSync(dirname(join(work, path)), { recursive: true });
      writeFileSync(join(work, path), bytes);
    }
    for (const [name, script] of Object.entries(c.commands)) writeExecutable(join(bin, name), `#!${opts.bash}\n${referenceScript(script)}`);
    writeExecutable(join(bin, 'esc'), wrapper(opts, 'esc', 'esc', 1));
    // `P esc ARGS`: the echo line shows P and all of its arguments; the CLI gets those after `esc`.
    if (c.parent !== undefined) writeExecutable(join(bin, c.parent), wrapper(opts, c.parent, `${c.parent} esc`, 2));
    const script = join(root, 'script.sh');
    writeFileSync(script, referenceScript(c.run));
    const env: Record<string, string> = { ...c.environ, PATH: bin, TZ: 'UTC', ESCD_HOME: home };
    const result = await runScript(opts.bash, script, work, env, opts.timeoutMs);
    const differences = [
      ...(result.timedOut ? [`timed out after ${opts.timeoutMs} ms`] : []),
      ...(c.error !== (result.status !== 0) ? [`the script ${c.error ? 'should fail' : 'failed'} (status ${result.status})`] : []),
      ...describeDifference('stdout', c.stdout, result.stdout),
      ...describeDifference('stderr', c.stderr, result.stderr),
    ];
    return { name: c.name, passed: differences.length === 0, differences };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Runs every case (or those whose name starts with `only`), `concurrency` at a time; results in name order. */
export async function runCases(casesDir: string, options: HarnessOptions, concurrency: number, only?: string): Promise<CaseOutcome[]> {
  const names = listCases(casesDir).filter((n) => only === undefined || only === '' || n.startsWith(only));
  const outcomes: CaseOutcome[] = new Array(names.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const i = next++;
      outcomes[i] = await runCase(join(casesDir, names[i]!), options);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return outcomes;
}

export const casesPresent = (corpus: string): boolean => existsSync(join(corpus, 'cases'));
