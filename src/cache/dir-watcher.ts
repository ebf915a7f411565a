// Tells the cache when a file under the environments directory changes. fs.watch is recursive and
// native on macOS and Windows. On Linux, Node's recursive watch is JavaScript on the daemon's thread: each
// event re-reads the changed directory and stats every entry (a directory of 600 environments written
// one by one cost the main thread more than a second, bench 9), so there the directory and each
// subdirectory the cache holds a file of are watched one by one, natively (inotify). Events are only a
// hint: the mtime check on access is the safety net.
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
  let recursive = process.platform !== 'linux';
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
