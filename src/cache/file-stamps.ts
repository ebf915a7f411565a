// A cheap "did any of these files change?" check: one stat per file, compared on every cache hit.
import { statSync } from 'node:fs';

export interface FileStamp {
  readonly path: string;
  /** `null` when the file did not exist. */
  readonly signature: string | null;
}

function signatureOf(path: string): string | null {
  try {
    const st = statSync(path, { throwIfNoEntry: false });
    return st ? `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}` : null;
  } catch {
    return 'unreadable';
  }
}

export function stampFiles(paths: Iterable<string>): FileStamp[] {
  return [...new Set(paths)].map((path) => ({ path, signature: signatureOf(path) }));
}

export function filesChanged(stamps: readonly FileStamp[]): boolean {
  return stamps.some((stamp) => signatureOf(stamp.path) !== stamp.signature);
}
