// Projection of `environmentVariables` and `files` (§5.10), used by `escd run`, `escd open
// --format dotenv|shell` and the daemon.
import { EscNumber, isArray, isObject, type EscValue } from './value.js';

export interface ProjectedValue {
  readonly value: string;
  readonly secret: boolean;
}

export type ProjectedSection = Readonly<Record<string, ProjectedValue>>;

export interface Projection {
  /** Variable name → value. */
  readonly environmentVariables: ProjectedSection;
  /** Variable name → text of the temporary file whose path the variable receives. */
  readonly files: ProjectedSection;
}

/** A scalar as text (null → "", numbers as their text, unknown → "[unknown]"); undefined for lists and objects. */
function scalarText(value: EscValue): string | undefined {
  if (value.unknown) return '[unknown]';
  const { data } = value;
  if (data === null) return '';
  if (typeof data === 'boolean') return data ? 'true' : 'false';
  if (data instanceof EscNumber) return data.text;
  if (typeof data === 'string') return data;
  return undefined;
}

function projectSection(values: EscValue | undefined, key: string): ProjectedSection {
  const out: Record<string, ProjectedValue> = {};
  if (values === undefined || values.unknown || !isObject(values.data)) return out;
  const section = values.data.get(key);
  if (section === undefined || section.unknown || !isObject(section.data)) return out;
  for (const name of [...section.data.keys()].sort()) {
    const entry = section.data.get(name)!;
    if (!entry.unknown && (isArray(entry.data) || isObject(entry.data))) continue;
    const text = scalarText(entry);
    if (text === undefined) continue;
    // A secret section makes every entry in it secret.
    // defineProperty: names such as `__proto__` are ordinary keys here.
    Object.defineProperty(out, name, {
      value: { value: text, secret: entry.secret || section.secret || values.secret },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** Projects the evaluated `values` of an environment. */
export function projectEnvironment(values: EscValue | undefined): Projection {
  return { environmentVariables: projectSection(values, 'environmentVariables'), files: projectSection(values, 'files') };
}

/** Every secret value of the projection (for output filtering). */
export function projectedSecrets(projection: Projection): string[] {
  const out: string[] = [];
  for (const section of [projection.environmentVariables, projection.files]) {
    for (const v of Object.values(section)) if (v.secret && v.value !== '') out.push(v.value);
  }
  return out;
}
