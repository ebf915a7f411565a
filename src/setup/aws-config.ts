// Adding or updating one profile's `credential_process` in an AWS config file, as text: every other
// line (comments, blank lines, other profiles, line endings) stays byte for byte. INI as botocore
// reads it (configparser): `[profile NAME]` or `[default]`, `key = value`, indented continuation lines.
import { EscdError } from '../core/errors.js';

export interface ProfileEdit {
  readonly text: string;
  readonly action: 'added' | 'updated' | 'unchanged';
}

export interface ProfileRemoval {
  readonly text: string;
  /** `removed`: the whole section went; `emptied`: escd's lines went, the user's other settings stayed. */
  readonly action: 'removed' | 'emptied' | 'absent';
}

/**
 * Keys that give a profile credentials botocore prefers over (or mixes up with) credential_process:
 * the assume-role, web-identity and SSO providers come before custom-process in its chain.
 */
const CONFLICTING_KEYS = [
  'aws_access_key_id',
  'aws_secret_access_key',
  'aws_session_token',
  'role_arn',
  'source_profile',
  'credential_source',
  'web_identity_token_file',
  'sso_session',
  'sso_start_url',
  'sso_account_id',
  'sso_role_name',
];

/** Profile names both botocore and the JavaScript SDK read back (the latter's section-name rule). */
const PROFILE_NAME = /^[\w@+.%:/-]+$/;

export function checkProfileName(profile: string): void {
  if (!PROFILE_NAME.test(profile)) {
    throw new EscdError('bad_request', `invalid profile name ${JSON.stringify(profile)}: use letters, digits and - _ . @ + % : /`);
  }
}

/** The section header for `profile` in ~/.aws/config. */
export function sectionHeader(profile: string): string {
  return profile === 'default' ? '[default]' : `[profile ${profile}]`;
}

/** The text `escd setup aws --print` shows and a new section gets. */
export function profileSnippet(profile: string, command: string, eol = '\n', region?: string): string {
  return `${sectionHeader(profile)}${eol}credential_process = ${command}${eol}${region ? `region = ${region}${eol}` : ''}`;
}

/**
 * Why botocore cannot read the file, or [] when it can: it reads it with Python's configparser in
 * strict mode, where a section or a key given twice is an error (`ConfigParseError` for every `aws`
 * command), e.g. after a snippet was appended twice.
 */
export function configParseProblems(text: string): string[] {
  const problems: string[] = [];
  const sections = new Map<string, number>();
  let section: string | undefined;
  let keys = new Map<string, number>();
  splitLines(text).forEach(({ body }, i) => {
    const line = i + 1;
    const name = headerName(body);
    if (name !== undefined) {
      const first = sections.get(name);
      if (first !== undefined) problems.push(`[${name}] appears twice (lines ${first} and ${line})`);
      else sections.set(name, line);
      section = name;
      keys = new Map();
      return;
    }
    const key = keyOf(body);
    if (key === undefined || section === undefined) return;
    const first = keys.get(key.trim());
    if (first !== undefined) problems.push(`'${key.trim()}' appears twice in [${section}] (lines ${first} and ${line})`);
    else keys.set(key.trim(), line);
  });
  return problems;
}

/** Refuses to edit a file the AWS CLI cannot read: the edit would hide the problem, not fix it. */
function checkParses(text: string, file: string): void {
  const problems = configParseProblems(text);
  if (problems.length > 0) {
    throw new EscdError('bad_request', `${file}: ${problems.join('; ')}, so the AWS CLI cannot read it (ConfigParseError): remove the extra lines, then run escd setup again`);
  }
}

interface Line {
  /** Without its line ending. */
  readonly body: string;
  readonly eol: string;
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  const re = /([^\r\n]*)(\r\n|\n|\r|$)/g;
  for (let m = re.exec(text); m && m.index < text.length; m = re.exec(text)) {
    lines.push({ body: m[1]!, eol: m[2]! });
    if (m[2] === '') break;
  }
  return lines;
}

const joinLines = (lines: readonly Line[]): string => lines.map((l) => l.body + l.eol).join('');

