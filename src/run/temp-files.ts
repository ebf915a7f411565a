// The `files` of an environment, written for one child process: a private directory (0700) per
// run, one 0600 file per entry, all removed when the child ends. The directory name carries our
// pid, so a run that was killed outright (SIGKILL) is cleaned up by the next one.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'escd-run-';

export interface TempFiles {
  readonly dir: string;
  /** Variable name → path of the file holding its text. */
  readonly paths: Readonly<Record<string, string>>;
  remove(): Promise<void>;
}

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

export async function writeTempFiles(files: Readonly<Record<string, string>>, base = tmpdir()): Promise<TempFiles> {
  // mkdtemp creates the directory 0700.
  const dir = await mkdtemp(join(base, `${PREFIX}${process.pid}-`));
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  const names = Object.keys(files);
  const paths: Record<string, string> = {};
  try {
    const fileNamesList = fileNames(names);
    for (const [i, name] of names.entries()) {
      const path = join(dir, fileNamesList[i]!);
      await writeFile(path, files[name]!, { mode: 0o600, flag: 'wx' });
      Object.defineProperty(paths, name, { value: path, enumerable: true });
    }
  } catch (err) {
    await remove();
    throw err;
  }
  return { dir, paths, remove };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes directories left by runs whose process no longer exists. Best effort, never fails. */
export async function sweepStaleTempDirs(base = tmpdir()): Promise<void> {
  const entries = await readdir(base, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const match = new RegExp(`^${PREFIX}(\\d+)-`).exec(entry.name);
    if (!match || !entry.isDirectory()) continue;
    const pid = Number(match[1]);
    if (pid !== process.pid && !isAlive(pid)) await rm(join(base, entry.name), { recursive: true, force: true }).catch(() => undefined);
  }
}
