// The local environment store: `<environmentsDir>/<project>/<env>.yaml`. Writes are atomic
// (temporary file beside the target, fsync, rename), files 0600 and directories 0700, so a crash
// or a full disk leaves the previous definition, never half of a new one.
import { lstat, mkdir, readdir, readFile, realpath, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, isAbsolute, sep } from 'node:path';
import type { EnvironmentLoader } from '../esc/types.js';
import { writeFileAtomic } from '../keystore/atomic-file.js';
import { isValidSegment, parseEnvironmentName, quoteName, type EnvironmentName } from './names.js';

export const ENVIRONMENT_EXTENSION = '.yaml';

export interface StoredEnvironment extends EnvironmentName {
  readonly file: string;
}

export interface EnvironmentDefinition extends StoredEnvironment {
  readonly source: string;
  /** Last modification time, for optimistic concurrency (`write(..., { expectedMtimeMs })`). */
  readonly mtimeMs: number;
}

export interface EnvironmentSummary extends StoredEnvironment {
  readonly modified: Date;
}

/** A store failure whose message is the one line to show the user. */
export class StoreError extends Error {
  constructor(
    message: string,
    readonly code: 'not_found' | 'exists' | 'conflict' | 'invalid_name' | 'io' = 'io',
  ) {
    super(message);
  }
}

export interface WriteOptions {
  /** Refuse to create: the environment must exist already. */
  readonly mustExist?: boolean;
  /** Refuse to overwrite: the environment must not exist yet. */
  readonly mustNotExist?: boolean;
  /** Refuse when the file changed since it was read (its mtime differs). */
  readonly expectedMtimeMs?: number;
}

const errnoCode = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

export class EnvironmentStore {
  constructor(
    readonly dir: string,
    readonly org: string,
  ) {}

