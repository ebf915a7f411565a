// Whether a process still runs, asked about what a dead one leaves behind: a lock or temporary file
// naming its pid, a run's private directory, a daemon that was asked to stop. Node built-ins only.
import { readFileSync } from 'node:fs';

/**
 * True when no live process has this pid: none exists, or it is a zombie — exited, not yet reaped by
 * its parent — which signal 0 still reaches. A daemon started in the background has init for a
 * parent, and an init that reaps late (this CI's sandbox: 1.5 s) or never (a container whose PID 1 is
 * a plain shell) would keep it "running" after it exited. Another user's live process is not gone.
 */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  // Linux: state Z in /proc/<pid>/stat (the name in parentheses may hold spaces and parentheses itself).
  // Elsewhere signal 0 is all there is to ask.
  let stat = '';
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    // Gone between the two questions, or no /proc: signal 0 answered already.
  }
  return /^\d+ \(.*\) Z /s.test(stat);
}
