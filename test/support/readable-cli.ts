// The built CLI bundled into one file in a fresh world-readable temp dir, for a test that runs the
// daemon as another user (uid 65534): that user may not be able to read the clone at all (a clone in
// a 0700 directory, as under `mktemp -d`), nor its node_modules. esbuild inlines every dependency; the
// native keychain binding stays out (such tests use the file key store).
import { chmodSync, copyFileSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { CLI_MODULE, ROOT } from './cli.js';

const WORKER_MODULE = join(ROOT, 'dist', 'src', 'runtime', 'evaluation-worker.js');

export interface ReadableCli {
  /** The bundled `escd` entry point, readable by every user. */
  readonly script: string;
  cleanup(): Promise<void>;
}

export async function readableCli(): Promise<ReadableCli> {
  const dir = await mkdtemp(join(tmpdir(), 'escd-cli-'));
  chmodSync(dir, 0o755);
  // The daemon reads its version from ../../package.json relative to the module, here the bundle.
  const script = join(dir, 'dist', 'src', 'cli', 'main.js');
  mkdirSync(join(dir, 'dist', 'src', 'cli'), { recursive: true, mode: 0o755 });
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'dist', 'package.json'));
  // CommonJS dependencies call require(); an ES module bundle has none of its own.
  const banner = { js: "import { createRequire as __escdRequire } from 'node:module'; const require = __escdRequire(import.meta.url);" };
  // The daemon's evaluation worker is a file of its own, looked up beside the module that starts it.
  const worker = join(dir, 'dist', 'src', 'cli', 'evaluation-worker.js');
  await build({ entryPoints: [WORKER_MODULE], outfile: worker, bundle: true, platform: 'node', format: 'esm', target: 'node20', banner, logLevel: 'error' });
  await build({
    entryPoints: [CLI_MODULE],
    outfile: script,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['@napi-rs/keyring'],
    banner,
    logLevel: 'error',
  });
  for (const p of [join(dir, 'dist'), join(dir, 'dist', 'src'), join(dir, 'dist', 'src', 'cli')]) chmodSync(p, 0o755);
  chmodSync(script, 0o644);
  chmodSync(worker, 0o644);
  chmodSync(join(dir, 'dist', 'package.json'), 0o644);
  return { script, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
