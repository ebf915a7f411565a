// A cheap "did any of these files change?" check: one stat per file, compared on every cache hit.
import { statSync } from 'node:fs';

/**
 * What a stat says of a file: numbers, not a string built from them (the request path compares one per
 * cache hit, and formatting four numbers was most of what a hit allocated). `null`: the file did not
 * exist; 'unreadable': stat failed otherwise.
 */
export type FileSignature = { readonly ino: number; readonly size: number; readonly mtimeMs: number; readonly ctimeMs: number } | null | 'unreadable';

export interface FileStamp {
  readonly path: string;
  readonly signature: FileSignature;
}

function signatureOf(path: string): FileSignature {
  try {
    const st = statSync(path, { throwIfNoEntry: false });
    return st ? { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs } : null;
  } catch {
    return 'unreadable';
  }
}

function sameSignature(a: FileSignature, b: FileSignature): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a === 'string' || typeof b === 'string') return false;
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

export function stampFiles(paths: Iterable<string>): FileStamp[] {
  return [...new Set(paths)].map((path) => ({ path, signature: signatureOf(path) }));
}

/** True when a file is not as it was stamped: stat'ed now. */
export function filesChanged(stamps: readonly FileStamp[]): boolean {
  for (const stamp of stamps) if (!sameSignature(signatureOf(stamp.path), stamp.signature)) return true;
  return false;
}

/**
 * Signatures taken in the current turn of the event loop. The requests of one turn were all read from
 * their sockets by then, so each file's state as of that turn is the one they would see: a burst of
 * cache hits (a hundred clients) stats each file once instead of once per request, which was a tenth of
 * the daemon's time under load.
 *
 * One record per path, overwritten in place when a later turn looks again, and a turn counter that one
 * setImmediate (the same function every time) moves on when the turn ends: nothing is allocated per
 * request but the stat itself.
 */
interface TurnState {
  turn: number;
  signature: FileSignature;
}
const MAX_REMEMBERED_PATHS = 4096;
const seen = new Map<string, TurnState>();
let turn = 0;
let turnEnding = false;

function endTurn(): void {
  turn++;
  turnEnding = false;
}

function signatureThisTurn(path: string): FileSignature {
  if (!turnEnding) {
    turnEnding = true;
    setImmediate(endTurn);
  }
  const state = seen.get(path);
  if (state !== undefined && state.turn === turn) return state.signature;
  const signature = signatureOf(path);
  if (state !== undefined) {
    state.turn = turn;
    state.signature = signature;
  } else {
    if (seen.size >= MAX_REMEMBERED_PATHS) seen.clear(); // files of environments long gone
    seen.set(path, { turn, signature });
  }
  return signature;
}

/** filesChanged for the request path: each file stat'ed at most once per turn of the event loop. */
export function filesChangedThisTurn(stamps: readonly FileStamp[]): boolean {
  for (const stamp of stamps) if (!sameSignature(signatureThisTurn(stamp.path), stamp.signature)) return true;
  return false;
}
