// `escd oidc thumbprint` against a local TLS server whose chain we made with openssl:
// root CA → intermediate → leaf, the server sending leaf + intermediate (as real hosts do).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli } from '../support/cli.js';
import { ptySkipReason, runCliInTerminal } from '../support/pty.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

const hasOpenssl = spawnSync('sh', ['-c', 'command -v openssl']).status === 0;
if (!hasOpenssl) {
  if (process.env.ESCD_REQUIRE_E2E === '1') throw new Error('the thumbprint test needs the openssl command');
  console.warn('skipping the thumbprint test: openssl is not installed');
}

function makeChain(dir: string): { key: string; cert: string; intermediateSha1: string } {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  const ext = join(dir, 'ca.ext');
  writeFileSync(ext, 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n');
  for (const name of ['root', 'inter', 'leaf']) ssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`);
  ssl('req', '-x509', '-new', '-key', 'root.key', '-subj', '/CN=Test Root', '-days', '2', '-out', 'root.pem');
  ssl('req', '-new', '-key', 'inter.key', '-subj', '/CN=Test Intermediate', '-out', 'inter.csr');
  ssl('x509', '-req', '-in', 'inter.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', 'inter.pem');
  ssl('req', '-new', '-key', 'leaf.key', '-subj', '/CN=localhost', '-out', 'leaf.csr');
  ssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'inter.pem', '-CAkey', 'inter.key', '-CAcreateserial', '-days', '2', '-out', 'leaf.pem');
  // What the AWS guide computes: the SHA-1 fingerprint of the last certificate the server sends.
  const fp = ssl('x509', '-in', 'inter.pem', '-noout', '-fingerprint', '-sha1');
  return {
    key: readFileSync(join(dir, 'leaf.key'), 'utf8'),
    cert: readFileSync(join(dir, 'leaf.pem'), 'utf8') + readFileSync(join(dir, 'inter.pem'), 'utf8'),
    intermediateSha1: fp.split('=')[1]!.trim().replaceAll(':', '').toLowerCase(),
  };
}

describe.skipIf(!hasOpenssl)('escd oidc thumbprint', () => {
  let home: TmpHome;
  let server: Server;
  let port: number;
  let expected: string;

  beforeAll(async () => {
    assertBuilt();
    home = await makeTmpHome();
    const chain = makeChain(home.dir);
    expected = chain.intermediateSha1;
    server = createServer({ key: chain.key, cert: chain.cert }, (socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await home?.cleanup();
  });

  it('prints the SHA-1 of the top intermediate certificate the host serves', async () => {
    const r = await runCli(['oidc', 'thumbprint', '--connect', `127.0.0.1:${port}`], { env: home.env });
    expect(r.stderr).toContain('CN=Test Intermediate');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${expected}\n`);
    const json = await runCli(['oidc', 'thumbprint', '--connect', `127.0.0.1:${port}`, '--json'], { env: home.env });
    expect(JSON.parse(json.stdout)).toMatchObject({ thumbprint: expected, certificate: 'CN=Test Intermediate' });
  });

  it.skipIf(ptySkipReason())('shows a progress line on a terminal while it reads the certificate, never on stdout', async () => {
    const r = await runCliInTerminal(['oidc', 'thumbprint', '--connect', `127.0.0.1:${port}`], { env: home.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${expected}\n`);
    expect(r.terminal).toMatch(new RegExp(`^\r. reading the certificate of 127\\.0\\.0\\.1:${port}…\u001b\\[K`));
    // The comment on stderr comes after the line is cleared.
    expect(r.terminal.slice(r.terminal.lastIndexOf('\r\u001b[K') + 4)).toMatch(/^# SHA-1 of CN=Test Intermediate/);
  });

  it('says clearly when it cannot connect, and why AWS mostly does not need it', async () => {
    const closed = createServer({});
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await runCli(['oidc', 'thumbprint', '--connect', `127.0.0.1:${deadPort}`], { env: home.env });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^escd: cannot compute the thumbprint: could not read the certificate of 127\.0\.0\.1:\d+: ECONNREFUSED\. AWS no longer uses it/);
    expect(r.stderr.split('\n')).toHaveLength(2);
  });
});
