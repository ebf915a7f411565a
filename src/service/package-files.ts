// Where this installed package's files are: the scripts a service definition or a credential_process
// line must point at, and the service templates. Works from dist/ (installed) and from src/ (tests).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
      if (name === 'escd') return dir;
    }
    if (dirname(dir) === dir) throw new Error(`cannot find the escd package above ${start}`);
  }
}

let root: string | undefined;

/** The escd package directory (holds package.json, dist/, systemd/, launchd/). */
export function packageRoot(): string {
  return (root ??= findPackageRoot(dirname(fileURLToPath(import.meta.url))));
}

/** The built `escd` entry point, the package's bin (dist/cli/main.js), absolute. */
export function escdScript(): string {
  return join(packageRoot(), 'dist', 'cli', 'main.js');
}

/** The built `escd-shim` entry point (absolute). */
export function shimScript(): string {
  return join(packageRoot(), 'dist', 'shim', 'main.js');
}

/** The version in this package's package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

export function readTemplate(relativePath: string): string {
  return readFileSync(join(packageRoot(), relativePath), 'utf8');
}

/**
 * True when this package runs from npx's cache: a service or credential_process pointing there breaks
 * when the cache is cleaned, so callers suggest a real install.
 */
export function runsFromNpxCache(root: string = packageRoot()): boolean {
  return /[\\/]_npx[\\/]/.test(root);
}

export const NPX_CACHE_HINT = 'escd is running from the npx cache, which npm may clean at any time; install it (`npm install -g escd`) so the paths below keep working';
