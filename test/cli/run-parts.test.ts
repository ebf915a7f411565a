// The pure parts of `escd run`: reading escd's own flags, choosing what to redact, naming files.
import { afterEach, describe, expect, it } from 'vitest';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { projectEnvironment } from '../../src/esc/project.js';
import { fromJS, markSecretDeep, escValue } from '../../src/esc/value.js';
import { splitCommand } from '../../src/cli/commands/run.js';
import { runCommand } from '../../src/run/run-command.js';
import { secretStrings } from '../../src/run/secrets.js';
import { sweepStaleTempDirs, writeTempFiles } from '../../src/run/temp-files.js';

describe('splitCommand', () => {
  it('refuses an unknown option before the command as a usage error, not a command to run', () => {
    expect(() => splitCommand(['--bogus', '--', 'true'], false)).toThrow(/^unknown option '--bogus' for escd run/);
    expect(splitCommand(['--', '--bogus'], false)).toEqual({ command: ['--bogus'], interactive: false });
  });

  it('reads -i and -- right after the environment, and nothing after the command starts', () => {
    expect(splitCommand(['--', 'ls', '-la'], false)).toEqual({ command: ['ls', '-la'], interactive: false });
    expect(splitCommand(['-i', '--', 'psql'], false)).toEqual({ command: ['psql'], interactive: true });
    expect(splitCommand(['--interactive', 'psql'], false)).toEqual({ command: ['psql'], interactive: true });
    expect(splitCommand(['grep', '-i', 'x', '--', 'y'], false)).toEqual({ command: ['grep', '-i', 'x', '--', 'y'], interactive: false });
    expect(splitCommand(['--', '-i'], false)).toEqual({ command: ['-i'], interactive: false });
    expect(splitCommand([], true)).toEqual({ command: [], interactive: true });
  });
});

describe('secretStrings', () => {
  it('collects every secret scalar, also inside secret collections, and the projected secrets', () => {
    const values = escValue(
      new Map([
        ['plain', fromJS('visible')],
        ['token', fromJS('tok-123', { secret: true })],
        ['creds', markSecretDeep(fromJS({ key: 'AKIA-1', port: 5432, nested: ['deep-secret'] }))],
        ['environmentVariables', escValue(new Map([['BEARER', fromJS('Bearer tok-123', { secret: true })]]))],
      ]),
    );
    const found = secretStrings(values, projectEnvironment(values));
    expect(found.sort()).toEqual(['5432', 'AKIA-1', 'Bearer tok-123', 'deep-secret', 'tok-123']);
  });

  it('has nothing to redact for an empty environment', () => {
    expect(secretStrings(undefined, projectEnvironment(undefined))).toEqual([]);
  });
});

describe('writeTempFiles', () => {
  let base: string | undefined;
  afterEach(async () => {
    if (base) await rm(base, { recursive: true, force: true });
  });

  it('writes one 0600 file per variable in a 0700 directory, named after the variable, and removes them', async () => {
    base = await mkdtemp(join(tmpdir(), 'escd-tf-'));
    const files = await writeTempFiles({ KUBECONFIG: 'apiVersion: v1\n', 'a/b': 'x', a_b: 'y', '..': 'z' }, base);
    expect((await stat(files.dir)).mode & 0o777).toBe(0o700);
    expect(Object.keys(files.paths)).toEqual(['KUBECONFIG', 'a/b', 'a_b', '..']);
    expect(files.paths.KUBECONFIG).toBe(join(files.dir, 'KUBECONFIG'));
    expect(new Set(Object.values(files.paths)).size).toBe(4);
    for (const path of Object.values(files.paths)) {
      expect(path.startsWith(files.dir + '/')).toBe(true);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
    }
    expect(await readFile(files.paths['a/b']!, 'utf8')).toBe('x');
    expect(await readFile(files.paths.a_b!, 'utf8')).toBe('y');
    await files.remove();
    expect(await readdir(base)).toEqual([]);
  });
});

describe('the private directory of run files', () => {
  let base: string | undefined;
  afterEach(async () => {
    if (base) await rm(base, { recursive: true, force: true });
  });

  it('is refused when other users can enter it, or when it is a symbolic link', async () => {
    base = await mkdtemp(join(tmpdir(), 'escd-tf-'));
    await mkdir(join(base, 'open'));
    await chmod(join(base, 'open'), 0o777);
    await expect(writeTempFiles({ A: 'x' }, join(base, 'open'))).rejects.toThrow(/other users can enter it \(mode 0777\)/);
    await mkdir(join(base, 'real'), { mode: 0o700 });
    await symlink(join(base, 'real'), join(base, 'link'));
    await expect(writeTempFiles({ A: 'x' }, join(base, 'link'))).rejects.toThrow(/is a symbolic link/);
    expect(await readdir(join(base, 'real'))).toEqual([]);
  });

  it('sweeps directories of dead runs only: not live runs, not other names, never through a symbolic link', async () => {
    base = await mkdtemp(join(tmpdir(), 'escd-tf-'));
    const files = join(base, 'files');
    const outside = join(base, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'precious'), 'keep');
    await mkdir(files, { mode: 0o700 });
    await mkdir(join(files, '999999999-abcdef'));
    await symlink(outside, join(files, '999999998-abcdef')); // a link named like a dead run: left alone
    await mkdir(join(files, '999999997-abcdef'));
    await symlink(outside, join(files, '999999997-abcdef', 'inner')); // removed as a link, not followed
    await mkdir(join(files, `${process.ppid}-abcdef`)); // a live process
    await mkdir(join(files, 'other'));
    await sweepStaleTempDirs(files);
    expect((await readdir(files)).sort()).toEqual([`${process.ppid}-abcdef`, '999999998-abcdef', 'other'].sort());
    expect(await readFile(join(outside, 'precious'), 'utf8')).toBe('keep');
  });

  it('a run removes what it wrote, and its own directory with what the child added', async () => {
    base = await mkdtemp(join(tmpdir(), 'escd-tf-'));
    const files = await writeTempFiles({ A: 'x', B: 'y' }, base);
    await writeFile(join(files.dir, 'child-made'), 'z');
    await files.remove();
    expect(await readdir(base)).toEqual([]);
  });
});

describe('runCommand output', () => {
  // The child's output reaches escd's streams through a redactor made on its first chunk (run-command.ts
  // filterOutput); later chunks, on either stream, must go the same way.
  const collect = (): { stream: PassThrough; text: () => string } => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
  };

  it('redacts secrets in every chunk of stdout and stderr, also one split across writes', async () => {
    const out = collect();
    const err = collect();
    const script = 'printf "a hunter2 b\\n"; sleep 0.05; printf "hun"; sleep 0.05; printf "ter2 c\\n"; printf "x hunter2\\n" >&2';
    const code = await runCommand({ command: 'sh', args: ['-c', script], variables: {}, files: {}, secrets: ['hunter2'], interactive: false, inTerminal: false, stdout: out.stream, stderr: err.stream });
    expect(code).toBe(0);
    expect(out.text()).toBe('a [secret] b\n[secret] c\n');
    expect(err.text()).toBe('x [secret]\n');
  });

  it('ends for a command that prints nothing, and reports its status', async () => {
    const out = collect();
    const code = await runCommand({ command: 'sh', args: ['-c', 'exit 3'], variables: {}, files: {}, secrets: ['hunter2'], interactive: false, inTerminal: false, stdout: out.stream, stderr: out.stream });
    expect(code).toBe(3);
    expect(out.text()).toBe('');
  });
});
