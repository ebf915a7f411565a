// Wall time of one command, as a tool that runs it sees it: from spawn until it has exited and its
// output is closed. The same function times escd and every baseline, so spawn overhead cancels.
import { spawn } from 'node:child_process';
import { isInterrupted, own } from './resources.js';

export interface Timed {
  readonly ms: number;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function timeCommand(command: string, args: readonly string[], env: Record<string, string>, timeoutMs = 30_000): Promise<Timed> {
  if (isInterrupted()) return Promise.reject(new Error(`interrupted: not running ${command}`));
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    // Registered only so Ctrl-C kills it too; the registry is not on the timed path (after spawn).
    const forget = own(`${command} ${args.join(' ')}`.slice(0, 80), async () => void child.kill('SIGKILL'), () => void child.kill('SIGKILL'));
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      void forget();
      reject(err);
    });
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      clearTimeout(timer);
      void forget();
      resolve({ ms, code, stdout, stderr });
    });
  });
}

/** Runs `command` and fails with its stderr unless it exits 0. */
export async function timeOk(label: string, command: string, args: readonly string[], env: Record<string, string>): Promise<Timed> {
  const t = await timeCommand(command, args, env);
  if (t.code !== 0) throw new Error(`${label} exited ${t.code}: ${t.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  return t;
}
