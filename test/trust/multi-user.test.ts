// Another local user attacks: a second account (useradd) plays the attacker against the user running
// the tests (the victim). Each attempt must be refused and leave the victim's files as they were.
// Needs root to create the account (CI runs as root); skipped with the reason elsewhere.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli, runShim } from '../support/cli.js';
import { createOtherUser, MULTI_USER_SKIP, type OtherUser } from '../support/other-user.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

if (MULTI_USER_SKIP) console.log(`multi-user suite skipped: ${MULTI_USER_SKIP}`);

const waitFor = async (check: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
};

/** Name → content of every file in `dir`, to see that nothing changed. */
const snapshot = (dir: string): Record<string, string> => Object.fromEntries(readdirSync(dir).sort().map((n) => [n, readFileSync(join(dir, n), 'utf8')]));

describe.skipIf(MULTI_USER_SKIP !== undefined)('another local user', () => {
  let attacker: OtherUser;
  let shared: string; // plays /tmp: world-writable and sticky
  let victim: TmpHome;
  const uid = process.getuid!();

  beforeAll(async () => {
    assertBuilt();
    attacker = createOtherUser();
    shared = mkdtempSync(join(tmpdir(), 'escd-shared-'));
    chmodSync(shared, 0o1777);
    victim = await makeTmpHome('escd-victim-');
  });
  afterAll(async () => {
    attacker?.remove();
    if (shared) rmSync(shared, { recursive: true, force: true });
    await victim?.cleanup();
  });

  describe('finding 1: a listener planted where the victim looks for the socket', () => {
    it('receives no request: the shim, `escd status` and `escd start` refuse, naming the owner and a fix', async () => {
      const dir = join(shared, `escd-${uid}`);
      const socket = join(dir, 'escd.sock');
      const hits = join(shared, 'hits');
      // The attacker creates the victim's predictable directory first, open or not, and listens there.
      const listener = attacker.spawnNode(
        `const fs=require('fs');fs.mkdirSync(process.argv[1],{mode:0o755});fs.chmodSync(process.argv[1],0o755);` +
          `require('net').createServer((c)=>{fs.appendFileSync(process.argv[3],'x');c.end('{"v":1,"id":1,"ok":true,"result":{}}\\n')}).listen(process.argv[2]);`,
        [dir, socket, hits],
      );
      try {
        await waitFor(() => existsSync(socket), 'the attacker to listen');
        const env = { ...victim.env, ESCD_SOCKET: socket };
        const shim = await runShim(['aws', 'dev'], { env });
        expect(shim.code).not.toBe(0);
        expect(shim.stdout).toBe('');
        expect(shim.stderr.trim().split('\n')).toHaveLength(1);
        expect(shim.stderr).toContain(`belongs to ${attacker.name} (uid ${attacker.uid})`);
        expect(shim.stderr).toMatch(/XDG_RUNTIME_DIR.*ESCD_SOCKET/);

        const status = await runCli(['status'], { env });
        expect(status.code).not.toBe(0);
        expect(status.stderr).toContain(`belongs to ${attacker.name}`);
        const start = await runCli(['start'], { env });
        expect(start.code).not.toBe(0);
        expect(start.stdout).not.toContain('already running');
        expect(start.stderr).toContain(`belongs to ${attacker.name}`);
        // The daemon itself will not listen there either.
        const daemon = await runCli(['daemon', '--socket', socket], { env, timeoutMs: 10_000 });
        expect(daemon.code).not.toBe(0);
        expect(daemon.stderr).toContain(`belongs to ${attacker.name}`);
        expect(existsSync(hits)).toBe(false);
      } finally {
        listener.kill('SIGKILL');
      }
    }, 60_000);

    it('a socket of the attacker in a private-looking (0700) directory of the attacker is refused too', async () => {
      const dir = join(shared, `escd-${uid}-b`);
      const socket = join(dir, 'escd.sock');
      const hits = join(shared, 'hits-b');
      const listener = attacker.spawnNode(
        `const fs=require('fs');fs.mkdirSync(process.argv[1],{mode:0o700});` +
          `require('net').createServer((c)=>{fs.appendFileSync(process.argv[3],'x');c.end()}).listen(process.argv[2]);`,
        [dir, socket, hits],
      );
      try {
        await waitFor(() => existsSync(socket), 'the attacker to listen');
        const shim = await runShim(['kube', 'dev', '--cluster', 'c'], { env: { ...victim.env, ESCD_SOCKET: socket } });
        expect(shim.code).not.toBe(0);
        expect(shim.stderr).toContain(`belongs to ${attacker.name}`);
        expect(existsSync(hits)).toBe(false);
      } finally {
        listener.kill('SIGKILL');
      }
    }, 30_000);
  });
  describe('finding 2: entries planted where `escd run` once swept its leftovers', () => {
    const plantEnv = async (configDir: string): Promise<void> => {
      mkdirSync(join(configDir, 'environments', 'proj'), { recursive: true });
      writeFileSync(join(configDir, 'environments', 'proj', 'run.yaml'), 'values:\n  files:\n    CONFIG_FILE: "a = 1\\n"\n');
    };

    it('never touches the shared temp dir: planted directories and links into the victim\'s files stay, the files stay', async () => {
      await plantEnv(victim.env.ESCD_HOME!);
      const target = join(victim.dir, 'target');
      mkdirSync(target);
      for (let i = 0; i < 20; i++) writeFileSync(join(target, `f${i}`), `precious ${i}`);
      const before = snapshot(target);
      // Dead-pid names as the old sweep matched them: a directory holding a link to the target, and a link itself.
      const planted = await attacker.node(
        `const fs=require('fs'),p=require('path');const [s,t]=process.argv.slice(1);` +
          `fs.mkdirSync(p.join(s,'escd-run-999999999-aaaaaa'));fs.symlinkSync(t,p.join(s,'escd-run-999999999-aaaaaa','x'));` +
          `fs.symlinkSync(t,p.join(s,'escd-run-999999998-bbbbbb'));`,
        [shared, target],
      );
      expect(planted.code, planted.stderr).toBe(0);
      for (let i = 0; i < 3; i++) {
        const r = await runCli(['run', 'proj/run', '--', 'sh', '-c', 'test -f "$CONFIG_FILE"'], { env: { ...victim.env, TMPDIR: shared } });
        expect(r.code, r.stderr).toBe(0);
      }
      expect(snapshot(target)).toEqual(before);
      expect(existsSync(join(shared, 'escd-run-999999999-aaaaaa', 'x'))).toBe(true);
      expect(existsSync(join(shared, 'escd-run-999999998-bbbbbb'))).toBe(true);
    }, 120_000);

    it('refuses a runtime directory the attacker made first, writing nothing there', async () => {
      const runtime = join(shared, 'runtime');
      const made = await attacker.node(`const fs=require('fs');fs.mkdirSync(process.argv[1]+'/escd',{recursive:true,mode:0o777});fs.chmodSync(process.argv[1],0o777);fs.chmodSync(process.argv[1]+'/escd',0o777);`, [runtime]);
      expect(made.code, made.stderr).toBe(0);
      const home = join(victim.dir, 'h2');
      await plantEnv(join(home, '.config', 'escd'));
      const r = await runCli(['run', 'proj/run', '--', 'true'], { env: { HOME: home, XDG_RUNTIME_DIR: runtime, ESCD_KEYSTORE: 'file', NO_COLOR: '1' } });
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`belongs to ${attacker.name}`);
      expect(readdirSync(join(runtime, 'escd'))).toEqual([]);
    }, 60_000);
  });
  describe('finding 4: an ESCD_HOME the attacker controls', () => {
    it('is refused by every command and the daemon; the victim\'s files named by planted links stay as they were', async () => {
      const home = join(shared, 'escd-home');
      const bashrc = join(victim.dir, '.bashrc');
      const profile = join(victim.dir, '.profile');
      writeFileSync(bashrc, 'victim bashrc\n');
      writeFileSync(profile, 'victim profile\n');
      // The attacker's ESCD_HOME: a config.yaml redirecting STS to a listener, links planted as the logs.
      const made = await attacker.node(
        `const fs=require('fs'),p=require('path');const [h,b,pr]=process.argv.slice(1);` +
          `fs.mkdirSync(p.join(h,'state'),{recursive:true});fs.mkdirSync(p.join(h,'environments','proj'),{recursive:true});` +
          `fs.writeFileSync(p.join(h,'config.yaml'),'aws:\\n  stsEndpoint: http://127.0.0.1:9/\\n');` +
          `fs.writeFileSync(p.join(h,'environments','proj','dev.yaml'),'values:\\n  a: 1\\n');` +
          `fs.symlinkSync(b,p.join(h,'state','audit.log'));fs.symlinkSync(pr,p.join(h,'state','daemon.log'));` +
          `for (const d of [h,p.join(h,'state'),p.join(h,'environments')]) fs.chmodSync(d,0o755);`,
        [home, bashrc, profile],
      );
      expect(made.code, made.stderr).toBe(0);
      const env = { ...victim.env, ESCD_HOME: home, ESCD_SOCKET: join(victim.dir, 'run4', 'escd.sock') };
      for (const args of [['env', 'get', 'proj/dev'], ['open', 'proj/dev'], ['start'], ['daemon']]) {
        const r = await runCli(args, { env, timeoutMs: 15_000 });
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).not.toBe(0);
        expect(r.stderr, args.join(' ')).toContain(`ESCD_HOME ${home} belongs to ${attacker.name}`);
        expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      }
      const doctor = await runCli(['doctor', '--offline', '--json'], { env, timeoutMs: 30_000 });
      const ownership = (JSON.parse(doctor.stdout) as { checks?: { id: string; status: string; fix?: string }[] } | { id: string; status: string; fix?: string }[]);
      const checks = Array.isArray(ownership) ? ownership : (ownership.checks ?? []);
      expect(checks.find((c) => c.id === 'ownership')).toMatchObject({ status: 'fail', fix: 'point ESCD_HOME at a directory you own' });
      expect(readFileSync(bashrc, 'utf8')).toBe('victim bashrc\n');
      expect(readFileSync(profile, 'utf8')).toBe('victim profile\n');
    }, 90_000);

    it('an ESCD_HOME of the victim that others can write to is refused too', async () => {
      const home = join(victim.dir, 'open-home');
      mkdirSync(home);
      chmodSync(home, 0o777);
      const r = await runCli(['env', 'ls'], { env: { ...victim.env, ESCD_HOME: home } });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`other users can write to ESCD_HOME ${home} (mode 0777)`);
      expect(r.stderr).toContain(`chmod go-w ${home}`);
    }, 30_000);
  });
});
