// Environment names: `[org/]project/env`, the org defaulting to the configured one. A bare `env`
// means `default/env`, as in the reference's legacy names. Names become file paths, so they are
// validated strictly before any file system call.

export const DEFAULT_PROJECT = 'default';

/** One name segment: starts with a letter or digit; then letters, digits, `-`, `_`, `.`. */
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export interface EnvironmentName {
  readonly org: string;
  readonly project: string;
  readonly env: string;
  /** `project/env`: the name imports, `context.currentEnvironment.name` and the daemon use. */
  readonly name: string;
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

/** Parses `[org/]project/env` (or a bare `env`); rejects anything that could leave the environments directory. */
export function parseEnvironmentName(input: string, org: string): EnvironmentName {
  const shown = quoteName(input);
  if (input.length === 0) throw new EnvironmentNameError('environment name must not be empty');
  const parts = input.split('/');
  if (parts.length > 3) throw new EnvironmentNameError(`invalid environment name ${shown}: expected [org/]project/env`);
  for (const part of parts) {
    if (!isValidSegment(part)) {
      throw new EnvironmentNameError(
        `invalid environment name ${shown}: each part of [org/]project/env must start with a letter or digit and contain only letters, digits, '-', '_' and '.' (at most 100 characters)`,
      );
    }
  }
  const [givenOrg, project, env] = parts.length === 3 ? parts : parts.length === 2 ? [org, ...parts] : [org, DEFAULT_PROJECT, parts[0]];
  if (givenOrg !== org) {
    throw new EnvironmentNameError(`unknown organization "${givenOrg}" in ${shown}: this installation's organization is "${org}" (config.yaml \`org\`)`);
  }
  return { org, project: project!, env: env!, name: `${project}/${env}` };
}
