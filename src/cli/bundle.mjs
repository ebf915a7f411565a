// Builds the `escd` command (package.json "bin"): dist/cli/main.js is the loader (./loader.cts), which
// runs a bundle beside it from V8's code cache: escd-status.js, escd-open.js or escd-run.js for those
// commands, each src/cli/start.ts with that command's fast path (fast-path.ts: `escd run <env> …`,
// `escd open <env>`, `escd status`) and nothing of the others, and escd.js for every other command.
// Each is one CommonJS file, as the shim is (shim/bundle.mjs): Node starts a CommonJS file faster than
// it resolves, reads and links an ES module graph. Everything else stays a module of its own that a
// bundle imports only when the command needs it: the full program (run-cli.ts, with commander and
// each command's file, `escd daemon`'s among them), the in-process engine of --no-daemon
// (daemon/local.ts) and every package (yaml for `--format yaml` is imported on demand).
// Run by `npm run build` after tsc; test/cli/bundle.test.ts checks what the bundles hold.
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const outdir = resolve(root, 'dist/cli');

/** Loaded by the bundle with import() from tsc's output in dist/ (sources relative to the root). */
const LAZY_MODULES = ['src/cli/run-cli.ts', 'daemon/local.ts'];

const lazyModules = {
  name: 'lazy-modules',
  setup(b) {
    b.onResolve({ filter: /^\./ }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const source = relative(root, resolve(args.resolveDir, args.path)).replace(/\.js$/, '.ts');
      if (!LAZY_MODULES.includes(source)) return undefined;
      // The same module as tsc emitted it, relative to the bundle (dist/cli/ → dist/<source>.js).
      const emitted = relative(outdir, resolve(root, 'dist', source.replace(/\.ts$/, '.js')));
      return { path: emitted.startsWith('.') ? emitted : `./${emitted}`, external: true };
    });
  },
};

/** The bundles and the loader: one CommonJS file each, for the Node versions package.json names. */
const commonJs = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' };

mkdirSync(outdir, { recursive: true });

/**
 * Bundles src/cli/start.ts into dist/cli/<name>, with the fast path of `commands` (fast-path.ts) and
 * no other: `escd status` reads, compiles and initializes none of run's or open's code.
 */
async function bundleCli(name, commands) {
  const file = resolve(outdir, name);
  const contents = `${commands.map((c) => `import { ${c} } from './fast-path.js';\n`).join('')}import { startCli } from './start.js';\nstartCli({ ${commands.join(', ')} });\n`;
  await build({
    ...commonJs,
    stdin: { contents, resolveDir: resolve(root, 'src/cli'), sourcefile: `src/cli/${name.replace(/\.js$/, '.ts')}`, loader: 'ts' },
    outfile: file,
    packages: 'external',
    plugins: [lazyModules],
    // import.meta.url locates files relative to the module; in a bundle that is dist/cli/<name>, at the
    // same depth as dist/daemon/ and dist/shim/ (daemon/spawn-detached.ts finds dist/src/cli/main.js).
    // A getter: making the URL loads Node's URL code, which most commands never ask for.
    define: { 'import.meta.url': '__cliMeta.url' },
    banner: { js: "const __cliMeta = { get url() { return require('node:url').pathToFileURL(__filename).href; } };" },
  });
  // The loader runs a bundle as a script made from V8's code cache, where `import()` cannot reach
  // Node's loader: every dynamic import goes through the loader's own (the `__escdImport` parameter).
  const bundled = readFileSync(file, 'utf8');
  const rewritten = bundled.replace(/\bimport\((?="[^"]+"\))/g, '__escdImport(');
  if (/\bimport\(/.test(rewritten.replace(/^\s*\/\/.*$/gm, ''))) throw new Error(`src/cli/bundle.mjs: an import() of ${name} is not a plain string: the loader cannot run it`);
  writeFileSync(file, rewritten);
}

// One bundle per command that scripts and prompts run many times a second (FAST_BUNDLES in the
// loader), and one for every other command, which the full program (run-cli.ts) serves.
for (const command of ['status', 'open', 'run']) await bundleCli(`escd-${command}.js`, [command]);
await bundleCli('escd.js', []);
await build({ ...commonJs, entryPoints: [resolve(root, 'src/cli/loader.cts')], outfile: resolve(outdir, 'main.js') });
chmodSync(resolve(outdir, 'main.js'), 0o755);
// Caches of the previous build are of another bundle (V8 would refuse most; none is kept).
rmSync(resolve(outdir, 'code-cache'), { recursive: true, force: true });
// The package is "type": "module"; this directory holds CommonJS.
writeFileSync(resolve(outdir, 'package.json'), '{ "type": "commonjs" }\n');
// The bin before the bundle: an npx cache made then still links `escd` to it, and runs it directly.
chmodSync(resolve(root, 'dist/src/cli/main.js'), 0o755);
