// The baseline server of measurements 2 and 6: plain node:net on a Unix socket answering every request
// line with a fixed line (escd's own answer, so the bytes are the same). It is what any Node.js daemon
// costs before doing any work: no parsing, validation, cache lookup or audit.
// Run: node dist/test/bench/bare-server.js <socket> <answer-file>; prints "listening" once ready.
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';

const [socketPath, answerFile] = process.argv.slice(2);
if (!socketPath || !answerFile) {
  process.stderr.write('usage: bare-server.js <socket> <answer-file>\n');
  process.exit(2);
}
const answer = readFileSync(answerFile, 'utf8');

const server = createServer((socket) => {
  let pending = '';
  socket.setEncoding('utf8');
  socket.on('error', () => {});
  socket.on('data', (chunk: string) => {
    pending += chunk;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      pending = pending.slice(nl + 1);
      socket.write(answer);
    }
  });
});
rmSync(socketPath, { force: true });
server.listen(socketPath, () => process.stdout.write('listening\n'));
const stop = (): void => {
  server.close();
  rmSync(socketPath, { force: true });
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
