// Provider input checks shared by providers and rotators: what a JSON schema in the reference's
// dialect cannot report (it rejects an unexpected key silently), and reading known inputs. Pure.
import { suggestKey } from '../esc/suggest.js';
import { isArray, isObject, type EscValue } from '../esc/value.js';
import type { ProviderIssue, Schema } from '../esc/provider.js';

type Path = readonly (string | number)[];

function subschema(schema: Schema | undefined, keyword: string): Schema | undefined {
  if (schema === undefined || typeof schema === 'boolean') return undefined;
  const sub = schema[keyword];
  return typeof sub === 'boolean' || (typeof sub === 'object' && sub !== null && !Array.isArray(sub)) ? (sub as Schema) : undefined;
}

function declared(schema: Schema | undefined): Record<string, Schema> | undefined {
  const props = subschema(schema, 'properties');
  return typeof props === 'object' ? (props as Record<string, Schema>) : undefined;
}

/**
 * Every key of a known object that its schema neither declares (`properties`) nor allows
 * (`additionalProperties`), as "unknown property" with a suggestion; recurses into declared
 * properties, `additionalProperties` maps and `items`.
 */
export function unknownKeys(schema: Schema | undefined, value: EscValue, path: Path = []): ProviderIssue[] {
  if (value.unknown) return [];
  const out: ProviderIssue[] = [];
  if (isObject(value.data)) {
    const props = declared(schema);
    const additional = subschema(schema, 'additionalProperties');
    for (const [key, item] of value.data) {
      const own = props?.[key];
      if (own !== undefined) out.push(...unknownKeys(own, item, [...path, key]));
      else if (additional !== undefined) out.push(...unknownKeys(additional, item, [...path, key]));
      else if (props !== undefined) {
        const names = Object.keys(props);
        const guess = suggestKey(key, names);
        out.push({ path: [...path, key], message: `unknown property "${key}"${guess ? `; did you mean "${guess}"?` : ` (expected ${names.join(', ')})`}` });
      }
    }
  } else if (isArray(value.data)) {
    const items = subschema(schema, 'items');
    value.data.forEach((item, i) => out.push(...unknownKeys(items, item, [...path, i])));
  }
  return out;
}

/** The known string at `key` of an object value (undefined when absent, null, unknown or not a string). */
export function stringAt(value: EscValue | undefined, key: string): string | undefined {
  const item = value !== undefined && isObject(value.data) ? value.data.get(key) : undefined;
  return item !== undefined && !item.unknown && typeof item.data === 'string' ? item.data : undefined;
}

export function valueAt(value: EscValue | undefined, key: string): EscValue | undefined {
  return value !== undefined && isObject(value.data) ? value.data.get(key) : undefined;
}

/** The entries of a known object value (an empty list otherwise). */
export function entriesOf(value: EscValue | undefined): [string, EscValue][] {
  return value !== undefined && !value.unknown && isObject(value.data) ? [...value.data] : [];
}
