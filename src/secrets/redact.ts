// Replaces secrets by [secret], in a whole text (provider errors in diagnostics) and in a stream (the
// output of `escd run`, so that no secret reaches the terminal). The stream works on bytes (a UTF-8
// character or a secret may be split across writes) and holds back only what could still become
// a secret: a tail of at most (longest secret − 1) bytes that is a prefix of some secret. Anything
// else, in particular every complete line (unless a secret itself spans lines), goes out at once.
import { Transform, type TransformCallback } from 'node:stream';

export const REDACTED = '[secret]';

/** Secrets shorter than this are not redacted (as in the reference: too common, and "" would match everywhere). */
export const MIN_SECRET_LENGTH = 3;

/** Secrets at least this long are also redacted in their encoded forms (shorter ones would match by chance). */
export const MIN_ENCODED_SECRET_LENGTH = 8;

/**
 * The forms a program commonly prints a secret in besides its bytes: base64 (standard and URL-safe)
 * and the inside of a JSON string. The base64 forms stop before the last partial group, whose
 * characters depend on what follows the secret, so they match also inside a longer encoded text
 * that starts with the secret.
 */
export function encodedForms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  if (bytes.length < MIN_ENCODED_SECRET_LENGTH) return [];
  const whole = bytes.subarray(0, bytes.length - (bytes.length % 3));
  const std = whole.toString('base64');
  const forms = [bytes.toString('base64'), std, std.replace(/\+/g, '-').replace(/\//g, '_'), bytes.toString('base64').replace(/=+$/, ''), bytes.toString('base64url'), JSON.stringify(secret).slice(1, -1)];
  return forms.filter((f) => f !== secret);
}

/** Deduplicated secrets of at least MIN_SECRET_LENGTH bytes, with their encoded forms, longest first. */
export function redactableSecrets(secrets: Iterable<string>): Buffer[] {
  const unique = new Set<string>();
  for (const s of secrets) {
    if (Buffer.byteLength(s, 'utf8') < MIN_SECRET_LENGTH) continue;
    unique.add(s);
    for (const form of encodedForms(s)) unique.add(form);
  }
  return [...unique].map((s) => Buffer.from(s, 'utf8')).sort((a, b) => b.length - a.length);
}

interface Range {
  start: number;
  end: number;
}

/** Every occurrence of every secret; overlapping occurrences merge into one run (touching ones stay apart). */
function secretRuns(data: Buffer, secrets: readonly Buffer[]): Range[] {
  const hits: Range[] = [];
  for (const secret of secrets) {
    for (let at = data.indexOf(secret); at !== -1; at = data.indexOf(secret, at + 1)) hits.push({ start: at, end: at + secret.length });
  }
  hits.sort((a, b) => a.start - b.start || b.end - a.end);
  const runs: Range[] = [];
  for (const hit of hits) {
    const last = runs[runs.length - 1];
    if (last && hit.start < last.end) last.end = Math.max(last.end, hit.end);
    else runs.push({ ...hit });
  }
  return runs;
}

/** The first position from which the data's tail is a proper prefix of some secret (could complete later). */
function pendingStart(data: Buffer, secrets: readonly Buffer[]): number {
  const longest = secrets[0]?.length ?? 0;
  for (let at = Math.max(0, data.length - longest + 1); at < data.length; at++) {
    const tail = data.subarray(at);
    if (secrets.some((s) => s.length > tail.length && s[0] === tail[0] && s.subarray(0, tail.length).equals(tail))) return at;
  }
  return data.length;
}

/** Replaces each run in `data[0, end)` by REDACTED. Runs must not cross `end`. */
function render(data: Buffer, runs: readonly Range[], end: number): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  const marker = Buffer.from(REDACTED, 'utf8');
  for (const run of runs) {
    if (run.start >= end) break;
    parts.push(data.subarray(at, run.start), marker);
    at = run.end;
  }
  parts.push(data.subarray(at, end));
  return Buffer.concat(parts);
}

/** Pure redaction of a complete text (no more data will follow). */
export function redact(text: string, secrets: Iterable<string>): string {
  const list = redactableSecrets(secrets);
  const data = Buffer.from(text, 'utf8');
  return render(data, secretRuns(data, list), data.length).toString('utf8');
}

/** A stream that replaces every secret with REDACTED, also when a secret is split across writes. */
export class SecretRedactor extends Transform {
  private readonly secrets: Buffer[];
  private pending: Buffer = Buffer.alloc(0);

  constructor(secrets: Iterable<string>) {
    super();
    this.secrets = redactableSecrets(secrets);
  }

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback): void {
    const data = Buffer.concat([this.pending, typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk]);
    if (this.secrets.length === 0) {
      this.pending = Buffer.alloc(0);
      callback(null, data);
      return;
    }
    const runs = secretRuns(data, this.secrets);
    let safe = pendingStart(data, this.secrets);
    // A secret that may still complete must not be cut off from a run it would overlap: hold the run too.
    const crossing = runs.find((r) => r.start < safe && r.end > safe);
    if (crossing) safe = crossing.start;
    this.pending = Buffer.from(data.subarray(safe));
    const out = render(data, runs, safe);
    callback(null, out.length > 0 ? out : undefined);
  }

  override _flush(callback: TransformCallback): void {
    const data = this.pending;
    this.pending = Buffer.alloc(0);
    callback(null, data.length > 0 ? render(data, secretRuns(data, this.secrets), data.length) : undefined);
  }
}
