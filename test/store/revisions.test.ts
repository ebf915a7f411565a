import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluateEnvironment } from '../../src/esc/evaluate.js';
import { toPlain } from '../../src/esc/value.js';
import { testCipher } from '../support/test-cipher.js';
import { EnvironmentStore, type StoreOptions } from '../../src/store/store.js';
import type { StampEvent } from '../../src/store/revisions.js';

let dir: string;
let events: StampEvent[];
const HOUR = 3_600_000;
// The corpus's per-object clock: revision N at hour N; tags with no time or editor.
const stamp: StoreOptions['stamp'] = (event) => {
  events.push(event);
  if (event.kind === 'revision' || event.kind === 'retraction') return { at: new Date(event.revision * HOUR).toISOString(), by: { name: 'Test Tester', login: 'test-tester' } };
  if (event.kind === 'environment-tag') return { at: '2024-07-29T12:30:00.000Z', by: { name: 'pulumipus', login: 'pulumipus' } };
  return {};
};
const open = (options: StoreOptions = {}): EnvironmentStore => new EnvironmentStore(join(dir, 'environments'), 'acme', { stamp, ...options });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'escd-revisions-'));
  events = [];
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('revisions', () => {
  it('numbers every write, stamps it, and reads any revision back by number, latest or tag', async () => {
    const store = open();
    expect((await store.create('app/dev')).revision).toBe(1);
    expect(await store.update('app/dev', 'values: {a: 1}\n')).toBe(2);
    expect(await store.update('app/dev', 'values: {a: 2}\n')).toBe(3);
    const history = await store.history('app/dev');
    expect(history.revisions.map((r) => [r.number, r.at, r.by?.login])).toEqual([
      [1, '1970-01-01T01:00:00.000Z', 'test-tester'],
      [2, '1970-01-01T02:00:00.000Z', 'test-tester'],
      [3, '1970-01-01T03:00:00.000Z', 'test-tester'],
    ]);
    expect(history.revisionTags.latest).toEqual({ revision: 3 });
    expect((await store.read('app/dev@1')).source).toBe('');
    expect((await store.read('app/dev@2')).source).toBe('values: {a: 1}\n');
    expect((await store.read('app/dev:2')).source).toBe('values: {a: 1}\n');
    expect((await store.read('app/dev@latest')).revision).toBe(3);
    expect((await store.read('app/dev')).source).toBe('values: {a: 2}\n');
    await store.tagRevision('app/dev', 'stable', 2);
    expect((await store.read('app/dev@stable')).source).toBe('values: {a: 1}\n');
    await store.tagRevision('app/dev', 'stable', 3);
    expect((await store.read('app/dev@stable')).revision).toBe(3);
    await expect(store.read('app/dev@4')).rejects.toMatchObject({ code: 'not_found', message: 'not found' });
    await expect(store.read('app/dev@nope')).rejects.toMatchObject({ message: 'not found' });
    await expect(store.read('app/dev@1x')).rejects.toMatchObject({ message: 'not found' });
    await expect(store.tagRevision('app/dev', 'latest', 1)).rejects.toMatchObject({ code: 'bad_request' });
    await store.untagRevision('app/dev', 'stable');
    await expect(store.read('app/dev@stable')).rejects.toMatchObject({ message: 'not found' });
  });

  it('keeps revisions immutable: a retracted one stays readable and names its replacement and reason', async () => {
    const store = open();
    await store.create('app/dev', 'values: {secret: oops}\n');
    await store.update('app/dev', 'values: {}\n');
    await store.update('app/dev', 'values: {b: 1}\n');
    await store.retract('app/dev', 2, { replacement: 3, reason: 'plaintext secret' });
    await expect(store.retract('app/dev', 1)).rejects.toThrow('revision 1 has no earlier revision to replace it'); // nothing earlier
    await expect(store.retract('app/dev', 3)).rejects.toThrow('the latest revision cannot be retracted');
    await store.update('app/dev', 'values: {b: 2}\n');
    await store.tagRevision('app/dev', 'stable', 3);
    await store.retract('app/dev', 3);
    const [r1, r2, r3] = (await store.history('app/dev')).revisions;
    expect((await store.history('app/dev')).revisionTags.stable?.revision).toBe(1); // moved to the replacement
    expect(r2!.retracted).toEqual({ replacement: 3, reason: 'plaintext secret', at: '1970-01-01T02:00:00.000Z', by: { name: 'Test Tester', login: 'test-tester' } });
    expect(r3!.retracted?.replacement).toBe(1); // the newest earlier revision that is not retracted
    expect(r1!.retracted).toBeUndefined();
    expect((await store.read('app/dev@2')).source).toBe('values: {}\n');
    await expect(store.retract('app/dev', 9)).rejects.toMatchObject({ message: 'not found' });
  });

  it('asks the injected policy for the replacement of a retraction without one', async () => {
    const store = open({ replacementFor: () => 42 });
    await store.create('app/dev');
    await store.update('app/dev', 'values: {}\n');
    await store.update('app/dev', 'values: {a: 1}\n');
    await store.retract('app/dev', 2);
    expect((await store.history('app/dev')).revisions[1]!.retracted?.replacement).toBe(42);
  });

  it('adopts an existing file as revision 1 on first use, and a hand edit as the next revision', async () => {
    const store = open();
    await mkdir(join(dir, 'environments', 'app'), { recursive: true });
    await writeFile(join(dir, 'environments', 'app', 'old.yaml'), 'values: {old: true}\n');
    expect((await store.read('app/old@1')).source).toBe('values: {old: true}\n');
    await writeFile(join(dir, 'environments', 'app', 'old.yaml'), 'values: {edited: true}\n');
    const history = await store.history('app/old');
    expect(history.revisions.map((r) => r.number)).toEqual([1, 2]);
    expect((await store.read('app/old@2')).source).toBe('values: {edited: true}\n');
    expect((await store.read('app/old@1')).source).toBe('values: {old: true}\n');
    expect(await store.update('app/old', 'values: {}\n')).toBe(3);
  });

  it('refuses a write based on a revision that is no longer the latest', async () => {
    const store = open();
    await store.create('app/dev');
    await store.update('app/dev', 'values: {a: 1}\n');
    await expect(store.update('app/dev', 'values: {b: 1}\n', { expectedRevision: 1 })).rejects.toMatchObject({ code: 'conflict' });
    expect(await store.update('app/dev', 'values: {b: 1}\n', { expectedRevision: 2 })).toBe(3);
  });

  it('removes an environment with its history: a new one of the same name starts again at 1', async () => {
    const store = open();
    await store.create('app/dev');
    await store.update('app/dev', 'values: {}\n');
    await store.remove('app/dev');
    expect(await store.exists('app/dev')).toBe(false);
    await expect(store.history('app/dev')).rejects.toMatchObject({ message: 'not found' });
    await store.create('app/dev', 'values: {}\n');
    expect((await store.history('app/dev')).revisions).toHaveLength(1);
  });
});

