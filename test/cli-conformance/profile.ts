// The test doubles the CLI corpus needs (../shared/esc-cli-conformance/README.md §3, §4), composed
// into the CLI through the same injection points unit tests use (src/cli/context.ts): the rot128
// test cipher, providers that echo their inputs, an empty execution context, and temporary files
// named as the reference's test file system names them (`temp/esc-temp-N`, relative to the
// working directory, N the smallest number not in use, made in sorted key order).
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliDependencies } from '../../src/cli/context.js';
import type { Provider, ProviderRegistry } from '../../src/esc/provider.js';
import type { TempFiles, TempFilesWriter } from '../../src/run/temp-files.js';
import { testCipher } from '../support/test-cipher.js';

const echo: Provider = { inputSchema: true, outputSchema: true, open: async (inputs) => inputs };

export const echoProviders: ProviderRegistry = new Map(['test', 'aws-login', 'azure-login', 'gcp-login'].map((name) => [name, echo]));

const TEMP_DIR = 'temp';
const PREFIX = 'esc-temp-';

export const referenceTempFiles: TempFilesWriter = async (files): Promise<TempFiles> => {
  mkdirSync(TEMP_DIR, { recursive: true });
  const used = new Set(readdirSync(TEMP_DIR));
  const paths: Record<string, string> = {};
  let n = 0;
  for (const name of Object.keys(files).sort()) {
    while (used.has(`${PREFIX}${n}`)) n++;
    const file = `${PREFIX}${n}`;
    used.add(file);
    writeFileSync(join(TEMP_DIR, file), files[name]!, { mode: 0o600 });
    Object.defineProperty(paths, name, { value: `${TEMP_DIR}/${file}`, enumerable: true });
  }
  const remove = async (): Promise<void> => {
    for (const path of Object.values(paths)) rmSync(path, { force: true });
  };
  return { dir: TEMP_DIR, paths, remove };
};

export function testProfile(programName: string): Partial<CliDependencies> {
  return {
    programName,
    runtime: { cipher: testCipher, providers: echoProviders, executionContext: {} },
    tempFiles: referenceTempFiles,
  };
}
