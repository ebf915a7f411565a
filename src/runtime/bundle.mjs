// Builds dist/src/runtime/evaluation-worker.cjs: the daemon's evaluation worker (evaluation-worker.ts)
// and everything it runs — the language and the yaml parser — bundled into one CommonJS file. A worker
// thread boots a fresh isolate that must load its code: one file instead of an ES module graph halves
// the time to its first evaluation (daemon start, and again after an idle worker was stopped) and
// compiles less. Run by `npm run build` after tsc; isolated-engine.ts falls back to tsc's output.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

await build({
  entryPoints: [resolve(root, 'src/runtime/evaluation-worker.ts')],
  outfile: resolve(root, 'dist/src/runtime/evaluation-worker.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
});
