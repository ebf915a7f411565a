// Revisions and tags printed as the reference CLI prints them (env_version.go, env_tag.go), times in
// Go's time.String layout (`2006-01-02 15:04:05 -0700 MST`), in UTC with --utc, else local time.
import type { EnvironmentTag, History, Person, RevisionRecord, RevisionTag } from '../../store/revisions.js';
import { LATEST } from '../../store/revisions.js';

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Go's `time.Time.String()`; an unknown time is Go's zero time. */
export function goTime(iso: string | undefined, utc: boolean): string {
  if (iso === undefined) return '0001-01-01 00:00:00 +0000 UTC';
  const date = new Date(iso);
  const offsetMin = utc ? 0 : -date.getTimezoneOffset();
  const shifted = new Date(date.getTime() + offsetMin * 60_000);
  const ms = shifted.getUTCMilliseconds();
  const day = `${pad(shifted.getUTCFullYear(), 4)}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())}`;
  const time = `${pad(shifted.getUTCHours())}:${pad(shifted.getUTCMinutes())}:${pad(shifted.getUTCSeconds())}${ms ? `.${String(ms).padStart(3, '0').replace(/0+$/, '')}` : ''}`;
  const sign = offsetMin < 0 ? '-' : '+';
  const offset = `${sign}${pad(Math.floor(Math.abs(offsetMin) / 60))}${pad(Math.abs(offsetMin) % 60)}`;
  return `${day} ${time} ${offset} ${utc ? 'UTC' : zoneName(date)}`;
}

function zoneName(date: Date): string {
  const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(date).find((p) => p.type === 'timeZoneName')?.value;
  return part === undefined || part === 'GMT' ? 'UTC' : part;
}

const who = (person: Person | undefined): string => (person ? `${person.name} <${person.login}>` : '<unknown>');

/** The revision tags (other than latest) on each revision, sorted by name. */
export function tagsByRevision(history: History): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const [name, tag] of Object.entries(history.revisionTags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (name === LATEST) continue;
    out.set(tag.revision, [...(out.get(tag.revision) ?? []), name]);
  }
  return out;
}

export function formatRevision(r: RevisionRecord, tags: readonly string[], utc: boolean): string {
  let head = `revision ${r.number}`;
  if (r.retracted) head += ' (retracted)';
  else if (tags.length === 1) head += ` (tag: ${tags[0]})`;
  else if (tags.length > 1) head += ` (tags: ${tags.join(', ')})`;
  const lines = [head, `Author: ${who(r.by)}`, `Date:   ${goTime(r.at, utc)}`];
  if (r.retracted) {
    lines.push('', `    Retracted by ${who(r.retracted.by)} at ${goTime(r.retracted.at, utc)} and replaced with revision ${r.retracted.replacement}.`);
    if (r.retracted.reason) lines.push('', ...r.retracted.reason.split('\n').map((l) => `    ${l}`));
  }
  return lines.join('\n') + '\n';
}

export function formatRevisionTag(name: string, tag: RevisionTag, utc: boolean): string {
  return `${name}\nRevision ${tag.revision}\nLast updated at ${goTime(tag.at, utc)} by ${who(tag.by)}\n`;
}

export function formatEnvironmentTag(name: string, tag: EnvironmentTag, utc: boolean): string {
  return `Name: ${name}\nValue: ${tag.value}\nLast updated at ${goTime(tag.modified, utc)} by ${who(tag.editor)}\n`;
}

/** A box-drawn table as the reference's `version tag ls` prints it; `right` marks right-aligned columns. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], right: ReadonlySet<number> = new Set()): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const rule = (l: string, m: string, r: string): string => l + widths.map((w) => '─'.repeat(w + 2)).join(m) + r;
  const line = (cells: readonly string[], align: boolean): string =>
    '│' + widths.map((w, i) => ' ' + (align && right.has(i) ? (cells[i] ?? '').padStart(w) : (cells[i] ?? '').padEnd(w)) + ' ').join('│') + '│';
  return [rule('┌', '┬', '┐'), line(header, false), rule('├', '┼', '┤'), ...rows.map((r) => line(r, true)), rule('└', '┴', '┘')].join('\n') + '\n';
}
