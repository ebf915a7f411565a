// How many bytes a process allocates on its JavaScript heap, read from V8's GC trace. Unlike a time it
// does not depend on what else the machine is doing: the same build, load and request give the same
// figure, so it shows a change in the request path that timing on a shared 2-core machine cannot.
import type { TracedNode } from './daemon.js';

/** `--trace-gc-nvp` prints, at each collection, the bytes allocated since the one before it. */
export const TRACE_GC_FLAGS: readonly string[] = ['--trace-gc', '--trace-gc-nvp'];

export interface AllocationCounter extends TracedNode {
  /** Bytes allocated up to the last collection seen. */
  readonly bytes: () => number;
}

/** Sums `allocated=` over the trace lines fed to it (a process's stdout). */
export function allocationCounter(): AllocationCounter {
  let bytes = 0;
  let pending = '';
  return {
    flags: TRACE_GC_FLAGS,
    bytes: () => bytes,
    stdout: (text) => {
      pending += text;
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const match = /\ballocated=(\d+)/.exec(pending.slice(0, newline));
        if (match) bytes += Number(match[1]);
        pending = pending.slice(newline + 1);
      }
    },
  };
}
