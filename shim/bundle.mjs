// Builds dist/shim/main.js: the shim and the few dependency-free modules it uses, bundled into one
// CommonJS file. Node starts a CommonJS script faster than an ES module graph (about 7 ms less on each
// `aws` / `kubectl` call, see the README's Performance section). Run by `npm run build` after tsc.
import { writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const outdir = new URL('../dist/shim/', import.meta.url).pathname;

await build({
  entryPoints: [new URL('./main.ts', import.meta.url).pathname],
  outfile: `${outdir}main.js`,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // A package import would show up as require('<name>'), which test/shim/imports.test.ts refuses.
  packages: 'external',
  // import.meta.url locates files relative to the module; in the bundle that is dist/shim/main.js. A
  // getter: making the URL loads Node's URL code, which only the shim's cold path (starting the daemon) needs.
  define: { 'import.meta.url': '__shimMeta.url' },
  banner: { js: "const __shimMeta = { get url() { return require('node:url').pathToFileURL(__filename).href; } };" },
  logLevel: 'warning',
});
// The package is "type": "module"; this directory holds CommonJS.
writeFileSync(`${outdir}package.json`, '{ "type": "commonjs" }\n');
