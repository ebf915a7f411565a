// Environment names: `[org/]project/env[@version]`, as the reference CLI reads them. A bare `env`
// means `default/env` in the default org (the reference's legacy names); a three-part name names its
// org; a two-part name is `project/env` of the default org unless the store says otherwise (see
// EnvironmentStore.resolveExisting / resolveNew). Names become file paths, so they are validated
// strictly before any file system call.

import { suggestKey } from '../esc/suggest.js';

export const DEFAULT_PROJECT = 'default';

/** One name segment: starts with a letter or digit; then letters, digits, `-`, `_`, `.`. */
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
/** A version after `@` (or `:`): a revision number, `latest`, or a revision tag name. */
const VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export interface EnvironmentName {
  readonly org: string;
  readonly project: string;
  readonly env: string;
  /**
   * `project/env` for the default org, `org/project/env` for another: the key the daemon, the
   * cache and `context.currentEnvironment.name` use.
   */
  readonly name: string;
}

/** A name as written on a command line or in an import: a name plus an optional version. */
export interface EnvironmentRef extends EnvironmentName {
  /** What followed `@`: a revision number, `latest` or a revision tag; undefined when none was given. */
  readonly version?: string;
  /** `a/b`: the reference reads it as project `a` of the default org, or as `a/default/b` (org `a`). */
  readonly twoPart: boolean;
}

export class EnvironmentNameError extends Error {}

/** A name as it appears in a message: quoted, and cut short (a 100 KB argument must not make a 100 KB error line). */
export function quoteName(input: string): string {
  const MAX = 120;
  return input.length <= MAX ? JSON.stringify(input) : `${JSON.stringify(input.slice(0, MAX))}… (${input.length} characters)`;
}

export function isValidSegment(segment: string): boolean {
  return SEGMENT.test(segment);
}

/** `org/project/env`, always with the org. */
export function fullName(name: EnvironmentName): string {
  return `${name.org}/${name.project}/${name.env}`;
}

/** Builds a name from its parts; `name` drops the org when it is the default one. */
export function environmentName(org: string, project: string, env: string, defaultOrg: string): EnvironmentName {
  return { org, project, env, name: org === defaultOrg ? `${project}/${env}` : `${org}/${project}/${env}` };
}

/** Parses `[org/]project/env[@version]` (or a bare `env`; `:` may stand for `@`); rejects anything that could leave the store. */
export function parseEnvironmentRef(input: string, defaultOrg: string): EnvironmentRef {
  const shown = quoteName(input);
  if (input.length === 0) throw new EnvironmentNameError('environment name must not be empty');
  const parts = input.split('/');
  if (parts.length > 3) throw new EnvironmentNameError(`invalid environment name ${shown}: expected [org/]project/env`);
  const last = parts[parts.length - 1]!;
  const cut = last.includes('@') ? last.indexOf('@') : last.indexOf(':');
  let version: string | undefined;
  if (cut >= 0) {
    version = last.slice(cut + 1);
    parts[parts.length - 1] = last.slice(0, cut);
    if (!VERSION.test(version)) throw new EnvironmentNameError(`invalid version ${quoteName(version)} in ${shown}: expected a revision number or a tag`);
  }
  for (const part of parts) {
    if (!isValidSegment(part)) {
      throw new EnvironmentNameError(
        `invalid environment name ${shown}: each part of [org/]project/env must start with a letter or digit and contain only letters, digits, '-', '_' and '.' (at most 100 characters)`,
      );
    }
  }
  const [org, project, env] = parts.length === 3 ? parts : parts.length === 2 ? [defaultOrg, ...parts] : [defaultOrg, DEFAULT_PROJECT, parts[0]];
  return { ...environmentName(org!, project!, env!, defaultOrg), ...(version !== undefined ? { version } : {}), twoPart: parts.length === 2 };
}

/** Parses `[org/]project/env` without a version (the name of an environment, not of one of its revisions). */
export function parseEnvironmentName(input: string, defaultOrg: string): EnvironmentName {
  const ref = parseEnvironmentRef(input, defaultOrg);
  if (ref.version !== undefined) throw new EnvironmentNameError(`invalid environment name ${quoteName(input)}: a version (@${ref.version}) is not allowed here`);
  return environmentName(ref.org, ref.project, ref.env, defaultOrg);
}

/** "; did you mean proj/dev?" for a name that does not exist, when one of `known` is close; else "". */
export function didYouMean(name: string, known: Iterable<string>): string {
  const guess = suggestKey(name, known);
  return guess === undefined || guess === name ? '' : `; did you mean ${guess}?`;
}