/** The section name of a header line, or undefined when the line is not one. */
function headerName(body: string): string | undefined {
  const m = /^\s*\[([^\]]*)\]\s*(?:[#;].*)?$/.exec(body);
  return m ? m[1]!.trim() : undefined;
}

function isProfileSection(name: string, profile: string): boolean {
  if (profile === 'default' && name === 'default') return true;
  const m = /^profile\s+(.+)$/.exec(name);
  return m !== null && m[1]!.trim() === profile;
}

/** A top-level `key = value` (or `key: value`) line: not indented, not a comment. Keys compare lowercased, as configparser does. */
function keyOf(body: string): string | undefined {
  if (/^\s/.test(body)) return undefined;
  const m = /^([^=:#;\s][^=:]*?)\s*[=:]/.exec(body);
  return m ? m[1]!.toLowerCase() : undefined;
}

const isContinuation = (body: string): boolean => /^\s+\S/.test(body);

/**
 * Sets `credential_process = command` in the profile's section, adding the section at the end when
 * there is none. Refuses a profile that already gets credentials another way (one line naming the key
 * and line) so that nothing silently shadows the shim.
 */
export function upsertCredentialProcess(text: string, profile: string, command: string, file = 'the AWS config file', region?: string): ProfileEdit {
  checkProfileName(profile);
  checkParses(text, file);
  const lines = splitLines(text);
  const eol = /\r\n/.test(text) ? '\r\n' : '\n';
  const newLine = `credential_process = ${command}`;

  const start = lines.findIndex((l) => {
    const name = headerName(l.body);
    return name !== undefined && isProfileSection(name, profile);
  });
  if (start < 0) {
    let prefix = text;
    if (prefix.length > 0 && !/[\r\n]$/.test(prefix)) prefix += eol;
    const endsWithBlankLine = /(\r\n|\n|\r)[ \t]*$/.test(prefix.replace(/(\r\n|\n|\r)$/, ''));
    if (prefix.trim().length > 0 && !endsWithBlankLine) prefix += eol;
    return { text: prefix + profileSnippet(profile, command, eol, region), action: 'added' };
  }

  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    if (headerName(lines[i]!.body) !== undefined) {
      end = i;
      break;
    }
  }
  const conflicts: string[] = [];
  let existing = -1;
  let hasRegion = false;
  for (let i = start + 1; i < end; i++) {
    const key = keyOf(lines[i]!.body);
    if (key === 'credential_process' && existing < 0) existing = i;
    else if (key === 'region') hasRegion = true;
    else if (key !== undefined && CONFLICTING_KEYS.includes(key)) conflicts.push(`${key} (line ${i + 1})`);
  }
  // A region the profile already has is the user's choice: only a missing one is added.
  const regionLine: Line[] = region && !hasRegion ? [{ body: `region = ${region}`, eol }] : [];
  if (conflicts.length > 0) {
    throw new EscdError(
      'bad_request',
      `profile '${profile}' in ${file} already gets credentials from ${conflicts.join(', ')}; remove ${conflicts.length === 1 ? 'it' : 'them'} or choose another name with --profile`,
    );
  }

  const out = [...lines];
  if (existing >= 0) {
    let last = existing;
    while (last + 1 < end && isContinuation(out[last + 1]!.body)) last++;
    const replaced = { body: newLine, eol: out[last]!.eol || eol };
    const before = joinLines(out.slice(existing, last + 1));
    out.splice(existing, last - existing + 1, replaced, ...regionLine);
    const unchanged = last === existing && before === newLine + out[existing]!.eol && regionLine.length === 0;
    return { text: joinLines(out), action: unchanged ? 'unchanged' : 'updated' };
  }
  // No credential_process yet: add it after the section's last setting (comments below it belong to what follows).
  let at = start;
  for (let i = start + 1; i < end; i++) if (keyOf(lines[i]!.body) !== undefined || isContinuation(lines[i]!.body)) at = i;
  if (out[at]!.eol === '') out[at] = { body: out[at]!.body, eol };
  out.splice(at + 1, 0, { body: newLine, eol }, ...regionLine);
  return { text: joinLines(out), action: 'updated' };
}

/**
 * Undoes `escd setup aws`: its credential_process line and the region line setup puts right after it,
 * then the section itself when nothing else is left in it (a region the user had stays). Refuses a
 * profile whose credential_process is not escd's (`isEscd` decides), so nothing of someone else's goes.
 */
export function removeCredentialProcess(text: string, profile: string, isEscd: (command: string) => boolean, file = 'the AWS config file'): ProfileRemoval {
  checkProfileName(profile);
  checkParses(text, file);
  const lines = splitLines(text);
  const start = lines.findIndex((l) => {
    const name = headerName(l.body);
    return name !== undefined && isProfileSection(name, profile);
  });
  if (start < 0) return { text, action: 'absent' };
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    if (headerName(lines[i]!.body) !== undefined) {
      end = i;
      break;
    }
  }
  const at = lines.findIndex((l, i) => i > start && i < end && keyOf(l.body) === 'credential_process');
  if (at < 0) return { text, action: 'absent' };
  const command = lines[at]!.body.replace(/^[^=:]*[=:]\s*/, '');
  if (!isEscd(command)) throw new EscdError('bad_request', `profile '${profile}' in ${file} runs ${command}, not escd's shim; left as it is`);
  let last = at;
  while (last + 1 < end && isContinuation(lines[last + 1]!.body)) last++;
  if (last + 1 < end && keyOf(lines[last + 1]!.body) === 'region') last++;
  const out = [...lines];
  out.splice(at, last - at + 1);
  end -= last - at + 1;
  const settingsLeft = out.slice(start + 1, end).some((l) => keyOf(l.body) !== undefined);
  if (settingsLeft) return { text: joinLines(out), action: 'emptied' };
  // The whole section, and the blank line that separated it from the one before.
  let from = start;
  if (from > 0 && out[from - 1]!.body.trim() === '') from--;
  out.splice(from, end - from);
  return { text: joinLines(out), action: 'removed' };
}

/** True when an AWS shared credentials file has static keys for `profile` (those win over credential_process). */
export function credentialsFileHasKeys(text: string, profile: string): boolean {
  let inSection = false;
  for (const { body } of splitLines(text)) {
    const name = headerName(body);
    if (name !== undefined) {
      inSection = name === profile;
      continue;
    }
    if (inSection && (keyOf(body) === 'aws_access_key_id' || keyOf(body) === 'aws_secret_access_key')) return true;
  }
  return false;
}
