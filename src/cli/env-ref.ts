// Environment names on the command line as the reference CLI reads them: a two-part `a/b` may mean
// project `a` of the default org or `a/default/b`; when `a` also names an org, the choice is
// printed as the reference's warning. Versions are refused by the verbs that take none.
import type { Runtime } from '../runtime/runtime.js';
import { fullName } from '../store/names.js';
import type { Resolution, StoredRef } from '../store/store.js';
import { EscdError } from '../core/errors.js';

function warnAmbiguous(input: string, resolution: Resolution): StoredRef {
  if (resolution.ambiguous) {
    process.stderr.write(
      `warning: environment reference "${input}" is ambiguous (resolved to ${fullName(resolution.ref)}). Use <org>/<project>/<environment> instead.\n`,
    );
  }
  return resolution.ref;
}

/** The environment an existing-environment verb (get, edit, set, history, …) operates on. */
export async function existingRef(runtime: Runtime, input: string): Promise<StoredRef> {
  return warnAmbiguous(input, await runtime.store.resolveExisting(input));
}

/** The environment `init` (or a clone's destination) creates. */
export async function newRef(runtime: Runtime, input: string): Promise<StoredRef> {
  return warnAmbiguous(input, await runtime.store.resolveNew(input));
}

/** `the <verb> command does not accept versions`, as the reference says it. */
export function refuseVersion(verb: string, input: string, runtime: Runtime): void {
  if (runtime.store.resolve(input).version !== undefined) throw new EscdError('bad_request', `the ${verb} command does not accept versions`);
}

/** cobra's argument-count messages, for verbs whose arguments commander leaves to us. */
export function checkArgCount(args: readonly string[], min: number, max = min): void {
  if (args.length >= min && args.length <= max) return;
  const accepts = min === max ? `accepts ${min} arg(s)` : `accepts between ${min} and ${max} arg(s)`;
  throw new EscdError('usage', `${accepts}, received ${args.length}`);
}
