// Tells the cache when a file under the environments directory changes. fs.watch is recursive on
// macOS, Windows and Node ≥ 20 on Linux; where it is not, the directory and each known subdirectory
// are watched one by one. Events are only a hint: the mtime check on access is the safety net.
import { watch, type FSWatcher } from 'node:fs';
import { resolve } from 'node:path';

export interface DirWatcher {
  /** Also watch this directory (for platforms without recursive watching). */
  add(dir: string): void;
  close(): void;
}

/** Calls `onChange(absolutePath)` for each changed file, or `onChange(null)` when the change is unknown. */
export function watchDirectory(dir: string, onChange: (path: string | null) => void): DirWatcher {
  const watchers = new Map<string, FSWatcher>();
  let recursive = true;
  const start = (target: string): void => {
    if (watchers.has(target)) return;
    try {
      const watcher = watch(target, { recursive, persistent: false }, (_event, filename) =>
        onChange(filename ? resolve(target, filename.toString()) : null),
      );
      watcher.on('error', () => {
        watcher.close();
        watchers.delete(target);
        onChange(null);
      });
      watchers.set(target, watcher);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (recursive && code === 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM') {
        recursive = false;
        start(target);
      }
      // ENOENT: nothing to watch yet; the mtime check still invalidates entries.
    }
  };
  start(resolve(dir));
  return {
    add: (sub) => {
      if (!recursive) start(resolve(sub));
    },
    close: () => {
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}
