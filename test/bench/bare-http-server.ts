// The baseline of the endpoint rows (section 7): plain node:http on 127.0.0.1 answering every request
// with a fixed body (escd's own answer, so the bytes are the same): what any Node.js HTTP server costs
// before checking a Host header or a grant, or looking anything up.
// Run: node dist/test/bench/bare-http-server.js <answer-file>; prints the port once listening.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const [answerFile] = process.argv.slice(2);
if (!answerFile) {
  process.stderr.write('usage: bare-http-server.js <answer-file>\n');
  process.exit(2);
}
const answer = readFileSync(answerFile, 'utf8');

const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(answer) });
  res.end(answer);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
const stop = (): void => {
  server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
