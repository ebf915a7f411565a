// The test doubles the CLI corpus needs (../shared/esc-cli-conformance/README.md §3, §4), composed
// into the CLI through the same injection points unit tests use (src/cli/context.ts): the rot128
// test cipher, providers that echo their inputs, an empty execution context, the reference's root
// help (the corpus's program is `esc`), and temporary files
// named as the reference's test file system names them (`temp/esc-temp-N`, relative to the
// working directory, N the smallest number not in use, made in sorted key order).
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliDependencies } from '../../src/cli/context.js';
import type { Provider, ProviderRegistry } from '../../src/esc/provider.js';
import type { TempFiles, TempFilesWriter } from '../../src/run/temp-files.js';
import type { StoreOptions } from '../../src/store/store.js';
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

const HOUR_MS = 3_600_000;
const tester = { name: 'Test Tester', login: 'test-tester' };

/**
 * The fake service's identity and per-object times (§3): revision N (and its retraction) at hour N of
 * 1970-01-01 by Test Tester; environment tags at 2024-07-29 12:30 UTC by pulumipus; revision tags
 * without time or editor; a retraction without a replacement names revision 42; org test-org known.
 */
export const testStore: StoreOptions = {
  stamp: (event) => {
    switch (event.kind) {
      case 'revision':
      case 'retraction':
        return { at: new Date(event.revision * HOUR_MS).toISOString(), by: tester };
      case 'environment-tag':
        return { at: '2024-07-29T12:30:00.000Z', by: { name: 'pulumipus', login: 'pulumipus' } };
      case 'revision-tag':
        return {};
    }
  },
  replacementFor: () => 42,
  orgs: ['test-org'],
};

/**
 * The reference CLI's root help as its cobra command prints it (esc.go's Long text, then the usage
 * template): `programName` is `esc`, or `P esc` when mounted under a parent command `P`, where cobra
 * adds no `completion` and `help` commands (they belong to the root). The corpus's `esc` is that
 * program, so its help is the reference's (README §4), not escd's.
 */
export function referenceRootHelp(programName: string): string {
  const mounted = programName !== 'esc';
  const commands: [string, string][] = [
    ...(mounted ? [] : ([['completion', 'Generate the autocompletion script for the specified shell']] as [string, string][])),
    ['env', 'Manage environments'],
    ...(mounted ? [] : ([['help', 'Help about any command']] as [string, string][])),
    ['login', 'Log in to the Pulumi Cloud'],
    ['logout', 'Log out of the Pulumi Cloud'],
    ['open', 'Open the environment with the given name.'],
    ['run', 'Open the environment with the given name and run a command.'],
    ['version', "Print esc's version number"],
  ];
  // cobra pads command names to the longest one, at least 11 characters.
  const pad = Math.max(11, ...commands.map(([name]) => name.length));
  const common: [string, string][] = [
    ['env get ', 'Get a property in an environment definition'],
    ['env set ', 'Set a property in an environment definition'],
    ['env edit', 'Edit an environment definition'],
    ['env ls  ', 'List available environments'],
    ['run     ', 'Run a command within the context of an environment'],
    ['open    ', 'Open an environment and access its contents'],
  ];
  return [
    'Pulumi ESC - Manage environments, secrets, and configuration',
    '',
    `To begin working with Pulumi ESC, run the \`${programName} env init\` command:`,
    '',
    `    $ ${programName} env init`,
    '',
    'This will prompt you to create a new environment to hold secrets and configuration.',
    '',
    'The most common commands from there are:',
    '',
    ...common.map(([verb, what]) => `    - ${programName} ${verb} : ${what}`),
    '',
    'For more information, please visit the project page: https://www.pulumi.com/docs/esc',
    '',
    'Usage:',
    `  ${programName} [command]`,
    '',
    'Available Commands:',
    ...commands.map(([name, short]) => `  ${name.padEnd(pad)} ${short}`),
    '',
    'Flags:',
    '  -h, --help   help for esc',
    '',
    `Use "${programName} [command] --help" for more information about a command.`,
    '',
  ].join('\n');
}

export function testProfile(programName: string): Partial<CliDependencies> {
  return {
    programName,
    runtime: { cipher: testCipher, providers: echoProviders, executionContext: {}, store: testStore },
    tempFiles: referenceTempFiles,
    rootHelp: referenceRootHelp(programName),
  };
}
