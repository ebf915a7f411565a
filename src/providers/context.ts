// Reading the execution context (`context.pulumi.*`) that providers sign tokens for.
import type { Json, JsonObject } from '../esc/value.js';

/** The non-empty string at `path` in the execution context, e.g. ['pulumi', 'organization', 'login']. */
export function contextString(execution: JsonObject, path: readonly string[]): string | undefined {
  let node: Json | undefined = execution;
  for (const key of path) {
    node = typeof node === 'object' && node !== null && !Array.isArray(node) ? node[key] : undefined;
  }
  return typeof node === 'string' && node !== '' ? node : undefined;
}
