// `escd env …` and `escd open` on the built CLI, in a throwaway ESCD_HOME.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertBuilt, runCli } from '../support/cli.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

let home: TmpHome;
const envFile = (name: string): string => join(home.env.ESCD_HOME!, 'environments', `${name}.yaml`);
const cli = (args: string[], extra: { env?: Record<string, string>; input?: string } = {}) =>
  runCli(args, { env: { ...home.env, TMPDIR: join(home.dir, 'tmp'), ...extra.env }, ...(extra.input !== undefined ? { input: extra.input } : {}) });

beforeAll(async () => {
  assertBuilt();
  home = await makeTmpHome();
  await mkdir(join(home.dir, 'tmp'));
});
afterAll(() => home.cleanup());

describe('escd env', () => {
  it('init, set (keeping comments), get, ls, rm', async () => {
    expect((await cli(['env', 'init', 'app/dev'])).code).toBe(0);
    const init = await cli(['env', 'init', 'app/dev']);
    expect(init.code).toBe(1);
    expect(init.stderr).toBe(`escd: environment app/dev already exists (${envFile('app/dev')})\n`);

    await writeFile(envFile('app/dev'), '# team settings\nvalues:\n  region: us-east-1 # default region\n');
    expect((await cli(['env', 'set', 'app/dev', 'ports', '[80, 443]'])).code).toBe(0);
    expect((await cli(['env', 'set', 'app/dev', 'version', '1.10', '--string'])).code).toBe(0);
    expect((await cli(['env', 'set', 'app/dev', 'region', 'eu-west-1'])).code).toBe(0);
    const get = await cli(['env', 'get', 'app/dev']);
    expect(get.stdout).toBe('# team settings\nvalues:\n  region: eu-west-1 # default region\n  ports: [80, 443]\n  version: "1.10"\n');
    expect((await stat(envFile('app/dev'))).mode & 0o777).toBe(0o600);

    const json = JSON.parse((await cli(['env', 'get', 'app/dev', '--json'])).stdout);
    expect(json).toMatchObject({ name: 'app/dev', org: 'local', file: envFile('app/dev'), definition: get.stdout });

    expect((await cli(['env', 'init', 'app/prod'])).code).toBe(0);
    expect((await cli(['env', 'ls'])).stdout).toBe('app/dev\napp/prod\n');
    const ls = JSON.parse((await cli(['env', 'ls', '--json'])).stdout) as { name: string; file: string }[];
    expect(ls.map((e) => [e.name, e.file])).toEqual([
      ['app/dev', envFile('app/dev')],
      ['app/prod', envFile('app/prod')],
    ]);

    const refused = await cli(['env', 'rm', 'app/prod']);
    expect(refused.stderr).toBe('escd: refusing to delete app/prod without confirmation: pass --yes\n');
    expect(refused.code).toBe(2);
    expect((await cli(['env', 'rm', 'app/prod', '--yes'])).code).toBe(0);
    expect((await cli(['env', 'ls'])).stdout).toBe('app/dev\n');
  });

  it('stores --secret values encrypted and shows them only when asked', async () => {
    await cli(['env', 'init', 'sec/a']);
    expect((await cli(['env', 'set', 'sec/a', 'db.password', 'correct-horse', '--secret'])).code).toBe(0);
    expect((await cli(['env', 'set', 'sec/a', 'pin', '0042', '--secret'])).code).toBe(0);
    const stored = await readFile(envFile('sec/a'), 'utf8');
    expect(stored).not.toContain('correct-horse');
    expect(stored).toMatch(/password:\n\s+fn::secret:\n\s+ciphertext: [A-Za-z0-9+/=]+\n/);
    expect((await cli(['env', 'get', 'sec/a'])).stdout).toBe(stored);
    const shown = await cli(['env', 'get', 'sec/a', '--show-secrets']);
    expect(shown.stdout).toContain('fn::secret: correct-horse');
    expect(shown.stdout).toContain('fn::secret: "0042"');
    expect(await readFile(envFile('sec/a'), 'utf8')).toBe(stored);
    const open = await cli(['open', 'sec/a']);
    expect(JSON.parse(open.stdout)).toEqual({ db: { password: '[secret]' }, pin: '[secret]' });
    expect(JSON.parse((await cli(['open', 'sec/a', '--show-secrets'])).stdout)).toEqual({ db: { password: 'correct-horse' }, pin: '0042' });
  });

  it('encrypts plaintext fn::secret values written through escd', async () => {
    const result = await cli(['env', 'init', 'sec/b', '-f', '-'], { input: 'values:\n  pw:\n    fn::secret: plain-at-first # note\n' });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`Created sec/b (${envFile('sec/b')}); encrypted 1 plaintext secret(s)\n`);
    const stored = await readFile(envFile('sec/b'), 'utf8');
    expect(stored).toMatch(/^values:\n  pw:\n    fn::secret:\n      ciphertext: [A-Za-z0-9+/=]+ # note\n$/);
    expect(JSON.parse((await cli(['open', 'sec/b', '--show-secrets'])).stdout)).toEqual({ pw: 'plain-at-first' });
  });

  it('reads values from --file and standard input', async () => {
    await cli(['env', 'init', 'files/a']);
    await writeFile(join(home.dir, 'value.txt'), 'line one\nline two\n');
    expect((await cli(['env', 'set', 'files/a', 'text', '--file', join(home.dir, 'value.txt'), '--string'])).code).toBe(0);
    expect((await cli(['env', 'set', 'files/a', 'list', '--file', '-'], { input: '- a\n- b\n' })).code).toBe(0);
    expect(JSON.parse((await cli(['open', 'files/a'])).stdout)).toEqual({ text: 'line one\nline two\n', list: ['a', 'b'] });
    await writeFile(join(home.dir, 'binary'), Buffer.from([0xff, 0xfe, 0x00]));
    const binary = await cli(['env', 'set', 'files/a', 'x', '--file', join(home.dir, 'binary')]);
    expect(binary.stderr).toBe(`escd: ${join(home.dir, 'binary')} is not UTF-8 text\n`);
  });

  it('refuses a definition with YAML or load errors and says where', async () => {
    await writeFile(join(home.dir, 'bad.yaml'), 'values:\n  a: [1, 2\n');
    const syntax = await cli(['env', 'init', 'bad/a', '-f', join(home.dir, 'bad.yaml')]);
    expect(syntax.code).toBe(1);
    expect(syntax.stderr).toMatch(new RegExp(`^${join(home.dir, 'bad.yaml')}:3:1: error: .+\\n$`));
    await writeFile(join(home.dir, 'bad2.yaml'), 'values:\n  a:\n    fn::bogus: 1\n');
    const load = await cli(['env', 'init', 'bad/a', '-f', join(home.dir, 'bad2.yaml')]);
    expect(load.stderr).toBe(`${join(home.dir, 'bad2.yaml')}:3:5: error: 'fn::' is a reserved prefix\n`);
    await expect(stat(envFile('bad/a'))).rejects.toThrow();

    await cli(['env', 'init', 'bad/b']);
    const before = await readFile(envFile('bad/b'), 'utf8');
    const set = await cli(['env', 'set', 'bad/b', 'x', '{fn::secret: [1]}']);
    expect(set.code).toBe(1);
    expect(set.stderr).toContain(`${envFile('bad/b')}:`);
    expect(set.stderr).toContain('error: secret values must be string literals');
    expect(await readFile(envFile('bad/b'), 'utf8')).toBe(before);
  });

  it('reports bad names and missing environments in one line', async () => {
    for (const [args, message] of [
      [['env', 'get', '../etc/passwd'], 'escd: invalid environment name "../etc/passwd"'],
      [['env', 'get', 'nope/none'], `escd: environment nope/none does not exist (no file ${envFile('nope/none')})`],
      [['env', 'set', 'nope/none', 'a', '1'], `escd: environment nope/none does not exist (no file ${envFile('nope/none')}); create it with \`escd env init nope/none\``],
      [['open', 'elsewhere/p/e'], 'escd: environment elsewhere/p/e does not exist'],
    ] as const) {
      const result = await cli([...args]);
      expect(result.code).not.toBe(0);
      expect(result.stderr.split('\n').filter(Boolean)).toHaveLength(1);
      expect(result.stderr.startsWith(message)).toBe(true);
    }
  });
});