describe('environment tags', () => {
  it('sets, updates, renames and removes tags, stamped by the injected stamper', async () => {
    const store = open();
    await store.create('app/dev');
    await store.setTag('app/dev', 'team', 'esc');
    await store.setTag('app/dev', 'team', 'esc-team');
    await store.setTag('app/dev', 'owner', 'pulumi');
    expect((await store.history('app/dev')).tags).toEqual({
      team: { value: 'esc-team', created: '2024-07-29T12:30:00.000Z', modified: '2024-07-29T12:30:00.000Z', editor: { name: 'pulumipus', login: 'pulumipus' } },
      owner: { value: 'pulumi', created: '2024-07-29T12:30:00.000Z', modified: '2024-07-29T12:30:00.000Z', editor: { name: 'pulumipus', login: 'pulumipus' } },
    });
    await expect(store.renameTag('app/dev', 'team', 'owner')).rejects.toMatchObject({ message: 'tag already exists' });
    await store.renameTag('app/dev', 'team', 'squad', 'blue');
    await store.removeTag('app/dev', 'owner');
    expect(Object.keys((await store.history('app/dev')).tags)).toEqual(['squad']);
    await expect(store.removeTag('app/dev', 'owner')).rejects.toMatchObject({ message: 'tag not found' });
    await expect(store.setTag('app/none', 'a', 'b')).rejects.toMatchObject({ message: 'not found' });
  });
});

describe('clone', () => {
  const seed = async (store: EnvironmentStore): Promise<void> => {
    await store.create('app/src');
    await store.update('app/src', 'values: {a: 1}\n');
    await store.update('app/src', 'values: {a: 2}\n');
    await store.tagRevision('app/src', 'stable', 2);
    await store.setTag('app/src', 'team', 'x');
  };

  it('copies only the latest definition, as revision 1, without tags', async () => {
    const store = open();
    await seed(store);
    await store.clone('app/src', 'app/dst');
    const history = await store.history('app/dst');
    expect(history.revisions.map((r) => r.number)).toEqual([1]);
    expect(history.tags).toEqual({});
    expect(Object.keys(history.revisionTags)).toEqual(['latest']);
    expect((await store.read('app/dst')).source).toBe('values: {a: 2}\n');
  });

  it('preserves history, revision tags and environment tags when asked', async () => {
    const store = open();
    await seed(store);
    await store.clone('app/src', 'other/app/dst', { history: true, revisionTags: true, environmentTags: true });
    const history = await store.history('other/app/dst');
    expect(history.revisions.map((r) => [r.number, r.at])).toEqual((await store.history('app/src')).revisions.map((r) => [r.number, r.at]));
    expect(history.revisionTags.stable?.revision).toBe(2);
    expect(history.tags.team?.value).toBe('x');
    expect((await store.read('other/app/dst@2')).source).toBe('values: {a: 1}\n');
  });

  it('refuses a missing source and an existing destination', async () => {
    const store = open();
    await seed(store);
    await store.create('app/dst');
    await expect(store.clone('app/none', 'app/x')).rejects.toMatchObject({ message: 'source env not found' });
    await expect(store.clone('app/src', 'app/dst')).rejects.toMatchObject({ message: 'already exists' });
  });
});

