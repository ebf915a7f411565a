// The certificate thumbprint the AWS console and API ask for when creating an IAM OIDC provider:
// the SHA-1 of the top intermediate CA certificate the issuer's host serves (the last one of the
// chain `openssl s_client -showcerts` prints). We only read the certificate, so the connection
// need not be trusted.
import { connect, type DetailedPeerCertificate } from 'node:tls';

export interface Thumbprint {
  /** 40 lowercase hex digits, no colons (the form IAM takes). */
  readonly sha1: string;
  /** Subject of the certificate it belongs to, e.g. `CN=R11, O=Let's Encrypt, C=US`. */
  readonly subject: string;
}

export class ThumbprintError extends Error {}

export function fetchThumbprint(host: string, port = 443, timeoutMs = 10_000): Promise<Thumbprint> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, servername: isIp(host) ? undefined : host, rejectUnauthorized: false, timeout: timeoutMs });
    const fail = (reason: string): void => {
      socket.destroy();
      reject(new ThumbprintError(`could not read the certificate of ${host}:${port}: ${reason}`));
    };
    socket.once('timeout', () => fail(`no answer within ${timeoutMs} ms`));
    socket.once('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message));
    socket.once('secureConnect', () => {
      const top = topCertificate(socket.getPeerCertificate(true));
      socket.end();
      if (!top) return fail('the server sent no certificate');
      resolve({ sha1: top.fingerprint.replaceAll(':', '').toLowerCase(), subject: describe(top) });
    });
  });
}

/** The last certificate of the chain below any self-signed root the runtime may have appended. */
export function topCertificate(leaf: DetailedPeerCertificate): DetailedPeerCertificate | undefined {
  if (!leaf || !leaf.raw) return undefined;
  let current = leaf;
  const seen = new Set<string>([leaf.fingerprint256]);
  for (;;) {
    const issuer = current.issuerCertificate;
    if (!issuer || !issuer.raw || seen.has(issuer.fingerprint256) || isSelfSigned(issuer)) return current;
    seen.add(issuer.fingerprint256);
    current = issuer;
  }
}

function isSelfSigned(cert: DetailedPeerCertificate): boolean {
  return cert.fingerprint256 === cert.issuerCertificate?.fingerprint256 || JSON.stringify(cert.subject) === JSON.stringify(cert.issuer);
}

function describe(cert: DetailedPeerCertificate): string {
  return Object.entries(cert.subject ?? {})
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`)
    .join(', ');
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