  /** Resolves a name to its file without touching the disk; throws StoreError for a bad name. */
  resolve(name: string): StoredEnvironment {
    let parsed: EnvironmentName;
    try {
      parsed = parseEnvironmentName(name, this.org);
    } catch (err) {
      throw new StoreError((err as Error).message, 'invalid_name');
    }
    const file = join(this.dir, parsed.project, parsed.env + ENVIRONMENT_EXTENSION);
    // Belt and braces: the name grammar already rules out separators and dot segments.
    const rel = relative(this.dir, file);
    if (rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).length !== 2) {
      throw new StoreError(`invalid environment name ${quoteName(name)}`, 'invalid_name');
    }
    return { ...parsed, file };
  }

  /** Every environment, sorted by name. A missing directory is an empty store. */
  async list(): Promise<EnvironmentSummary[]> {
    const out: EnvironmentSummary[] = [];
    for (const project of await this.readDir(this.dir)) {
      if (!project.isDirectory() || !isValidSegment(project.name)) continue;
      for (const entry of await this.readDir(join(this.dir, project.name))) {
        if (!entry.isFile() || !entry.name.endsWith(ENVIRONMENT_EXTENSION)) continue;
        const env = entry.name.slice(0, -ENVIRONMENT_EXTENSION.length);
        if (!isValidSegment(env)) continue;
        const stored = this.resolve(`${project.name}/${env}`);
        const info = await stat(stored.file).catch(() => undefined);
        if (info) out.push({ ...stored, modified: info.mtime });
      }
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async exists(name: string): Promise<boolean> {
    const { file } = this.resolve(name);
    await this.checkInside(file);
    return (await lstat(file).catch(() => undefined)) !== undefined;
  }

  async read(name: string): Promise<EnvironmentDefinition> {
    const stored = this.resolve(name);
    await this.checkInside(stored.file);
    try {
      const [source, info] = await Promise.all([readFile(stored.file, 'utf8'), stat(stored.file)]);
      return { ...stored, source, mtimeMs: info.mtimeMs };
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') throw new StoreError(`environment ${stored.name} does not exist (no file ${stored.file})`, 'not_found');
      if (errnoCode(err) === 'EISDIR') throw new StoreError(`${stored.file} is a directory, not an environment file`);
      throw new StoreError(`cannot read ${stored.file}: ${errnoCode(err) ?? (err as Error).message}`);
    }
  }

  async write(name: string, source: string, options: WriteOptions = {}): Promise<StoredEnvironment> {
    const stored = this.resolve(name);
    await this.ensureDir(dirname(stored.file));
    await this.checkInside(stored.file);
    const current = await stat(stored.file).catch((err: unknown) => {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw new StoreError(`cannot read ${stored.file}: ${errnoCode(err) ?? (err as Error).message}`);
    });
    if (options.mustExist && !current) throw new StoreError(`environment ${stored.name} does not exist (no file ${stored.file})`, 'not_found');
    if (options.mustNotExist && current) throw new StoreError(`environment ${stored.name} already exists (${stored.file})`, 'exists');
    if (options.expectedMtimeMs !== undefined && current?.mtimeMs !== options.expectedMtimeMs) {
      throw new StoreError(`environment ${stored.name} was changed by someone else while you were editing it (${stored.file})`, 'conflict');
    }
    try {
      await writeFileAtomic(stored.file, source, 0o600);
    } catch (err) {
      throw new StoreError(`cannot write ${stored.file}: ${errnoCode(err) ?? (err as Error).message}`);
    }
    return stored;
  }

  async remove(name: string): Promise<StoredEnvironment> {
    const stored = this.resolve(name);
    await this.checkInside(stored.file);
    try {
      await unlink(stored.file);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') throw new StoreError(`environment ${stored.name} does not exist (no file ${stored.file})`, 'not_found');
      throw new StoreError(`cannot remove ${stored.file}: ${errnoCode(err) ?? (err as Error).message}`);
    }
    // Drop the project directory once its last environment is gone; not empty is fine.
    await rmdir(dirname(stored.file)).catch(() => undefined);
    return stored;
  }

  /** The evaluator's loader: maps an import name to its source; failures name the environment and file. */
  loader(overrides: ReadonlyMap<string, string> = new Map()): EnvironmentLoader {
    return async (name) => {
      let stored: StoredEnvironment;
      try {
        stored = this.resolve(name);
      } catch (err) {
        throw new Error(`cannot import ${quoteName(name)}: ${(err as Error).message}`);
      }
      const override = overrides.get(stored.name);
      if (override !== undefined) return { name, source: override };
      try {
        return { name, source: (await this.read(name)).source };
      } catch (err) {
        throw new Error((err as Error).message);
      }
    };
  }

  private async readDir(dir: string) {
    try {
      return await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return [];
      throw new StoreError(`cannot list ${dir}: ${errnoCode(err) ?? (err as Error).message}`);
    }
  }

  /** Creates the store and project directories as 0700 when missing. */
  private async ensureDir(dir: string): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      await mkdir(dir, { mode: 0o700 });
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw new StoreError(`cannot create ${dir}: ${errnoCode(err) ?? (err as Error).message}`);
    }
  }

  /**
   * Follows symbolic links: the file (or, before it exists, its directory) must really be inside
   * the environments directory, so a link cannot redirect reads or writes elsewhere.
   */
  private async checkInside(file: string): Promise<void> {
    const root = await realpath(this.dir).catch(() => undefined);
    if (root === undefined) return; // no store yet: nothing can point outside it
    let target: string | undefined;
    for (const candidate of [file, dirname(file)]) {
      target = await realpath(candidate).catch(() => undefined);
      if (target !== undefined) {
        if (candidate !== file) target = join(target, relative(dirname(file), file));
        break;
      }
    }
    if (target === undefined) return; // neither exists yet: it will be created inside
    const rel = relative(root, target);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
      throw new StoreError(`refusing to use ${file}: it resolves to ${target}, outside the environments directory ${root}`, 'invalid_name');
    }
  }
}
