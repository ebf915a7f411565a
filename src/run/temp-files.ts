// The `files` of an environment, written for one child process: one 0600 file per entry in a directory
// of this run (0700) inside the user's private run-files directory (0700, owned by the user, checked —
// never a shared temp dir, where another user could plant or swap entries). When the child ends, the
// run removes its own directory. Directories of runs that were killed outright (SIGKILL) are swept by
// the next run, inside that private directory only, without following a symbolic link.
import { lstat, mkdir, mkdtemp, readdir, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { processGone } from '../core/process.js';
import { ancestorsProblem, privateDirProblem } from '../protocol/socket-trust.js';

export interface TempFiles {
  readonly dir: string;
  /** Variable name → path of the file holding its text. */
  readonly paths: Readonly<Record<string, string>>;
  remove(): Promise<void>;
}

export class TempFilesError extends Error {}

/** A file name derived from the variable name (readable in `ls`), unique within the run. */
function fileNames(names: readonly string[]): string[] {
  const used = new Set<string>();
  return names.map((name) => {
    const base = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 100) || 'file';
    let candidate = base;
    for (let n = 2; used.has(candidate); n++) candidate = `${base}-${n}`;
    used.add(candidate);
    return candidate;
  });
}

/** Writes one run's files; the test harness substitutes its own (src/cli/context.ts). */
export type TempFilesWriter = (files: Readonly<Record<string, string>>) => Promise<TempFiles>;

/** Creates `base` 0700 when missing, then refuses it unless it is a real directory of ours closed to others. */
export async function ensurePrivateDir(base: string): Promise<void> {
  const above = ancestorsProblem(base);
  if (above) throw new TempFilesError(above);
  try {
    await mkdir(base, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new TempFilesError(`cannot create the private directory for run files ${base}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const problem = privateDirProblem(base, undefined, 'the private directory for run files');
  if (problem) throw new TempFilesError(problem);
}

/** Writes the files in a new directory of this run under `base` (the private run-files directory). */
export async function writeTempFiles(files: Readonly<Record<string, string>>, base: string): Promise<TempFiles> {
  await ensurePrivateDir(base);
  // mkdtemp creates the directory 0700; the pid in its name lets a later run tell a leftover.
  const dir = await mkdtemp(join(base, `${process.pid}-`));
  const created: string[] = [];
  const remove = async (): Promise<void> => {
    for (const path of created) await unlink(path).catch(() => undefined);
    // Anything else in it was put there by the child, in this run's own private directory.
    await rmdir(dir).catch(() => rm(dir, { recursive: true, force: true }));
  };
  const names = Object.keys(files);
  const paths: Record<string, string> = {};
  try {
    const fileNamesList = fileNames(names);
    for (const [i, name] of names.entries()) {
      const path = join(dir, fileNamesList[i]!);
      await writeFile(path, files[name]!, { mode: 0o600, flag: 'wx' });
      created.push(path);
      Object.defineProperty(paths, name, { value: path, enumerable: true });
    }
  } catch (err) {
    await remove();
    throw err;
  }
  return { dir, paths, remove };
}

/**
 * Removes the directories of dead runs from the private run-files directory `base`, and nothing
 * else: only when `base` passes the private-directory check, only entries that are real directories
 * (lstat: a symbolic link is skipped), and fs.rm removes links inside without following them.
 * Best effort, never fails.
 */
export async function sweepStaleTempDirs(base: string): Promise<void> {
  if (privateDirProblem(base) !== undefined || ancestorsProblem(base) !== undefined) return;
  const entries = await readdir(base).catch(() => [] as string[]);
  for (const name of entries) {
    const match = /^(\d+)-[A-Za-z0-9]{6}$/.exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || !processGone(pid)) continue;
    const path = join(base, name);
    const info = await lstat(path).catch(() => undefined);
    if (info?.isDirectory()) await rm(path, { recursive: true, force: true }).catch(() => undefined);
  }
}
