// Runs the built `escd` with its stderr (and optionally its stdout) on a real pseudo-terminal, as in
// an interactive shell, using python3's pty module. What the terminal received is returned with the
// terminal's \r\n turned back into \n; carriage returns and escape sequences are kept.
import { spawn, spawnSync } from 'node:child_process';
import { CLI } from './cli.js';
import { e2eSkipReason } from './moto.js';

const DRIVER = String.raw`
import json, os, pty, subprocess, sys, tempfile
stdout_tty = sys.argv[1] == 'tty'
argv = sys.argv[2:]
master, slave = pty.openpty()
with tempfile.TemporaryFile() as captured:
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave if stdout_tty else captured, stderr=slave)
    os.close(slave)
    terminal = b''
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every writer of the terminal has closed it
            break
        if not chunk:
            break
        terminal += chunk
    code = proc.wait()
    captured.seek(0)
    piped = captured.read()
sys.stdout.write(json.dumps({'terminal': terminal.decode('utf-8', 'replace'), 'stdout': piped.decode('utf-8', 'replace'), 'code': code}))
`;

/** Why terminal tests cannot run here (undefined: they can). */
export function ptySkipReason(): string | undefined {
  const probe = spawnSync('python3', ['-c', 'import pty'], { timeout: 20_000 });
  return e2eSkipReason(probe.status === 0 ? undefined : 'python3 with the pty module is not available');
}

export interface TerminalRun {
  /** What reached the terminal: stderr, and stdout too with `stdoutOnTerminal`. */
  readonly terminal: string;
  /** stdout, when it was a pipe. */
  readonly stdout: string;
  readonly code: number;
}

export function runCliInTerminal(args: readonly string[], options: { env: Record<string, string>; stdoutOnTerminal?: boolean; timeoutMs?: number }): Promise<TerminalRun> {
  return new Promise((resolve, reject) => {
    const proc = spawn('python3', ['-c', DRIVER, options.stdoutOnTerminal ? 'tty' : 'pipe', process.execPath, CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => proc.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    proc.on('error', reject);
    proc.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`pty driver exited ${code}: ${err}`));
      const run = JSON.parse(out) as TerminalRun;
      resolve({ ...run, terminal: run.terminal.replaceAll('\r\n', '\n') });
    });
  });
}