describe('organizations and two-part names', () => {
  it('keeps each org apart and lists the default org first', async () => {
    const store = open();
    await store.create('acme/default/env', 'values: {}\n');
    await store.create('test-org/default/env', 'values: {org: 1}\n');
    await store.create('test-org/project-a/env');
    await store.create('test-org-2/default/env');
    expect((await store.list()).map((e) => e.name)).toEqual(['default/env', 'test-org/default/env', 'test-org/project-a/env', 'test-org-2/default/env']);
    expect((await store.read('test-org/default/env')).source).toBe('values: {org: 1}\n');
    expect(await store.orgs()).toEqual(expect.arrayContaining(['acme', 'test-org', 'test-org-2']));
  });

  it('resolves a two-part name of an existing environment as the reference does', async () => {
    const store = open();
    await store.create('test-org/default/env');
    expect(await store.resolveExisting('test-org/env')).toMatchObject({ ref: { org: 'test-org', project: 'default', env: 'env' }, ambiguous: true });
    expect(await store.resolveExisting('default/env')).toMatchObject({ ref: { org: 'acme', project: 'default', env: 'env' }, ambiguous: false });
    await store.create('acme/test-org/env');
    await expect(store.resolveExisting('test-org/env')).rejects.toThrow(/ambiguous path provided/);
  });

  it('resolves a two-part name of a new environment: org/default when that org has a default project', async () => {
    const store = open();
    await store.create('test-org/test-org/env');
    expect(await store.resolveNew('test-org/ambiguous')).toMatchObject({ ref: { org: 'acme', project: 'test-org' }, ambiguous: true });
    await store.create('test-org/default/env');
    expect(await store.resolveNew('test-org/ambiguous')).toMatchObject({ ref: { org: 'test-org', project: 'default' }, ambiguous: true });
    expect(await store.resolveNew('default/x')).toMatchObject({ ref: { org: 'acme', project: 'default' }, ambiguous: false });
  });
});

describe('imports pinned to a revision or a tag', () => {
  it('evaluate the pinned text, not the latest', async () => {
    const store = open();
    await store.create('proj/base', 'values: {v: one}\n');
    await store.update('proj/base', 'values: {v: two}\n');
    await store.update('proj/base', 'values: {v: three}\n');
    await store.tagRevision('proj/base', 'stable', 2);
    const evaluate = async (imp: string): Promise<unknown> => {
      const result = await evaluateEnvironment('proj/app', `imports: [${imp}]\nvalues: {got: "\${v}"}\n`, {
        loader: store.loader(),
        providers: new Map(),
        cipher: testCipher,
        context: {},
        mode: 'eval',
      });
      expect(result.diagnostics).toEqual([]);
      return (toPlain(result.values!) as { got?: unknown }).got;
    };
    expect(await evaluate('proj/base@1')).toBe('one');
    expect(await evaluate('proj/base@stable')).toBe('two');
    expect(await evaluate('proj/base@latest')).toBe('three');
    expect(await evaluate('proj/base')).toBe('three');
  });
});

describe('two processes writing one environment at once', () => {
  const WRITER = fileURLToPath(new URL('../../dist/test/store/fixtures/writer.js', import.meta.url));
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.kill();
  });

  it('lose no revision and no change', async () => {
    const envDir = join(dir, 'environments');
    await new EnvironmentStore(envDir, 'acme').create('app/dev', 'values:\n');
    const COUNT = 15;
    const start = async (id: string): Promise<ChildProcess> => {
      const child = spawn(process.execPath, [WRITER, envDir, 'app/dev', id, String(COUNT)], { stdio: ['pipe', 'pipe', 'inherit'] });
      children.push(child);
      await once(child.stdout!, 'data'); // ready
      return child;
    };
    const [a, b] = [await start('a'), await start('b')];
    a.stdin!.write('go\n');
    b.stdin!.write('go\n');
    const codes = await Promise.all([a, b].map(async (c) => (c.exitCode ?? (await once(c, 'exit'))[0]) as number));
    expect(codes).toEqual([0, 0]);
    const store = new EnvironmentStore(envDir, 'acme');
    const history = await store.history('app/dev');
    expect(history.revisions.map((r) => r.number)).toEqual(Array.from({ length: 2 * COUNT + 1 }, (_, i) => i + 1));
    const text = await readFile(join(envDir, 'app', 'dev.yaml'), 'utf8');
    for (const id of ['a', 'b']) for (let i = 0; i < COUNT; i++) expect(text).toContain(`${id}_${i}: ${i}\n`);
    // Every revision adds exactly one line to the one before it.
    for (let n = 2; n <= 2 * COUNT + 1; n++) {
      const [before, after] = [(await store.read(`app/dev@${n - 1}`)).source, (await store.read(`app/dev@${n}`)).source];
      expect(after.startsWith(before)).toBe(true);
      expect(after.slice(before.length).split('\n')).toHaveLength(2);
    }
  });
});
