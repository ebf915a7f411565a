// processGone: what a dead process left behind (a lock, a temporary file, a run's directory) may go,
// and `escd stop` knows its daemon has exited, even before init reaps it.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { processGone } from '../../src/core/process.js';

const state = (pid: number): string => {
  try {
    return /^\d+ \(.*\) (\S) /s.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1] ?? '';
  } catch {
    return '';
  }
};

describe('processGone', () => {
  it('is false for a live process, true once it has exited and was reaped', async () => {
    expect(processGone(process.pid)).toBe(false);
    const child = spawn(process.execPath, ['-e', '0']);
    const pid = child.pid!;
    await once(child, 'exit'); // Node reaps its own children
    expect(processGone(pid)).toBe(true);
  });

  it.skipIf(process.platform !== 'linux')('is true for a zombie (exited, not reaped), which signal 0 still reaches', async () => {
    // `sleep 0` is a child of the shell, which then becomes `sleep 30` and never waits for it.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [line] = (await once(parent.stdout!, 'data')) as [Buffer];
      const zombie = Number(line.toString().trim());
      expect(Number.isInteger(zombie) && zombie > 0).toBe(true);
      // Wait for the event itself: the kernel marks the exited child Z.
      while (state(zombie) !== 'Z') await new Promise((resolve) => setImmediate(resolve));
      expect(() => process.kill(zombie, 0)).not.toThrow();
      expect(processGone(zombie)).toBe(true);
    } finally {
      parent.kill();
    }
  });
});
