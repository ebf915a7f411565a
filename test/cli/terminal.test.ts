// Colour and progress only on a terminal (never piped or with TERM=dumb); NO_COLOR turns off colour only.
import { describe, expect, it } from 'vitest';
import { terminalFor, withProgress } from '../../src/cli/terminal.js';

function fakeStream(isTTY: boolean): NodeJS.WriteStream & { written: string } {
  const stream = { isTTY, written: '', write(chunk: string) {
    stream.written += chunk;
    return true;
  } };
  return stream as unknown as NodeJS.WriteStream & { written: string };
}

describe('terminal conventions', () => {
  it('colours only a terminal without NO_COLOR', () => {
    expect(terminalFor(fakeStream(true), {}).green('ok')).toBe('\u001b[32mok\u001b[0m');
    expect(terminalFor(fakeStream(true), { NO_COLOR: '1' }).green('ok')).toBe('ok');
    expect(terminalFor(fakeStream(false), {}).green('ok')).toBe('ok');
    expect(terminalFor(fakeStream(true), { TERM: 'dumb' }).interactive).toBe(false);
  });

  it('draws a spinner on a terminal and clears its line; prints nothing when piped', async () => {
    const tty = fakeStream(true);
    const slow = () => new Promise<string>((resolve) => setTimeout(() => resolve('done'), 200));
    expect(await withProgress('working…', slow, tty, { NO_COLOR: '1' })).toBe('done');
    expect(tty.written).toMatch(/^\r. working…\u001b\[K/);
    expect(tty.written.match(/working…/g)!.length).toBeGreaterThan(1);
    expect(tty.written.endsWith('\r\u001b[K')).toBe(true);

    const pipe = fakeStream(false);
    expect(await withProgress('working…', slow, pipe, {})).toBe('done');
    expect(pipe.written).toBe('');
  });

  it('cuts a label wider than the terminal (a wrapped line could not be cleared); nothing with TERM=dumb', async () => {
    const narrow = Object.assign(fakeStream(true), { columns: 20 });
    await withProgress('opening a-very-long-project-name/and-env…', async () => undefined, narrow, {});
    const [frame] = narrow.written.split('\u001b[K');
    expect(frame).toBe('\r⠋ opening a-very-l…');
    expect([...frame!.slice(1)].length).toBeLessThan(20);

    const dumb = fakeStream(true);
    await withProgress('working…', async () => undefined, dumb, { TERM: 'dumb' });
    expect(dumb.written).toBe('');
  });

  it('clears the line when the work fails', async () => {
    const tty = fakeStream(true);
    await expect(withProgress('working…', () => Promise.reject(new Error('boom')), tty, {})).rejects.toThrow('boom');
    expect(tty.written.endsWith('\r\u001b[K')).toBe(true);
  });
});
