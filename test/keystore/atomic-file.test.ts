import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/keystore/atomic-file.js';
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
});
