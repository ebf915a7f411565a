// What the command line is composed from: its name and the parts of the runtime a caller may replace.
// `escd` itself uses the defaults; tests (the CLI conformance harness, test/cli-conformance/) build
// the same program with their own clock, cipher, providers and temporary-file namer. There is no
// flag or environment variable that changes these: only code that builds the program can.
import type { RuntimeOptions } from '../runtime/runtime.js';
import type { TempFilesWriter } from '../run/temp-files.js';

export interface CliDependencies {
  /** The program as help and messages name it (`escd`). */
  readonly programName: string;
  /** Passed to createRuntime by every command that opens the runtime. */
  readonly runtime: RuntimeOptions;
  /**
   * Writes the `files` projection of `run` and `open --format dotenv|shell` (default: a private
   * directory under the system's temporary directory).
   */
  readonly tempFiles?: TempFilesWriter;
  /**
   * The root's help, for a program that presents itself as another (the CLI conformance harness's
   * `esc` shows the reference's own); with it, the program run without arguments prints it on
   * standard output and succeeds, as a cobra root command does.
   */
  readonly rootHelp?: string;
}

const defaults: CliDependencies = { programName: 'escd', runtime: {} };
let current: CliDependencies = defaults;

/** Set once by buildProgram, before any command runs. */
export function setCliDependencies(deps: Partial<CliDependencies>): void {
  current = { ...defaults, ...deps };
}

export function cliDependencies(): CliDependencies {
  return current;
}
