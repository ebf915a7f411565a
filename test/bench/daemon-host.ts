// The daemon of measurement 3: exactly what `escd daemon` runs (createBackend + runDaemon, see
// daemon/entry.ts), except that its clock can be moved forward by the bench over the IPC channel
// ({ advanceMs }), so sessions come due for renewal at once instead of after minutes. Timers still
// run on real time; only "now" jumps, as after a suspend. Replies { offsetMs } once applied.
import { createBackend } from '../../daemon/backend.js';
import { runDaemon } from '../../daemon/main.js';
import { systemClock, type Clock } from '../../src/clock/clock.js';
import { resolvePaths } from '../../src/config/paths.js';

export interface HostCommand {
  readonly advanceMs: number;
}

export interface HostReply {
  readonly offsetMs: number;
}

let offsetMs = 0;
const clock: Clock = { now: () => Date.now() + offsetMs, setTimer: (ms, callback) => systemClock.setTimer(ms, callback) };

// The bench went away (crashed, killed): stop as on SIGTERM rather than linger.
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));

process.on('message', (message: HostCommand) => {
  offsetMs += message.advanceMs;
  process.send?.({ offsetMs } satisfies HostReply);
});

async function main(): Promise<number> {
  const paths = resolvePaths(process.env);
  const backend = await createBackend({ env: process.env, clock });
  return runDaemon({ socketPath: paths.socket, auditFile: paths.auditLog, backend, clock, version: 'bench', env: process.env });
}

main().then(
  (code) => process.exit(code), // as `escd daemon` does: keep-alive sockets must not hold a stopped daemon
  (err: unknown) => {
    process.stderr.write(`daemon-host: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
