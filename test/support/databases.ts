// Real PostgreSQL and MariaDB for tests, from Debian's packages: each started in a fresh temp dir on a
// free 127.0.0.1 port and stopped (and its files removed) by stop(). Neither server runs as root: when
// the tests do (CI), the servers run as nobody (uid/gid 65534), which then owns their directory.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Database {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** A superuser that logs in over TCP with a password. */
  readonly admin: { readonly username: string; readonly password: string };
  stop(): Promise<void>;
}

const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;
const owner = asRoot ? { uid: NOBODY, gid: NOBODY } : {};
const ADMIN = { username: 'escd_admin', password: 'admin-pw-5e1c' };

function postgresBin(name: string): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  for (const version of readdirSync(base).sort().reverse()) {
    const file = join(base, version, 'bin', name);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** Why PostgreSQL cannot run here, or undefined. */
export function postgresMissing(): string | undefined {
  return postgresBin('initdb') && postgresBin('pg_ctl') ? undefined : 'PostgreSQL server binaries (initdb, pg_ctl) are not installed (apt-get install postgresql)';
}

/** Why MariaDB cannot run here, or undefined. */
export function mariadbMissing(): string | undefined {
  const probe = spawnSync('mariadb-install-db', ['--help'], { timeout: 20_000 });
  if (probe.error) return 'MariaDB (mariadb-install-db, mariadbd) is not installed (apt-get install mariadb-server)';
  return spawnSync('mariadbd', ['--version'], { timeout: 20_000 }).error ? 'mariadbd is not on PATH (apt-get install mariadb-server)' : undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function privateDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  if (asRoot) chownSync(dir, NOBODY, NOBODY);
  return dir;
}

/** Polls `ready` every 100 ms until it resolves true, the process exits, or 30 s pass. */
async function waitUntil(ready: () => Promise<boolean>, proc: ChildProcess | undefined, what: string, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (await ready()) return;
    if (proc && proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start: ${log().trim().split('\n').slice(-3).join(' | ')}`);
}

export async function startPostgres(): Promise<Database> {
  const dir = await privateDir('escd-pg-');
  const data = join(dir, 'data');
  const pwfile = join(dir, 'pw');
  await writeFile(pwfile, ADMIN.password + '\n');
  if (asRoot) chownSync(pwfile, NOBODY, NOBODY);
  execFileSync(postgresBin('initdb')!, ['-D', data, '-U', ADMIN.username, `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8'], {
    ...owner,
    stdio: 'ignore',
    cwd: dir,
  });
  const port = await freePort();
  const pgCtl = postgresBin('pg_ctl')!;
  const logFile = join(dir, 'log');
  execFileSync(pgCtl, ['-D', data, '-l', logFile, '-w', '-t', '30', '-o', `-p ${port} -h 127.0.0.1 -k ${dir}`, 'start'], { ...owner, stdio: 'ignore', cwd: dir });
  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    admin: ADMIN,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        execFileSync(pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop'], { ...owner, stdio: 'ignore', cwd: dir });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

export async function startMariaDb(): Promise<Database> {
  const dir = await privateDir('escd-maria-');
  const data = join(dir, 'data');
  const socket = join(dir, 'mysqld.sock');
  execFileSync('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db'], { ...owner, stdio: 'ignore', cwd: dir });
  const port = await freePort();
  let log = '';
  const proc = spawn(
    'mariadbd',
    ['--no-defaults', `--datadir=${data}`, `--port=${port}`, '--bind-address=127.0.0.1', `--socket=${socket}`, `--pid-file=${join(dir, 'pid')}`, '--skip-name-resolve', '--innodb-buffer-pool-size=16M'],
    { ...owner, stdio: ['ignore', 'ignore', 'pipe'], cwd: dir },
  );
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (log = (log + d).slice(-4000)));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const killOnExit = (): void => void proc.kill('SIGKILL');
  process.once('exit', killOnExit);
  const mysql = await import('mysql2/promise');
  const asRootUser = () => mysql.createConnection({ socketPath: socket, user: 'root' });
  await waitUntil(
    async () => {
      try {
        await (await asRootUser()).end();
        return true;
      } catch {
        return false;
      }
    },
    proc,
    'mariadbd',
    () => log,
  );
  const root = await asRootUser();
  await root.query('CREATE USER ?@? IDENTIFIED BY ?', [ADMIN.username, '%', ADMIN.password]);
  await root.query('GRANT ALL PRIVILEGES ON *.* TO ?@? WITH GRANT OPTION', [ADMIN.username, '%']);
  await root.end();
  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    admin: ADMIN,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', killOnExit);
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