describe('escd env edit', () => {
  /** An "editor": a node script that applies `sed`-like replacement given in EDIT_FROM/EDIT_TO. */
  let editor: string;
  beforeAll(async () => {
    editor = join(home.dir, 'editor.mjs');
    await writeFile(
      editor,
      `import { readFileSync, writeFileSync } from 'node:fs';
const file = process.argv[2];
writeFileSync(file, readFileSync(file, 'utf8').replace(process.env.EDIT_FROM, process.env.EDIT_TO));
process.exit(Number(process.env.EDIT_EXIT ?? 0));\n`,
    );
    await chmod(editor, 0o755);
  });
  const edit = (name: string, from: string, to: string, exit = 0) =>
    cli(['env', 'edit', name], { env: { EDITOR: `${process.execPath} ${editor}`, EDIT_FROM: from, EDIT_TO: to, EDIT_EXIT: String(exit) } });

  it('saves a valid edit', async () => {
    await cli(['env', 'init', 'ed/a']);
    const result = await edit('ed/a', 'values: {}', 'values:\n  a: 1 # one');
    expect(result.code).toBe(0);
    expect(await readFile(envFile('ed/a'), 'utf8')).toContain('values:\n  a: 1 # one\n');
  });

  it('says so when nothing changed', async () => {
    const result = await edit('ed/a', 'not there', 'x');
    expect(result.stdout).toBe('No changes to ed/a.\n');
  });

  it('keeps a bad edit out of the store and says where it was left', async () => {
    const before = await readFile(envFile('ed/a'), 'utf8');
    const result = await edit('ed/a', 'a: 1 # one', 'a: [1, 2');
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    const kept = /Your edit is kept in (\S+)$/.exec(lines[lines.length - 1]!)?.[1];
    expect(kept).toBeDefined();
    expect(lines[0]).toMatch(new RegExp(`^${kept}:\\d+:\\d+: error: `));
    expect(lines[lines.length - 1]).toContain('escd: ed/a has errors; nothing was saved.');
    expect(await readFile(kept!, 'utf8')).toContain('a: [1, 2');
    expect((await stat(kept!)).mode & 0o777).toBe(0o600);
    expect(await readFile(envFile('ed/a'), 'utf8')).toBe(before);
    // With a runtime dir (tmpfs, cleared at logout), the edit is kept there rather than in /tmp.
    const runtimeDir = join(home.dir, 'runtime');
    await mkdir(runtimeDir, { mode: 0o700 });
    const again = await cli(['env', 'edit', 'ed/a'], { env: { EDITOR: `${process.execPath} ${editor}`, EDIT_FROM: 'a: 1 # one', EDIT_TO: 'a: [1, 2', XDG_RUNTIME_DIR: runtimeDir } });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`Your edit is kept in ${runtimeDir}/escd-edit-`);
  });

  it('edits secrets as plaintext with --show-secrets and stores them encrypted again', async () => {
    await cli(['env', 'init', 'ed/s']);
    await cli(['env', 'set', 'ed/s', 'keep', 'unchanged-secret', '--secret']);
    await cli(['env', 'set', 'ed/s', 'change', 'old-secret', '--secret']);
    const before = await readFile(envFile('ed/s'), 'utf8');
    const editDirs = async (): Promise<string[]> => (await readdir(join(home.dir, 'tmp'))).filter((n) => n.startsWith('escd-edit-'));
    const dirsBefore = await editDirs();
    const keepCiphertext = /keep:\n\s+fn::secret:\n\s+ciphertext: (\S+)/.exec(before)![1]!;
    const result = await cli(['env', 'edit', 'ed/s', '--show-secrets'], {
      env: { EDITOR: `${process.execPath} ${editor}`, EDIT_FROM: 'fn::secret: old-secret', EDIT_TO: 'fn::secret: new-secret' },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`Saved ed/s (${envFile('ed/s')}); encrypted 1 plaintext secret(s)\n`);
    const after = await readFile(envFile('ed/s'), 'utf8');
    expect(after).not.toMatch(/unchanged-secret|new-secret|old-secret/);
    // The untouched secret keeps its exact ciphertext.
    expect(after).toContain(`ciphertext: ${keepCiphertext}`);
    expect(JSON.parse((await cli(['open', 'ed/s', '--show-secrets'])).stdout)).toEqual({ keep: 'unchanged-secret', change: 'new-secret' });
    // Nothing is left behind in the temporary directory.
    expect(await editDirs()).toEqual(dirsBefore);
  });

  it('names a missing editor', async () => {
    const result = await cli(['env', 'edit', 'ed/a'], { env: { EDITOR: 'escd-no-such-editor' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('escd: cannot start the editor "escd-no-such-editor": command not found (set $VISUAL or $EDITOR)\n');
  });

  it('does not save when the editor fails', async () => {
    const before = await readFile(envFile('ed/a'), 'utf8');
    const result = await edit('ed/a', 'a: 1', 'a: 2', 3);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^escd: the editor exited with status 3; nothing was saved\. Your edit is kept in /);
    expect(await readFile(envFile('ed/a'), 'utf8')).toBe(before);
  });
});

describe('escd open', () => {
  beforeAll(async () => {
    await cli(['env', 'init', 'op/base']);
    await cli(['env', 'set', 'op/base', 'region', 'us-west-2']);
    await writeFile(
      envFile('op/app'),
      [
        'imports:',
        '  - op/base',
        'values:',
        '  name: app',
        '  token:',
        '    fn::secret: s3cr3t-value',
        '  list: [1, two]',
        '  environmentVariables:',
        '    REGION: ${region}',
        '    TOKEN: ${token}',
        "    QUOTED: it's \"quoted\" $HOME",
        '',
      ].join('\n'),
    );
  });

  it('prints values as json (default) and yaml, redacted unless asked', async () => {
    const json = await cli(['open', 'op/app']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'app', region: 'us-west-2', token: '[secret]', list: [1, 'two'] });
    const yaml = await cli(['open', 'op/app', '--format', 'yaml', '--show-secrets']);
    expect(yaml.stdout).toContain('token: s3cr3t-value\n');
  });

  it('prints one property in any value format', async () => {
    expect((await cli(['open', 'op/app', 'list[1]', '--format', 'string'])).stdout).toBe('two\n');
    expect((await cli(['open', 'op/app', 'token', '--format', 'string'])).stdout).toBe('[secret]\n');
    expect(JSON.parse((await cli(['open', 'op/app', 'token', '--format', 'detailed'])).stdout)).toEqual({ value: '[secret]', secret: true });
    const missing = await cli(['open', 'op/app', 'list[5]']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('escd: no value at list[5]: index out of range (the array has 2 element(s))\n');
  });

  it('prints environment variables for dotenv and shell, and refuses a path there', async () => {
    const shell = await cli(['open', 'op/app', '--format', 'shell', '--show-secrets']);
    expect(shell.stdout).toBe(`export QUOTED='it'\\''s "quoted" $HOME'\nexport REGION='us-west-2'\nexport TOKEN='s3cr3t-value'\n`);
    const dotenv = await cli(['open', 'op/app', '--format', 'dotenv']);
    expect(dotenv.stdout).toBe(`QUOTED="it's \\"quoted\\" $HOME"\nREGION="us-west-2"\nTOKEN="[secret]"\n`);
    const refused = await cli(['open', 'op/app', 'name', '--format', 'dotenv']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe('escd: --format dotenv prints the environmentVariables projection and takes no property path\n');
  });

  it('prints diagnostics as file:line:column and no values on error', async () => {
    await writeFile(envFile('op/broken'), 'imports:\n  - op/missing\nvalues:\n  a: ${nope.x}\n  b: fine\n');
    const result = await cli(['open', 'op/broken']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toContain(`${envFile('op/broken')}:4:8: error: unknown property "nope"`);
    expect(lines.some((l) => l.startsWith(`${envFile('op/broken')}:2:5: error: `) && l.includes(envFile('op/missing')))).toBe(true);
  });

  it('prints a YAML syntax error with the file', async () => {
    await writeFile(envFile('op/syntax'), 'values:\n  a: [1\n');
    const result = await cli(['open', 'op/syntax']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^${envFile('op/syntax')}:3:1: error: Flow sequence .+\\n$`));
  });

  it('--json is --format json, and is refused with another --format', async () => {
    const json = await cli(['open', 'op/app', '--json']);
    expect(json.code).toBe(0);
    expect(json.stdout).toBe((await cli(['open', 'op/app', '--format', 'json'])).stdout);
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'app', token: '[secret]' });
    expect((await cli(['open', 'op/app', 'list', '--json', '--format', 'json'])).stdout).toBe('[\n  1,\n  "two"\n]\n');
    const both = await cli(['open', 'op/app', '--json', '--format', 'yaml']);
    expect(both.code).toBe(2);
    expect(both.stdout).toBe('');
    expect(both.stderr).toBe('escd: --json is --format json: it cannot be combined with --format yaml\n');
  });

  it('rejects an unknown format', async () => {
    const result = await cli(['open', 'op/app', '--format', 'xml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('escd: unknown --format "xml": use one of json, yaml, detailed, dotenv, shell, string\n');
  });
});

it('leaves no temporary files in the environments directory', async () => {
  for (const project of await readdir(join(home.env.ESCD_HOME!, 'environments'))) {
    for (const name of await readdir(join(home.env.ESCD_HOME!, 'environments', project))) if (name !== '.history') expect(name).toMatch(/^[a-z]+\.yaml$/);
  }
});
