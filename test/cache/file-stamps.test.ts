// The cache's "did these files change?" checks: one stat per file on the watcher's path, and at most one
// per file and turn of the event loop on the request path (a burst of cache hits shares it).
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { filesChanged, filesChangedThisTurn, stampFiles } from '../../src/cache/file-stamps.js';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('file stamps', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'escd-stamps-'));
    file = join(dir, 'dev.yaml');
    writeFileSync(file, 'values: {}\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const touch = (): void => {
    const later = new Date(Date.now() + 60_000);
    utimesSync(file, later, later);
  };

  it('filesChanged sees a change at once', () => {
    const stamps = stampFiles([file]);
    expect(filesChanged(stamps)).toBe(false);
    touch();
    expect(filesChanged(stamps)).toBe(true);
  });

  it('filesChangedThisTurn answers from the first stat of the turn, and looks again the next turn', async () => {
    const stamps = stampFiles([file]);
    await nextTurn();
    expect(filesChangedThisTurn(stamps)).toBe(false);
    touch();
    expect(filesChangedThisTurn(stamps)).toBe(false); // the same turn: the file as it was when the turn's first request looked
    await nextTurn();
    expect(filesChangedThisTurn(stamps)).toBe(true);
  });

  it('two stamps of one file, taken before and after an edit in one turn, are both judged by the turn\'s first look', async () => {
    const before = stampFiles([file]);
    await nextTurn();
    expect(filesChangedThisTurn(before)).toBe(false); // the turn's first look: as before the edit
    touch();
    const after = stampFiles([file]); // stamps always stat now
    expect(filesChangedThisTurn(after)).toBe(true); // not what this turn saw: evaluated again, never served stale
    expect(filesChangedThisTurn(before)).toBe(false);
    await nextTurn();
    expect(filesChangedThisTurn(before)).toBe(true);
    expect(filesChangedThisTurn(after)).toBe(false);
  });

  it('a file removed, or one that did not exist, is told apart', async () => {
    const missing = join(dir, 'missing.yaml');
    const stamps = stampFiles([file, missing]);
    await nextTurn();
    expect(filesChangedThisTurn(stamps)).toBe(false);
    rmSync(file);
    await nextTurn();
    expect(filesChangedThisTurn(stamps)).toBe(true);
  });
});
