#!/usr/bin/env node
// The installed `escd` (package.json "bin", built into dist/cli/main.js by ./bundle.mjs): runs a
// bundle beside it from V8's code cache, the way Python keeps __pycache__ next to a module. The bundle
// is the command's own for `escd status`, `open` and `run` (dist/cli/escd-<command>.js: what its fast
// path needs and no more), dist/cli/escd.js for every other command. Compiling the bundle and the
// functions a command calls is about 4 ms of the ~45 ms a thin-client command takes; with the cache
// V8 reads them instead.
//
// The cache of a command (`escd run`, `escd status`…: each calls other functions) is written when the
// first successful run of it ends and is then used until the bundle or Node changes. It lives in the package
// (dist/cli/code-cache/), so it is exactly as trusted as the code it was made from; where the package
// directory cannot be written (a global install by root) there is simply no cache. V8 checks what it
// reads (version, flags, source length, checksum) and compiles afresh when it refuses it.
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Script } from 'node:vm';

const CACHE_DIR = join(__dirname, 'code-cache');

/** Commands with a bundle of their own (bundle.mjs); every other command is in escd.js. */
const FAST_BUNDLES: ReadonlySet<string> = new Set(['status', 'open', 'run']);

/**
 * The bundle's `import()` calls, renamed by bundle.mjs: V8 loses the way back to Node's loader for
 * `import()` in a script compiled from a code cache, so the bundle imports through this module.
 * Relative specifiers resolve from here, the bundle's own directory.
 */
const importer = (specifier: string): Promise<unknown> => import(specifier);

function bundleFor(command: string | undefined): string {
  return join(__dirname, command !== undefined && FAST_BUNDLES.has(command) ? `escd-${command}.js` : 'escd.js');
}

/** One cache per command word, Node version and build of the bundle. */
function cacheFileFor(command: string | undefined, bundle: { size: number; mtimeMs: number }): string {
  const word = command !== undefined && /^[a-z][a-z-]{0,23}$/.test(command) ? command : '_';
  return join(CACHE_DIR, `${word}-${process.version}-${process.arch}-${bundle.size}-${Math.trunc(bundle.mtimeMs)}.bin`);
}

function readCache(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Atomically (another escd may be writing the same file); any failure just means no cache. */
function writeCache(file: string, data: Buffer): void {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(CACHE_DIR, { recursive: true });
    writeFileSync(temporary, data);
    renameSync(temporary, file);
  } catch {
    rmSync(temporary, { force: true });
  }
}

function load(bundle: string): void {
  const source = readFileSync(bundle, 'utf8');
  const cacheFile = cacheFileFor(process.argv[2], statSync(bundle));
  const cachedData = readCache(cacheFile);
  // `#!` is not JavaScript inside a function; `//` keeps every line where it was.
  const body = source.startsWith('#!') ? `//${source.slice(2)}` : source;
  const script = new Script(`(function (exports, require, module, __filename, __dirname, __escdImport) {${body}\n})`, {
    filename: bundle,
    ...(cachedData ? { cachedData } : {}),
  });
  if (cachedData === undefined || script.cachedDataRejected === true) {
    // At the end, so that the cache holds every function this command compiled; and only after a run
    // that succeeded: a cache is kept once made, and one made by a failure (`escd status` before any
    // daemon runs) would hold the error's path instead of the one every later run takes.
    process.once('exit', (code) => {
      if (code === 0) writeCache(cacheFile, script.createCachedData());
    });
  }
  // The bundle sits beside this file, so this file's `require` resolves its paths alike; a plain
  // module object spares loading `node:module` (which brings Node's ES module loader with it).
  const bundleModule = { exports: {} };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run(bundleModule.exports, require, bundleModule, bundle, __dirname, importer);
}

const bundle = bundleFor(process.argv[2]);
try {
  load(bundle);
} catch (err) {
  process.stderr.write(`escd: cannot load ${bundle}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
