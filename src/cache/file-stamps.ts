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

export function filesChanged(stamps: readonly FileStamp[], signature: (path: string) => string | null = signatureOf): boolean {
  return stamps.some((stamp) => signature(stamp.path) !== stamp.signature);
}

/**
 * Signatures taken in the current turn of the event loop. The requests of one turn were all read from
 * their sockets by then, so each file's state as of that turn is the one they would see: a burst of
 * cache hits (a hundred clients) stats each file once instead of once per request, which was a tenth of
 * the daemon's time under load. Forgotten when the turn ends (setImmediate runs right after it).
 */
let thisTurn: Map<string, string | null> | undefined;

function signatureThisTurn(path: string): string | null {
  if (thisTurn === undefined) {
    const memo = new Map<string, string | null>();
    thisTurn = memo;
    setImmediate(() => {
      if (thisTurn === memo) thisTurn = undefined;
    });
  }
  const known = thisTurn.get(path);
  if (known !== undefined) return known;
  const signature = signatureOf(path);
  thisTurn.set(path, signature);
  return signature;
}

/** filesChanged for the request path: each file stat'ed at most once per turn of the event loop. */
export const filesChangedThisTurn = (stamps: readonly FileStamp[]): boolean => filesChanged(stamps, signatureThisTurn);
