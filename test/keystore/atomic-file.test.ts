import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { removeStaleTemps, writeFileAtomic } from '../../src/keystore/atomic-file.js';
import { assertBuilt, ROOT, runNode } from '../support/cli.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

describe('writeFileAtomic', () => {
  let home: TmpHome;
  beforeEach(async () => (home = await makeTmpHome()));
  afterEach(() => home.cleanup());

  it('replaces the content and leaves no temporary file', async () => {
    const file = join(home.dir, 'f.json');
    await writeFile(file, 'old');
    await writeFileAtomic(file, 'new', 0o600);
    expect(await readFile(file, 'utf8')).toBe('new');
    expect(await readdir(home.dir)).toEqual(['f.json']);
  });

  it('gives exactly the requested mode whatever the umask', async () => {
    assertBuilt();
    const module = pathToFileURL(join(ROOT, 'dist/src/keystore/atomic-file.js')).href;
    const script = join(home.dir, 'w.mjs');
    await writeFile(
      script,
      `process.umask(0o077);\nconst { writeFileAtomic } = await import(${JSON.stringify(module)});\nawait writeFileAtomic(process.argv[2], '{}', 0o644);\n`,
    );
    const target = join(home.dir, 'public.json');
    const r = await runNode(script, [target]);
    expect(r.stderr).toBe('');
    expect((await stat(target)).mode & 0o777).toBe(0o644);
  });

  it('removes the temporary files a writer that died left beside the file, and only those', async () => {
    const file = join(home.dir, 'keystore.json');
    await writeFile(file, 'current');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // exited: its pid is free
    const names = {
      dead: `keystore.json.${dead}.0badc0de.tmp`,
      live: `keystore.json.${process.ppid}.0123abcd.tmp`, // our parent is alive: it may still rename
      other: `other.json.${dead}.0badc0de.tmp`,
      unrelated: 'keystore.json.bak',
    };
    for (const name of Object.values(names)) await writeFile(join(home.dir, name), 'half');
    await removeStaleTemps(file);
    expect((await readdir(home.dir)).sort()).toEqual([names.live, names.unrelated, 'keystore.json', names.other].sort());
    // A write cleans up the same way before it starts.
    await writeFile(join(home.dir, names.dead), 'half');
    await writeFileAtomic(file, 'new', 0o600);
    expect(await readdir(home.dir)).not.toContain(names.dead);
    expect(await readFile(file, 'utf8')).toBe('new');
  });
});
