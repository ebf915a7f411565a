// Like ssh's StrictModes: escd's own directories and files must be the user's and closed to writes by
// anyone else, or another user could change what escd trusts (config.yaml's STS endpoint, an
// environment, a planted link in place of a log). Checked before the configuration is read.
import { lstatSync, statSync, type Stats } from 'node:fs';
import { ancestorsProblem, ownerName } from '../protocol/socket-trust.js';
import { sep } from 'node:path';
import type { Paths } from './paths.js';

export interface OwnershipProblem {
  readonly path: string;
  /** One line: what is wrong. */
  readonly problem: string;
  /** A command or step the user can take. */
  readonly fix: string;
}

const octal = (mode: number): string => '0' + (mode & 0o777).toString(8).padStart(3, '0');

/** The places whose owner and mode decide what escd does, with what each is. */
function watched(paths: Paths, env: Readonly<Record<string, string | undefined>>): { path: string; what: string; dir: boolean; envVar?: string }[] {
  return [
    { path: paths.configDir, what: env.ESCD_HOME ? 'ESCD_HOME' : 'the configuration directory', dir: true, ...(env.ESCD_HOME ? { envVar: 'ESCD_HOME' } : {}) },
    { path: paths.configFile, what: 'config.yaml', dir: false },
    { path: paths.environmentsDir, what: 'the environments directory', dir: true, ...(env.ESCD_ENVIRONMENTS_DIR ? { envVar: 'ESCD_ENVIRONMENTS_DIR' } : {}) },
    { path: paths.stateDir, what: 'the state directory', dir: true },
    { path: paths.auditLog, what: 'the audit log', dir: false },
    { path: paths.daemonLog, what: 'the daemon log', dir: false },
  ];
}

/** Every problem found (an empty list: all is the user's). Missing paths are fine: escd creates them. */
export function ownershipProblems(paths: Paths, env: Readonly<Record<string, string | undefined>> = process.env, uid = process.getuid?.()): OwnershipProblem[] {
  if (uid === undefined) return [];
  const problems: OwnershipProblem[] = [];
  const seen = new Set<string>();
  for (const { path, what, dir, envVar } of watched(paths, env)) {
    if (seen.has(path)) continue;
    seen.add(path);
    // Inside a directory already refused: that one problem is what to fix (then run escd again).
    if (problems.some((p) => path.startsWith(p.path + sep))) continue;
    let info: Stats;
    try {
      // A directory may be a link (dotfiles); what counts is what it points at. A file must not be.
      info = dir ? statSync(path) : lstatSync(path);
    } catch {
      continue;
    }
    const elsewhere = envVar ? `point ${envVar} at a directory you own` : `move ${path} aside and let escd recreate it`;
    if (!dir && info.isSymbolicLink()) {
      problems.push({ path, problem: `${what} ${path} is a symbolic link`, fix: `\`rm ${path}\` (escd recreates it; a link there may have been planted to make escd write elsewhere)` });
    } else if (info.uid !== uid && info.uid !== 0) {
      problems.push({ path, problem: `${what} ${path} belongs to ${ownerName(info.uid)}, not you`, fix: elsewhere });
    } else if ((info.mode & 0o022) !== 0) {
      problems.push({ path, problem: `other users can write to ${what} ${path} (mode ${octal(info.mode)})`, fix: `\`chmod go-w ${path}\`, then check its contents` });
    }
    if (dir) {
      const above = ancestorsProblem(path, uid);
      // Said once: an ancestor already reported (ESCD_HOME above state/) is not repeated for each child.
      if (above && !problems.some((p) => above.includes(` ${p.path} above`))) problems.push({ path, problem: above.replace(/; run `.*`$/, ''), fix: envVar ? `point ${envVar} at a directory nobody else can replace` : (above.match(/run `(.*)`$/)?.[1] ?? 'use a directory nobody else can replace') });
    }
  }
  return problems;
}

/** The first problem as the one line escd refuses with. */
export function ownershipRefusal(problems: readonly OwnershipProblem[]): string | undefined {
  const first = problems[0];
  return first ? `refusing to use ${first.problem}; fix: ${first.fix}` : undefined;
}
