// The loader of the installed `escd` (src/cli/loader.cts) keeps V8's code cache of each command beside
// the bundle: written when the first successful run of a command ends, read (not rewritten) by the next,
// and a cache V8 refuses is replaced, never a reason to fail. Run on a copy of dist/cli, so that the tests
// own the cache directory they look at.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, ROOT, runNode } from '../support/cli.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

/** The files of dist/cli (the loader, its bundles, package.json), copied into `dir`; no cache. */
function copyCli(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const files = readdirSync(join(ROOT, 'dist', 'cli'), { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
  for (const file of files) copyFileSync(join(ROOT, 'dist', 'cli', file), join(dir, file));
  return files;
}

describe("escd's code cache", () => {
  let home: TmpHome;
  let cli: string;
  let cacheDir: string;

  beforeAll(async () => {
    assertBuilt();
    home = await makeTmpHome('escd-code-cache-');
    // dist/cli copied; what it imports lazily (dist/src, dist/daemon) and the packages by link.
    const dist = join(home.dir, 'package', 'dist');
    copyCli(join(dist, 'cli'));
    for (const dir of ['src', 'daemon']) symlinkSync(join(ROOT, 'dist', dir), join(dist, dir));
    symlinkSync(join(ROOT, 'node_modules'), join(home.dir, 'package', 'node_modules'));
    cli = join(dist, 'cli', 'main.js');
    cacheDir = join(dist, 'cli', 'code-cache');
  });
  afterAll(async () => home?.cleanup());

  // No daemon in this home: `escd status` fails (3), `escd status --help` succeeds, both from escd-status.js.
  const status = () => runNode(cli, ['status'], { env: home.env });
  const statusHelp = () => runNode(cli, ['status', '--help'], { env: home.env });
  const cacheFiles = (): string[] => {
    try {
      return readdirSync(cacheDir);
    } catch {
      return [];
    }
  };

  it('is not written by a run that fails: its cache would hold the path of the error', async () => {
    const failed = await status();
    expect(failed.code).toBe(3);
    expect(failed.stderr).toMatch(/no escd daemon is running/);
    expect(cacheFiles()).toEqual([]);
  });

  it('is written by the first successful run of a command and read, unchanged, by the next', async () => {
    const first = await statusHelp();
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Usage: escd status/m);
    const files = cacheFiles();
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`^status-${process.version.replace(/\./g, '\\.')}-${process.arch}-\\d+-\\d+\\.bin$`));
    const file = join(cacheDir, files[0]!);
    const written = { bytes: readFileSync(file), mtimeMs: statSync(file).mtimeMs };
    expect(written.bytes.length).toBeGreaterThan(1_000);

    const second = await statusHelp();
    expect(second).toEqual(first);
    // V8 took the cache: a refused one would have been written again.
    expect(statSync(file).mtimeMs).toBe(written.mtimeMs);
    expect(readFileSync(file).equals(written.bytes)).toBe(true);
    // A failed run reads it too, and leaves it as it is.
    expect((await status()).code).toBe(3);
    expect(readFileSync(file).equals(written.bytes)).toBe(true);
  });

  it('replaces a cache V8 refuses, and the command works all the same', async () => {
    await statusHelp();
    const file = join(cacheDir, cacheFiles().find((f) => f.startsWith('status-'))!);
    const garbage = Buffer.alloc(statSync(file).size, 7);
    writeFileSync(file, garbage);
    const run = await statusHelp();
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: escd status/m);
    expect(readFileSync(file).equals(garbage)).toBe(false);
  });

  it('keeps one cache per command, and the full program (help) loads through it too', async () => {
    const help = await runNode(cli, ['--help'], { env: home.env });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: escd/m);
    expect(cacheFiles().some((f) => f.startsWith('_-'))).toBe(true);
    const again = await runNode(cli, ['--help'], { env: home.env });
    expect(again.stdout).toBe(help.stdout);
  });

  it('runs without one where it cannot be written', async () => {
    const blocked = join(home.dir, 'blocked');
    const files = copyCli(join(blocked, 'cli'));
    // A file where the directory would go: no cache can be made, whoever runs the test (root too).
    writeFileSync(join(blocked, 'cli', 'code-cache'), '');
    const run = await runNode(join(blocked, 'cli', 'main.js'), ['status'], { env: home.env });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/no escd daemon is running/);
    expect(readdirSync(join(blocked, 'cli')).sort()).toEqual([...files, 'code-cache'].sort());
  });
});
