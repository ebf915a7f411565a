// The `project/env` names under an environments directory, read synchronously: only for the "did you
// mean" of a name that does not exist (an error path), from the store and from the daemon's cache.
import { readdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { isValidSegment } from './names.js';

const EXTENSION = '.yaml';

export function knownEnvironmentNames(dir: string): string[] {
  const entries = (d: string): Dirent[] => {
    try {
      return readdirSync(d, { withFileTypes: true });
    } catch {
      return [];
    }
  };
  const names: string[] = [];
  for (const project of entries(dir)) {
    if (!project.isDirectory() || !isValidSegment(project.name)) continue;
    for (const file of entries(join(dir, project.name))) {
      const env = file.name.slice(0, -EXTENSION.length);
      if (file.isFile() && file.name.endsWith(EXTENSION) && isValidSegment(env)) names.push(`${project.name}/${env}`);
    }
  }
  return names;
}
