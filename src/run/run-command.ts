// `escd run`: starts a command (no shell) with the environment's variables and files, forwards
// signals, filters secrets out of its output, removes the files when it ends, and reports its
// exit status (128 + signal number when it was killed).
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { isatty } from 'node:tty';
import type { Readable, Writable } from 'node:stream';
import { SecretRedactor } from '../secrets/redact.js';
import { resolvePaths } from '../config/paths.js';
import type { TempFiles, TempFilesWriter } from './temp-files.js';
import { EscdError } from '../core/errors.js';

export const FORWARDED_SIGNALS = ['SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGHUP'] as const;

/** Signals a terminal sends to its whole foreground process group (Ctrl-C, Ctrl-\). */
const TERMINAL_SIGNALS: ReadonlySet<NodeJS.Signals> = new Set(['SIGINT', 'SIGQUIT']);

export interface RunRequest {
  readonly command: string;
  readonly args: readonly string[];
  /** Added to (and overriding) the inherited environment. */
  readonly variables: Readonly<Record<string, string>>;
  /** Variable name → file text; the variable receives the file's path. */
  readonly files: Readonly<Record<string, string>>;
  /** Strings to filter from the output (ignored when interactive). */
  readonly secrets: readonly string[];
  /** Pass stdout and stderr through unfiltered (for interactive programs). */
  readonly interactive: boolean;
  readonly baseEnv?: NodeJS.ProcessEnv;
  /** Writes `files` (default: writeTempFiles, a private directory removed afterwards). */
  readonly writeFiles?: TempFilesWriter;
  /** The private directory the files go in (default: the user's run-files directory, config/paths.ts). */
  readonly filesDir?: string;
  /**
   * Whether escd runs in a terminal (default: any of its standard streams is one). Then Ctrl-C and
   * Ctrl-\ already reach the command, which shares our process group, so they are not sent again:
   * a second SIGINT means "stop now, skip the cleanup" to tools such as terraform and pulumi.
   */
  readonly inTerminal?: boolean;
  /** Where the command's filtered output goes (default: escd's own stdout and stderr, built on first output). */
  readonly stdout?: Writable;
  readonly stderr?: Writable;
}

/**
 * The environment's variables as the child gets them. The AWS CLI v1 reads only AWS_DEFAULT_REGION,
 * so an environment that sets AWS_REGION alone also gets AWS_DEFAULT_REGION (over an inherited one,
 * which would otherwise win in the CLI v1 against the environment's region).
 */
export function withDefaultRegion(variables: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  const region = variables.AWS_REGION;
  if (region === undefined || region === '' || Object.hasOwn(variables, 'AWS_DEFAULT_REGION')) return variables;
  return { ...variables, AWS_DEFAULT_REGION: region };
}

const signalNumber = (signal: NodeJS.Signals): number => constants.signals[signal] ?? 0;

/**
 * Copies a command's output to `target()` with every secret replaced; resolves once all of it is
 * written. The redactor and the target are built on the first chunk: a command that prints nothing
 * (most runs of `true`, `terraform plan` before its output…) costs the pipe alone.
 */
function filterOutput(source: Readable, target: () => Writable, secrets: readonly string[]): Promise<void> {
  return new Promise((resolve) => {
    let redactor: SecretRedactor | undefined;
    // 'close', not 'end': it also comes after a read error, and the child's own 'close' waits for it anyway.
    const silent = (): void => resolve();
    source.once('close', silent);
    // pipe() ends the redactor at the source's end, not at an error: what was read still goes out.
    source.once('error', () => redactor?.end());
    source.once('data', (first: Buffer) => {
      source.off('close', silent);
      const filter = (redactor = new SecretRedactor(secrets));
      filter.once('end', resolve);
      const stream = target();
      // Our reader went away (`escd run ... | head`): close the child's end too, so that it gets
      // SIGPIPE/EPIPE on its next write as it would in a shell pipeline (`yes` must not run forever).
      stream.on('error', () => {
        filter.unpipe(stream);
        source.unpipe(filter);
        source.destroy();
        filter.resume();
        filter.end();
      });
      filter.pipe(stream, { end: false });
      filter.write(first);
      // In this same turn, so that the next chunk goes to the redactor too.
      source.pipe(filter);
    });
  });
}

/** Resolves to the exit code escd should exit with. */
export async function runCommand(request: RunRequest): Promise<number> {
  // Getters: Node builds process.stdout on first use (about 1 ms on a pipe), and `true` prints nothing.
  const stdout = (): Writable => request.stdout ?? process.stdout;
  const stderr = (): Writable => request.stderr ?? process.stderr;
  let child: ChildProcess | undefined;
  let files: TempFiles | undefined;
  let interruptedBy: NodeJS.Signals | undefined;

  // isatty(fd), not process.stdin.isTTY: that builds a stream for stdin (and loads what it needs) for nothing.
  const inTerminal = request.inTerminal ?? (isatty(0) || isatty(1) || isatty(2));
  // Installed before anything is written: a signal during setup still cleans up.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (child && child.exitCode === null && child.signalCode === null) {
      if (!(inTerminal && TERMINAL_SIGNALS.has(signal))) child.kill(signal);
    } else interruptedBy ??= signal;
  };
  const handlers = FORWARDED_SIGNALS.map((signal) => [signal, () => onSignal(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  const cleanup = async (): Promise<void> => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
    await files?.remove();
  };

  try {
    if (request.writeFiles) files = await request.writeFiles(request.files);
    // No files, no directory (nor a sweep of old ones: the next run that writes files does it).
    else if (Object.keys(request.files).length === 0) files = { dir: '', paths: {}, remove: async () => {} };
    else {
      const filesDir = request.filesDir ?? resolvePaths(request.baseEnv ?? process.env).runFilesDir;
      // Loaded only for an environment with files: node:fs/promises is not worth loading otherwise.
      const { sweepStaleTempDirs, TempFilesError, writeTempFiles } = await import('./temp-files.js');
      try {
        files = await writeTempFiles(request.files, filesDir);
      } catch (err) {
        if (err instanceof TempFilesError) throw new EscdError('command_failed', err.message);
        throw err;
      }
      await sweepStaleTempDirs(filesDir);
    }
    if (interruptedBy) return 128 + signalNumber(interruptedBy);
    const env = { ...(request.baseEnv ?? process.env), ...withDefaultRegion(request.variables), ...files.paths };
    const filter = !request.interactive;
    const spawned = spawn(request.command, [...request.args], { env, stdio: ['inherit', filter ? 'pipe' : 'inherit', filter ? 'pipe' : 'inherit'] });
    child = spawned;

    const outputs = filter
      ? [filterOutput(spawned.stdout!, stdout, request.secrets), filterOutput(spawned.stderr!, stderr, request.secrets)]
      : [];

    const status = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      spawned.once('error', (err: NodeJS.ErrnoException) => {
        const reason = err.code === 'ENOENT' ? 'command not found' : err.code === 'EACCES' ? 'permission denied' : (err.code ?? err.message);
        reject(new EscdError('command_failed', `cannot run ${JSON.stringify(request.command)}: ${reason}`));
      });
      spawned.once('close', (code, signal) => resolve({ code, signal }));
    });
    await Promise.all(outputs);
    return status.code ?? 128 + signalNumber(status.signal ?? 'SIGKILL');
  } finally {
    await cleanup();
  }
}
