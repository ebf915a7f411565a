// Reading a secret from standard input: on a terminal, after a prompt and without echo; from a pipe
import { EscdError } from '../core/errors.js';
// or file, all of it (one trailing newline dropped). Never from argv, which other users can read.

export async function readHidden(prompt: string, input: NodeJS.ReadStream = process.stdin): Promise<string> {
  if (!input.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of input) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  }
  process.stderr.write(`${prompt} (input hidden): `);
  input.setRawMode(true);
  try {
    return await new Promise<string>((resolve, reject) => {
      let typed = '';
      const onData = (chunk: Buffer): void => {
        for (const ch of chunk.toString('utf8')) {
          if (ch === '\r' || ch === '\n') return done(() => resolve(typed));
          if (ch === '\u0003') return done(() => reject(new EscdError('cancelled', 'cancelled')));
          if (ch === '\u007f') typed = typed.slice(0, -1);
          else typed += ch;
        }
      };
      const done = (finish: () => void): void => {
        input.off('data', onData);
        input.pause();
        process.stderr.write('\n');
        finish();
      };
      input.on('data', onData);
      input.resume();
    });
  } finally {
    input.setRawMode(false);
  }
}
