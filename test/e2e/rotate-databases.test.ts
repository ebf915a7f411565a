// `escd env rotate` with fn::rotate::postgres and fn::rotate::mysql against a real PostgreSQL and a
// real MariaDB (started here in temp dirs): the two-user scheme, checked by logging in — after a
// rotation the new password works and the old one does not, while `previous` still does.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli } from '../support/cli.js';
import { mariadbMissing, postgresMissing, startMariaDb, startPostgres, type Database } from '../support/databases.js';
import { e2eSkipReason } from '../support/moto.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

interface Credential {
  username: string;
  password: string;
}

interface Engine {
  readonly rotator: 'postgres' | 'mysql';
  readonly missing: () => string | undefined;
  readonly start: () => Promise<Database>;
  readonly database: string;
  /** Runs SQL as the admin. */
  readonly admin: (db: Database, sql: string) => Promise<void>;
  readonly canLogIn: (db: Database, who: Credential) => Promise<boolean>;
}

const postgres: Engine = {
  rotator: 'postgres',
  missing: postgresMissing,
  start: startPostgres,
  database: 'postgres',
  async admin(db, sql) {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ host: db.host, port: db.port, user: db.admin.username, password: db.admin.password, database: 'postgres' });
    await client.connect();
    await client.query(sql);
    await client.end();
  },
  async canLogIn(db, who) {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ host: db.host, port: db.port, user: who.username, password: who.password, database: 'postgres' });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  },
};

const mysql: Engine = {
  rotator: 'mysql',
  missing: mariadbMissing,
  start: startMariaDb,
  database: 'mysql',
  async admin(db, sql) {
    const m = await import('mysql2/promise');
    const c = await m.createConnection({ host: db.host, port: db.port, user: db.admin.username, password: db.admin.password });
    await c.query(sql);
    await c.end();
  },
  async canLogIn(db, who) {
    const m = await import('mysql2/promise');
    try {
      const c = await m.createConnection({ host: db.host, port: db.port, user: who.username, password: who.password });
      await c.query('SELECT 1');
      await c.end();
      return true;
    } catch {
      return false;
    }
  },
};

for (const engine of [postgres, mysql]) {
  describe.skipIf(e2eSkipReason(engine.missing()))(`escd env rotate: ${engine.rotator}`, () => {
    let db: Database;
    let home: TmpHome;
    let env: Record<string, string>;
    let file: string;
    const rotate = () => runCli(['env', 'rotate', 'proj/db'], { env });
    const state = async (): Promise<{ current?: Credential; previous?: Credential }> => {
      const open = await runCli(['open', 'proj/db', 'db', '--show-secrets'], { env });
      expect(open.code, open.stderr).toBe(0);
      return JSON.parse(open.stdout) as { current?: Credential; previous?: Credential };
    };

    beforeAll(async () => {
      assertBuilt();
      db = await engine.start();
      const create = engine.rotator === 'postgres' ? (u: string, p: string) => `CREATE ROLE ${u} LOGIN PASSWORD '${p}'` : (u: string, p: string) => `CREATE USER '${u}'@'%' IDENTIFIED BY '${p}'`;
      await engine.admin(db, create('app_user1', 'old-pw-1'));
      await engine.admin(db, create('app_user2', 'old-pw-2'));
      home = await makeTmpHome('escd-rot-db-');
      env = { ...home.env, PATH: process.env.PATH ?? '' };
      await mkdir(join(home.env.ESCD_HOME!, 'environments', 'proj'), { recursive: true });
      file = join(home.env.ESCD_HOME!, 'environments', 'proj', 'db.yaml');
      await writeFile(
        file,
        `values:
  db:
    fn::rotate::${engine.rotator}:
      inputs:
        database:
          database: ${engine.database}
          host: ${db.host}
          port: ${db.port}
          managingUser:
            username: ${db.admin.username}
            password:
              fn::secret: ${db.admin.password}
        rotateUsers:
          username1: app_user1
          username2: app_user2
`,
      );
    }, 120_000);
    afterAll(async () => {
      await db?.stop();
      await home?.cleanup();
    });

    it('the first rotation gives username1 a new password: it logs in, the old one does not', async () => {
      const rotated = await rotate();
      expect(rotated.code, rotated.stderr).toBe(0);
      const { current, previous } = await state();
      expect(previous).toBeUndefined();
      expect(current!.username).toBe('app_user1');
      expect(current!.password).toMatch(/^[A-Za-z0-9]{32}$/);
      expect(await engine.canLogIn(db, current!)).toBe(true);
      expect(await engine.canLogIn(db, { username: 'app_user1', password: 'old-pw-1' })).toBe(false);
      expect(await readFile(file, 'utf8')).not.toContain(current!.password);
    });

    it('the next rotations alternate the users; previous still logs in until it is rotated again', async () => {
      const first = (await state()).current!;
      expect((await rotate()).code).toBe(0);
      const second = await state();
      expect(second.current!.username).toBe('app_user2');
      expect(second.previous).toEqual(first);
      expect(await engine.canLogIn(db, second.current!)).toBe(true);
      expect(await engine.canLogIn(db, first)).toBe(true);
      expect(await engine.canLogIn(db, { username: 'app_user2', password: 'old-pw-2' })).toBe(false);
      expect((await rotate()).code).toBe(0);
      const third = await state();
      expect(third.current!.username).toBe('app_user1');
      expect(third.previous).toEqual(second.current);
      expect(await engine.canLogIn(db, third.current!)).toBe(true);
      expect(await engine.canLogIn(db, first)).toBe(false);
    });

    it('a managing user that cannot log in fails the rotation at `database`, and nothing changes', async () => {
      const good = await readFile(file, 'utf8');
      await writeFile(file, good.replace(`fn::secret: ${db.admin.password}`, 'fn::secret: wrong-password'));
      const before = await readFile(file, 'utf8');
      const current = (await state()).current!;
      const rotated = await rotate();
      expect(rotated.code).toBe(1);
      expect(rotated.stderr).toMatch(new RegExp(`db\\.yaml:6:\\d+: error: rotate: cannot set a new password for "app_user2" on ${engine.rotator} at 127\\.0\\.0\\.1:${db.port}/${engine.database} as "escd_admin"`));
      expect(rotated.stderr).not.toContain('wrong-password');
      expect(await readFile(file, 'utf8')).toBe(before);
      expect(await engine.canLogIn(db, current)).toBe(true);
      await writeFile(file, good);
    });
  });
}
