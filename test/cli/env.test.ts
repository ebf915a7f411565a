// `escd env …` and `escd open` on the built CLI, in a throwaway ESCD_HOME.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertBuilt, runCli } from '../support/cli.js';
import { ptySkipReason, runCliInTerminal } from '../support/pty.js';
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
    const created = await cli(['env', 'init', 'app/dev']);
    expect(created.stdout).toBe('Environment created: local/app/dev\n');
    const init = await cli(['env', 'init', 'app/dev']);
    expect(init.code).toBe(1);
    expect(init.stderr).toBe('escd: creating environment: already exists\n');

    await writeFile(envFile('app/dev'), '# team settings\nvalues:\n  region: us-east-1 # default region\n');
    expect((await cli(['env', 'set', 'app/dev', 'ports', '[80, 443]'])).code).toBe(0);
    expect((await cli(['env', 'set', 'app/dev', 'version', '1.10', '--string'])).code).toBe(0);
    expect((await cli(['env', 'set', 'app/dev', 'region', 'eu-west-1'])).code).toBe(0);
    const get = await cli(['env', 'get', 'app/dev', '--definition']);
    expect(get.stdout).toBe('# team settings\nvalues:\n  region: eu-west-1 # default region\n  ports:\n    - 80\n    - 443\n  version: "1.10"\n');
    expect((await stat(envFile('app/dev'))).mode & 0o777).toBe(0o600);
    expect((await cli(['env', 'get', 'app/dev'])).stdout).toBe(
      `# Value\n\`\`\`json\n{\n  "ports": [\n    80,\n    443\n  ],\n  "region": "eu-west-1",\n  "version": "1.10"\n}\n\`\`\`\n# Definition\n\`\`\`yaml\n${get.stdout}\n\`\`\`\n\n`,
    );
    expect((await cli(['env', 'get', 'app/dev', 'region', '--value', 'string'])).stdout).toBe('eu-west-1\n');

    expect((await cli(['env', 'init', 'app/prod'])).code).toBe(0);
    expect((await cli(['env', 'ls'])).stdout).toBe('app/dev\napp/prod\n');
    const ls = JSON.parse((await cli(['env', 'ls', '--json'])).stdout) as { name: string; file: string }[];
    expect(ls.map((e) => [e.name, e.file])).toEqual([
      ['app/dev', envFile('app/dev')],
      ['app/prod', envFile('app/prod')],
    ]);

    const refused = await cli(['env', 'rm', 'app/prod']);
    expect(refused.stderr).toBe('escd: refusing to remove local/app/prod without confirmation: pass --yes\n');
    expect(refused.code).toBe(1);
    const removed = await cli(['env', 'rm', 'app/prod', '--yes']);
    expect(removed.stdout).toBe('Environment "local/app/prod" has been removed!\n');
    expect((await cli(['env', 'ls'])).stdout).toBe('app/dev\n');
  });

  it('stores --secret values encrypted and shows them only when asked', async () => {
    await cli(['env', 'init', 'sec/a']);
    expect((await cli(['env', 'set', 'sec/a', 'db.password', 'correct-horse', '--secret'])).code).toBe(0);
    expect((await cli(['env', 'set', 'sec/a', 'pin', '0042', '--secret'])).code).toBe(0);
    const stored = await readFile(envFile('sec/a'), 'utf8');
    expect(stored).not.toContain('correct-horse');
    expect(stored).toMatch(/password:\n\s+fn::secret:\n\s+ciphertext: [A-Za-z0-9+/=]+\n/);
    expect((await cli(['env', 'get', 'sec/a', '--definition'])).stdout).toBe(stored);
    expect((await cli(['env', 'get', 'sec/a', 'pin', '--value', 'json'])).stdout).toBe('"[secret]"\n');
    expect((await cli(['env', 'get', 'sec/a', 'pin', '--value', 'json', '--show-secrets'])).stdout).toBe('"0042"\n');
    const shown = await cli(['env', 'get', 'sec/a', '--definition', '--show-secrets']);
    expect(shown.stdout).toContain('fn::secret: correct-horse');
    expect(shown.stdout).toContain('fn::secret: "0042"');
    expect(await readFile(envFile('sec/a'), 'utf8')).toBe(stored);
    // open shows values (an explicit open, as in the reference); --show-secrets is still accepted.
    const open = await cli(['open', 'sec/a']);
    expect(JSON.parse(open.stdout)).toEqual({ db: { password: 'correct-horse' }, pin: '0042' });
    expect(JSON.parse((await cli(['open', 'sec/a', '--show-secrets'])).stdout)).toEqual({ db: { password: 'correct-horse' }, pin: '0042' });
  });

  it('env get <path> says where the value is defined: here and the import it overrides, or the imports', async () => {
    await mkdir(join(home.env.ESCD_HOME!, 'environments', 'dat'), { recursive: true });
    await writeFile(envFile('dat/base'), 'values:\n  region: us-east-1\n  only: base\n');
    await writeFile(envFile('dat/mid'), 'imports:\n  - dat/base\nvalues:\n  only: mid\n');
    await writeFile(envFile('dat/top'), 'imports:\n  - dat/mid\nvalues:\n  region: eu-west-1\n');
    expect((await cli(['env', 'get', 'dat/top', 'region'])).stdout).toBe(
      '# Value\n```json\n"eu-west-1"\n```\n# Definition\n```yaml\neu-west-1\n\n```\n\n# Defined at\n- top:4:11\n- dat/base:2:11\n\n',
    );
    expect((await cli(['env', 'get', 'dat/top', 'only'])).stdout).toBe('# Value\n```json\n"mid"\n```\n\n# Defined at\n- dat/mid:4:9\n- dat/base:3:9\n\n');
  });

  it('--secret without a value reads it from standard input; a secret on the command line gets a warning', async () => {
    await cli(['env', 'init', 'sec/in']);
    const piped = await cli(['env', 'set', 'sec/in', 'api.token', '--secret'], { input: 's3cr3t from stdin\n' });
    expect([piped.code, piped.stderr]).toEqual([0, '']);
    expect(await readFile(envFile('sec/in'), 'utf8')).not.toContain('s3cr3t');
    expect(JSON.parse((await cli(['open', 'sec/in', '--show-secrets'])).stdout)).toEqual({ api: { token: 's3cr3t from stdin' } });
  });

  it.skipIf(ptySkipReason())('a secret on the command line gets a warning on the terminal', async () => {
    await cli(['env', 'init', 'sec/argv']);
    const onArgv = await runCliInTerminal(['env', 'set', 'sec/argv', 'other', 'visible-in-ps', '--secret'], { env: { ...home.env } });
    expect(onArgv.code).toBe(0);
    expect(onArgv.terminal).toMatch(/^escd: warning: a secret on the command line can be read by other users in the process list/);
  });

  it.skipIf(ptySkipReason())('env set and env rm say what they did at a terminal, and nothing to a script (as the reference)', async () => {
    await cli(['env', 'init', 'said/it']);
    const set = await runCliInTerminal(['env', 'set', 'said/it', 'app.port', '8080'], { env: { ...home.env } });
    expect([set.code, set.terminal.trim()]).toEqual([0, 'set app.port in local/said/it: revision 2']);
    const removed = await runCliInTerminal(['env', 'rm', 'said/it', 'app.port'], { env: { ...home.env } });
    expect([removed.code, removed.terminal.trim()]).toEqual([0, 'removed app.port in local/said/it: revision 3']);
    const piped = await cli(['env', 'set', 'said/it', 'app.port', '8081']);
    expect([piped.code, piped.stdout, piped.stderr]).toEqual([0, '', '']);
  });

  it('encrypts plaintext fn::secret values written through escd', async () => {
    const result = await cli(['env', 'init', 'sec/b', '-f', '-'], { input: 'values:\n  pw:\n    fn::secret: plain-at-first # note\n' });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Environment created: local/sec/b\n');
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
    expect(binary.stderr).toBe('escd: file content must be valid UTF-8\n');
  });

  it('refuses a definition with errors: the environment stays empty, the diagnostics name the line', async () => {
    await writeFile(join(home.dir, 'bad2.yaml'), 'values:\n  a:\n    fn::bogus: 1\n');
    const load = await cli(['env', 'init', 'bad/a', '-f', join(home.dir, 'bad2.yaml')]);
    expect(load.code).toBe(1);
    expect(load.stdout).toBe('Environment created: local/bad/a\n');
    expect(load.stderr).toBe("Error: 'fn::' is a reserved prefix\n\n  on bad/a line 3:\n   3:     fn::bogus: 1\n\nescd: updating environment definition: too many errors\n");
    expect(await readFile(envFile('bad/a'), 'utf8')).toBe('');

    await cli(['env', 'init', 'bad/b']);
    const before = await readFile(envFile('bad/b'), 'utf8');
    const set = await cli(['env', 'set', 'bad/b', 'x', '[1]', '--secret']);
    expect(set.code).toBe(0); // as the reference: the diagnostics are the answer
    expect(set.stderr).toBe('bad/b:3:21: secret values must be string literals\n');
    expect(await readFile(envFile('bad/b'), 'utf8')).toBe(before);
  });

  it('refuses a plaintext value that looks like a secret unless told what it is', async () => {
    await cli(['env', 'init', 'sec/c']);
    const refused = await cli(['env', 'set', 'sec/c', 'db.password', 'YMHdog6VkUqbVS5dAErxWeMy83r4HeBeNRdEuUFwK3M=']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('escd: value looks like a secret; rerun with --secret to mark it as such, or --plaintext if you meant to leave it as plaintext\n');
    expect((await cli(['env', 'set', 'sec/c', 'db.password', 'YMHdog6VkUqbVS5dAErxWeMy83r4HeBeNRdEuUFwK3M=', '--plaintext'])).code).toBe(0);
    expect((await cli(['env', 'set', 'sec/c', 'db.password', 'hunter2'])).code).toBe(0);
    expect((await cli(['env', 'set', 'sec/c', 'region', 'YMHdog6VkUqbVS5dAErxWeMy83r4HeBeNRdEuUFwK3M='])).code).toBe(0);
  });

  it('reports bad names and missing environments in one line', async () => {
    for (const [args, message] of [
      [['env', 'get', '../etc/passwd'], 'escd: invalid environment name "../etc/passwd"'],
      [['env', 'get', 'nope/none'], `escd: environment nope/none does not exist (no file ${envFile('nope/none')})`],
      [['env', 'set', 'nope/none', 'a', '1'], 'escd: getting environment definition: not found'],
      [['env', 'set', 'nope/none@2', 'a', '1'], 'escd: the set command does not accept versions'],
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

  it('saves a valid edit as the next revision', async () => {
    await cli(['env', 'init', 'ed/a', '-f', '-'], { input: 'values: {}\n' });
    const result = await edit('ed/a', 'values: {}', 'values:\n  a: 1 # one');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Environment updated.\n');
    expect(await readFile(envFile('ed/a'), 'utf8')).toBe('values:\n  a: 1 # one\n');
    const history = await cli(['env', 'version', 'history', 'ed/a', '--utc']);
    expect(history.stdout.match(/^revision \d+/gm)).toEqual(['revision 3', 'revision 2', 'revision 1']);
  });

  it('aborts on an empty definition', async () => {
    const before = await readFile(envFile('ed/a'), 'utf8');
    const result = await edit('ed/a', before, '');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('Aborting edit due to empty definition.\n');
    expect(await readFile(envFile('ed/a'), 'utf8')).toBe(before);
  });

  it('keeps a bad edit out of the store, shows why, and gives up at the end of input', async () => {
    const before = await readFile(envFile('ed/a'), 'utf8');
    const result = await edit('ed/a', 'a: 1 # one', 'a: ${nope}');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('Error: unknown property "nope"\n\n  on ed/a line 2:\n   2:   a: ${nope}\n\nPress ENTER to continue editing or ^D to exit\nAborting edit.\n');
    expect(await readFile(envFile('ed/a'), 'utf8')).toBe(before);
  });

  it('refuses a version', async () => {
    const version = await edit('ed/a@1', 'a', 'b');
    expect(version.stderr).toBe('escd: the edit command does not accept versions\n');
  });

  it('edits secrets as plaintext with --show-secrets and stores them encrypted again', async () => {
    await cli(['env', 'init', 'ed/s']);
    await cli(['env', 'set', 'ed/s', 'keep', 'unchanged-secret', '--secret']);
    await cli(['env', 'set', 'ed/s', 'change', 'old-secret', '--secret']);
    const editDirs = async (): Promise<string[]> => (await readdir(join(home.dir, 'tmp'))).filter((n) => n.startsWith('escd-edit-'));
    const dirsBefore = await editDirs();
    const result = await cli(['env', 'edit', 'ed/s', '--show-secrets'], {
      env: { EDITOR: `${process.execPath} ${editor}`, EDIT_FROM: 'fn::secret: old-secret', EDIT_TO: 'fn::secret: new-secret' },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Environment updated.\n');
    const after = await readFile(envFile('ed/s'), 'utf8');
    expect(after).not.toMatch(/unchanged-secret|new-secret|old-secret/);
    expect(JSON.parse((await cli(['open', 'ed/s', '--show-secrets'])).stdout)).toEqual({ keep: 'unchanged-secret', change: 'new-secret' });
    // Nothing is left behind in the temporary directory.
    expect(await editDirs()).toEqual(dirsBefore);
  });

  it('names a missing editor', async () => {
    const result = await cli(['env', 'edit', 'ed/a'], { env: { EDITOR: 'escd-no-such-editor' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('escd: finding "escd-no-such-editor" on path: command not found\n');
  });

  it('does not save when the editor fails', async () => {
    const before = await readFile(envFile('ed/a'), 'utf8');
    const result = await edit('ed/a', 'a: 1', 'a: 2', 3);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('escd: editor: exit status 3\n');
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

  it('prints values as json (default) and yaml, secrets shown (an open is explicit)', async () => {
    const json = await cli(['open', 'op/app']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'app', region: 'us-west-2', token: 's3cr3t-value', list: [1, 'two'] });
    const yaml = await cli(['open', 'op/app', '--format', 'yaml', '--show-secrets']);
    expect(yaml.stdout).toContain('token: s3cr3t-value\n');
  });

  it('prints one property in any value format', async () => {
    expect((await cli(['open', 'op/app', 'list[1]', '--format', 'string'])).stdout).toBe('two\n');
    // Machine formats get the value itself: `[secret]` with exit 0 would install bogus credentials.
    expect((await cli(['open', 'op/app', 'token', '--format', 'string'])).stdout).toBe('s3cr3t-value\n');
    const detailed = JSON.parse((await cli(['open', 'op/app', 'token', '--format', 'detailed'])).stdout);
    // With its trace: the range that defines it, in the environment as opened (`app`).
    expect(detailed).toMatchObject({ value: 's3cr3t-value', secret: true, trace: { def: { environment: 'app' } } });
    expect(detailed.trace.def.begin.line).toBeGreaterThan(0);
    const missing = await cli(['open', 'op/app', 'list[5]']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('escd: no value at list[5]: index out of range (the array has 2 element(s))\n');
  });

  it('prints environment variables for dotenv and shell, and refuses a path there', async () => {
    const shell = await cli(['open', 'op/app', '--format', 'shell', '--show-secrets']);
    // As the reference (Go-quoted), but single quotes where a shell would expand the value.
    expect(shell.stdout).toBe(`export QUOTED='it'\\''s "quoted" $HOME'\nexport REGION="us-west-2"\nexport TOKEN="s3cr3t-value"\n`);
    const dotenv = await cli(['open', 'op/app', '--format', 'dotenv']);
    expect(dotenv.stdout).toBe(`QUOTED="it's \\"quoted\\" $HOME"\nREGION="us-west-2"\nTOKEN="s3cr3t-value"\n`);
    const refused = await cli(['open', 'op/app', 'name', '--format', 'dotenv']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe("escd: output format 'dotenv' may not be used with a property path\n");
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
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'app', token: 's3cr3t-value' });
    expect((await cli(['open', 'op/app', 'list', '--json', '--format', 'json'])).stdout).toBe('[\n  1,\n  "two"\n]\n');
    const both = await cli(['open', 'op/app', '--json', '--format', 'yaml']);
    expect(both.code).toBe(2);
    expect(both.stdout).toBe('');
    expect(both.stderr).toBe('escd: --json is --format json: it cannot be combined with --format yaml\n');
  });

  it('rejects an unknown format', async () => {
    const result = await cli(['open', 'op/app', '--format', 'xml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('escd: unknown output format "xml"\n');
  });
});

it('leaves no temporary files in the environments directory', async () => {
  for (const project of await readdir(join(home.env.ESCD_HOME!, 'environments'))) {
    for (const name of await readdir(join(home.env.ESCD_HOME!, 'environments', project))) if (name !== '.history') expect(name).toMatch(/^[a-z]+\.yaml$/);
  }
});
