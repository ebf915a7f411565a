import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodedForms, redact, SecretRedactor } from '../../src/secrets/redact.js';

/** Pushes the chunks through a redactor and returns what came out, plus what came out before the end. */
async function pipe(secrets: string[], chunks: (string | Buffer)[]): Promise<{ output: string; beforeEnd: string }> {
  const redactor = new SecretRedactor(secrets);
  const out: Buffer[] = [];
  redactor.on('data', (d: Buffer) => out.push(d));
  for (const chunk of chunks) redactor.write(chunk);
  await new Promise((r) => setImmediate(r));
  const beforeEnd = Buffer.concat(out).toString('utf8');
  await new Promise<void>((resolve) => redactor.end(resolve));
  return { output: Buffer.concat(out).toString('utf8'), beforeEnd };
}

describe('redact (whole text)', () => {
  it('replaces a secret wherever it occurs', () => {
    expect(redact('key=hunter2 and again hunter2\n', ['hunter2'])).toBe('key=[secret] and again [secret]\n');
  });

  it('ignores secrets shorter than 3 bytes', () => {
    expect(redact('ab a b', ['ab', '', 'a'])).toBe('ab a b');
  });

  it('prefers the longest secret at a position', () => {
    expect(redact('xx abcdef yy', ['abc', 'abcdef'])).toBe('xx [secret] yy');
  });

  it('merges overlapping secrets so that no part of either leaks', () => {
    expect(redact('<abcdef>', ['abcd', 'cdef'])).toBe('<[secret]>');
    expect(redact('aaaa', ['aaa'])).toBe('[secret]');
  });

  it('keeps adjacent secrets apart', () => {
    expect(redact('abcdef', ['abc', 'def'])).toBe('[secret][secret]');
  });

  it('handles multi-byte characters', () => {
    expect(redact('mot de passe: pâté€ fin', ['pâté€'])).toBe('mot de passe: [secret] fin');
  });
});

describe('SecretRedactor (streaming)', () => {
  it('redacts a secret written whole', async () => {
    expect((await pipe(['hunter2'], ['pw: hunter2\n'])).output).toBe('pw: [secret]\n');
  });

  it('redacts a secret split across two writes', async () => {
    expect((await pipe(['hunter2'], ['pw: hun', 'ter2\n'])).output).toBe('pw: [secret]\n');
  });

  it('redacts a secret split byte by byte, including inside a UTF-8 character', async () => {
    const bytes = Buffer.from('<pâté€>', 'utf8');
    const chunks = [...bytes].map((b) => Buffer.from([b]));
    expect((await pipe(['pâté€'], chunks)).output).toBe('<[secret]>');
  });

  it('holds back only a possible secret prefix and releases complete lines at once', async () => {
    const { beforeEnd, output } = await pipe(['hunter2'], ['line one\nstatus: hun']);
    expect(beforeEnd).toBe('line one\nstatus: ');
    expect(output).toBe('line one\nstatus: hun');
  });

  it('releases held bytes as soon as they can no longer start a secret', async () => {
    const { beforeEnd } = await pipe(['hunter2'], ['hun', 'gry\n']);
    expect(beforeEnd).toBe('hungry\n');
  });

  it('redacts a secret that contains a newline, split at the newline', async () => {
    const key = '-----BEGIN KEY-----\nMIIEabc\n-----END KEY-----';
    const { output } = await pipe([key], ['cat key:\n-----BEGIN KEY-----\n', 'MIIEabc\n', '-----END KEY-----\ndone\n']);
    expect(output).toBe('cat key:\n[secret]\ndone\n');
  });

  it('waits for the longer of two secrets sharing a prefix', async () => {
    expect((await pipe(['abc', 'abcdef'], ['x abc', 'def y'])).output).toBe('x [secret] y');
    expect((await pipe(['abc', 'abcdef'], ['x abc', 'de y'])).output).toBe('x [secret]de y');
  });

  it('merges overlapping secrets across writes', async () => {
    expect((await pipe(['abcd', 'cdef'], ['<abc', 'def>'])).output).toBe('<[secret]>');
  });

  it('passes everything through when there is nothing to redact', async () => {
    expect((await pipe([], ['a', 'b\n'])).beforeEnd).toBe('ab\n');
  });

  it('gives the same result as whole-text redaction however the output is split', async () => {
    const alphabet = fc.constantFrom('a', 'b', 'c', '\n', 'é');
    const text = fc.array(alphabet, { maxLength: 40 }).map((cs) => cs.join(''));
    const secret = fc.array(alphabet, { minLength: 3, maxLength: 6 }).map((cs) => cs.join(''));
    await fc.assert(
      fc.asyncProperty(text, fc.array(secret, { minLength: 1, maxLength: 3 }), fc.array(fc.nat(60), { maxLength: 6 }), async (t, secrets, cuts) => {
        const bytes = Buffer.from(t, 'utf8');
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y);
        const chunks: Buffer[] = [];
        let prev = 0;
        for (const p of [...points, bytes.length]) {
          chunks.push(bytes.subarray(prev, p));
          prev = p;
        }
        expect((await pipe(secrets, chunks)).output).toBe(redact(t, secrets));
      }),
      { numRuns: 300 },
    );
  });
});

describe('encoded forms of a secret', () => {
  const secret = 'p@ss/w+rd"with\\quote\nline';
  it('are redacted in base64 (standard and URL-safe, padded or not, inside longer base64) and JSON-escaped', () => {
    const b64 = Buffer.from(secret).toString('base64');
    const b64url = Buffer.from(secret).toString('base64url');
    const longer = Buffer.from(secret + ' and more text after it').toString('base64');
    const json = JSON.stringify({ password: secret });
    const out = redact(`std ${b64}\nurl ${b64url}\nlonger ${longer}\njson ${json}\n`, [secret]);
    expect(out).not.toContain(b64.replace(/=+$/, ''));
    expect(out).not.toContain(b64url);
    expect(out).not.toContain(longer.slice(0, 20));
    expect(out).not.toContain(JSON.stringify(secret).slice(1, -1));
    expect(out).toContain('json {"password":"[secret]"}');
  });

  it('are not used for short secrets (they would match by chance)', () => {
    expect(encodedForms('abc1234')).toEqual([]);
    expect(encodedForms('abcd12345').length).toBeGreaterThan(0);
  });

  it('stream: a base64 form split across writes is redacted', async () => {
    const b64 = Buffer.from(secret).toString('base64');
    expect((await pipe([secret], [`x ${b64.slice(0, 7)}`, `${b64.slice(7)} y`])).output).toBe('x [secret] y');
  });
});
