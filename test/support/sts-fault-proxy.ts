// An HTTP proxy in front of a real STS emulator (moto) that fails on demand, the ways STS and the
// network do: 500, throttling (as a 400 `Throttling` answer or a bare HTTP 429), a rejected web
// identity token, malformed XML, a request that is never answered, a reset connection.
//
//   const proxy = await startStsFaultProxy(moto.endpoint);   // point AWS_ENDPOINT_URL_STS at proxy.url
//   proxy.mode = 'throttle';  ...  proxy.mode = 'pass';
//   proxy.sessionSeconds = 70;  // passed-through sessions now say they expire 70 s after issue
//   await proxy.close();
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FaultMode = 'pass' | '500' | 'throttle' | '429' | 'invalid-token' | 'malformed' | 'hang' | 'refuse';

export interface StsFaultProxy {
  readonly url: string;
  mode: FaultMode;
  /**
   * When set, a passed-through AssumeRoleWithWebIdentity answer has its <Expiration> rewritten to this
   * many seconds from now (a short session, to see expiry in real time; moto only issues ≥ 15 min).
   */
  sessionSeconds: number | undefined;
  /** Requests received since start, whatever the mode. */
  requests: number;
  readonly server: Server;
  close(): Promise<void>;
}

const errorXml = (type: 'Sender' | 'Receiver', code: string, message: string): string =>
  `<ErrorResponse><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>`;

export async function startStsFaultProxy(target: string): Promise<StsFaultProxy> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    proxy.requests++;
    const { mode } = proxy;
    if (mode === 'hang') return; // never answers
    if (mode === 'refuse') return req.socket.destroy();
    const fail = (status: number, body: string): void => {
      res.writeHead(status, { 'content-type': 'text/xml' });
      res.end(body);
    };
    if (mode === '500') return fail(500, errorXml('Receiver', 'InternalFailure', 'boom'));
    if (mode === 'throttle') return fail(400, errorXml('Sender', 'Throttling', 'Rate exceeded'));
    if (mode === '429') return fail(429, 'Too Many Requests');
    if (mode === 'invalid-token') return fail(400, errorXml('Sender', 'InvalidIdentityToken', 'No OpenIDConnect provider found in your account for https://oidc.escd.invalid'));
    if (mode === 'malformed') return fail(200, '<AssumeRoleWithWebIdentityResponse><not-closed');
    const upstream = httpRequest(target + (req.url ?? '/'), { method: req.method, headers: req.headers }, (answer) => {
      const seconds = proxy.sessionSeconds;
      if (seconds === undefined) {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        const expiration = new Date(Date.now() + seconds * 1000).toISOString();
        const body = Buffer.concat(chunks).toString('utf8').replace(/<Expiration>[^<]*<\/Expiration>/, `<Expiration>${expiration}</Expiration>`);
        const { 'content-length': _length, ...headers } = answer.headers;
        res.writeHead(answer.statusCode ?? 502, { ...headers, 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // Mutable here; callers see `url` read-only.
  const proxy: StsFaultProxy & { url: string } = {
    url: '',
    mode: 'pass',
    sessionSeconds: undefined,
    requests: 0,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
