// The audit log: one JSON line per credential served or session refreshed. Lines are queued and
// written asynchronously so the request path never waits on the disk; the file is 0600 and rotated
// by size (audit.log, audit.log.1, audit.log.2 by default). Events carry names, outcomes and error
// codes only — the event type has no field that could hold a secret.
import { constants } from 'node:fs';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EscdError, type ErrorCode } from '../core/errors.js';

export type AuditAction =
  | 'aws.credentials'
  | 'aws.endpoint'
  | 'endpoint.grant'
  | 'endpoint.revoke'
  | 'token.file'
  | 'kube.credentials'
  | 'env.open'
  | 'env.run'
  | 'env.check'
  | 'oidc.token'
  | 'env.rotate'
  | 'refresh'
  | 'cloud.call';

export interface AuditEvent {
  readonly environment: string;
  readonly action: AuditAction;
  readonly outcome: 'ok' | 'error';
  /** For served credentials: answered from the cache or after an evaluation. */
  readonly source?: 'cache' | 'evaluated' | 'stale';
  /** Expiry of what was served or refreshed (ISO 8601). */
  readonly expiresAt?: string;
  readonly code?: ErrorCode;
  /** Extra non-secret detail, e.g. the cluster for kube credentials. */
  readonly cluster?: string;
  /** env.open or env.check with secrets shown in plaintext, or env.run with the output unfiltered (-i). */
  readonly revealed?: boolean;
  /** cloud.call: the Pulumi Cloud operation, its HTTP status and the request id the service returned. */
  readonly operation?: string;
  readonly status?: number | 'unreachable';
  readonly requestId?: string;
}

export interface AuditSink {
  record(event: AuditEvent): void;
  /**
   * Records and resolves once the line is on disk; rejects (an EscdError `io`) when it cannot be
   * written. For `audit.required`: the credential is served only after its line is written.
   */
  written?(event: AuditEvent): Promise<void>;
  /** Whether lines are being written, for `escd status` and `doctor`. */
  health?(): AuditHealth;
}

export interface AuditHealth {
  readonly file: string;
  /** False while writes fail (from the first failure to the next success). */
  readonly ok: boolean;
  /** The last write failure, one line (an errno code such as ENOSPC, EISDIR, EROFS). */
  readonly error?: string;
  /** When the current failure streak began (ISO 8601). */
  readonly failingSince?: string;
  /** Lines lost to a full queue or a write error since the daemon started. */
  readonly dropped: number;
}

export const NO_AUDIT: AuditSink = { record: () => {} };

/**
 * Records a served credential's audit line. With `required` (config.yaml `audit.required`), waits
 * until the line is on disk and returns the refusal to answer instead (one line) when it cannot be
 * written; otherwise records and returns at once.
 */
export async function auditServed(audit: AuditSink, required: boolean, event: AuditEvent): Promise<string | undefined> {
  if (!required || !audit.written) {
    audit.record(event);
    return undefined;
  }
  try {
    await audit.written(event);
    return undefined;
  } catch (err) {
    return `refusing to serve credentials: ${err instanceof Error ? err.message : String(err)}, and config.yaml sets audit.required: true`;
  }
}

/** How long lines that queued during a write wait for more before the next write (see drain). */
const BATCH_MS = 5;

/**
 * A line waiting for the disk, in its two parts: the time (`{"time":"…",`, ASCII) and the rest (shared
 * by every cache hit of a session, see tailOf). They are joined only in the write buffer.
 */
interface Queued {
  readonly prefix: string;
  readonly tail: string;
  /** The line's length in bytes. */
  readonly bytes: number;
  /** Told when the line is on disk (no error) or lost. */
  readonly settle: ((error?: string) => void) | undefined;
}

export interface AuditLogOptions {
  /** Rotate once the file reaches this size. */
  readonly maxBytes?: number;
  /** Files kept in total, the live one included. */
  readonly files?: number;
  /** Lines queued while the disk is slow; beyond this new lines are dropped (and counted). */
  readonly maxQueued?: number;
  readonly now?: () => number;
  /** Told once per failure streak when the log cannot be written. */
  readonly warn?: (message: string) => void;
}

export class AuditLog implements AuditSink {
  private readonly maxBytes: number;
  private readonly files: number;
  private readonly maxQueued: number;
  private readonly now: () => number;
  private readonly warn: (message: string) => void;
  private queue: Queued[] = [];
  private handle: FileHandle | undefined;
  private size = 0;
  private writing: Promise<void> | undefined;
  /** The current drain has written a batch already (the next one waits BATCH_MS). */
  private wroteBefore = false;
  private failing = false;
  private lastError?: string;
  private failingSince?: number;
  /** Lines lost to a full queue or a write error. */
  dropped = 0;

  constructor(
    readonly file: string,
    options: AuditLogOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? 5 * 1024 * 1024;
    this.files = Math.max(1, options.files ?? 3);
    this.maxQueued = options.maxQueued ?? 10_000;
    this.now = options.now ?? Date.now;
    this.warn = options.warn ?? (() => {});
  }

  record(event: AuditEvent): void {
    this.enqueue(event);
  }

  written(event: AuditEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      this.enqueue(event, (error) => (error === undefined ? resolve() : reject(new EscdError('io', `the audit log ${this.file} cannot be written (${error})`))));
    });
  }

  health(): AuditHealth {
    return {
      file: this.file,
      ok: !this.failing,
      ...(this.failing && this.lastError ? { error: this.lastError } : {}),
      ...(this.failing && this.failingSince !== undefined ? { failingSince: new Date(this.failingSince).toISOString() } : {}),
      dropped: this.dropped,
    };
  }

  private enqueue(event: AuditEvent, settle?: Queued['settle']): void {
    if (this.queue.length >= this.maxQueued) {
      this.dropped++;
      settle?.('too many lines waiting for the disk');
      return;
    }
    const prefix = this.timePrefix();
    const tail = this.tailOf(event);
    this.queue.push({ prefix, tail: tail.text, bytes: prefix.length + tail.bytes, settle });
    this.writing ??= this.drain();
  }

  private lastTime = { ms: Number.NaN, prefix: '' };
  private lastTail: { event: AuditEvent | undefined; text: string; bytes: number } = { event: undefined, text: '', bytes: 0 };

  /**
   * The line after its time: the event's JSON without its opening brace, and the newline. The daemon
   * records the same event object for every cache hit of a session (handlers.ts), so under load this is
   * serialized once, not per request.
   */
  private tailOf(event: AuditEvent): { readonly text: string; readonly bytes: number } {
    if (event !== this.lastTail.event) {
      const text = `${JSON.stringify(event).slice(1)}\n`;
      this.lastTail = { event, text, bytes: Buffer.byteLength(text) };
    }
    return this.lastTail;
  }

  /** The line's start with now as ISO 8601: one conversion per millisecond (under load, many lines share it). */
  private timePrefix(): string {
    const ms = this.now();
    if (ms !== this.lastTime.ms) this.lastTime = { ms, prefix: `{"time":"${new Date(ms).toISOString()}",` };
    return this.lastTime.prefix;
  }

  /** Resolves once every queued line is on disk (or dropped); then closes the file. */
  async close(): Promise<void> {
    while (this.writing) await this.writing;
    await this.handle?.close().catch(() => {});
    this.handle = undefined;
  }

  private async drain(): Promise<void> {
    // Let the current request finish before touching the disk; batch whatever queued meanwhile.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      while (this.queue.length > 0) {
        // Under load a write per request or two was a tenth of the daemon's time: lines that came while
        // the last write ran wait a few ms more, and go out together. A line someone waits for
        // (audit.required) goes at once.
        if (this.wroteBefore && !this.queue.some((q) => q.settle)) await new Promise((resolve) => setTimeout(resolve, BATCH_MS));
        this.wroteBefore = true;
        const batch = this.queue;
        this.queue = [];
        try {
          await this.appendLines(batch);
          if (this.failing) this.warn(`the audit log ${this.file} is written again (${this.dropped} line(s) lost meanwhile)`);
          this.failing = false;
          for (const q of batch) q.settle?.();
        } catch (err) {
          this.dropped += batch.length;
          await this.handle?.close().catch(() => {});
          this.handle = undefined;
          const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message.split('\n')[0] ?? 'error';
          if (!this.failing) {
            this.warn(`cannot write the audit log ${this.file}: ${reason}`);
            this.failingSince = this.now();
          }
          this.failing = true;
          this.lastError = reason;
          for (const q of batch) q.settle?.(reason);
        }
      }
    } finally {
      this.writing = undefined;
      this.wroteBefore = false;
    }
  }

  /**
   * Appends in chunks that fit under the size limit; rotates first when the next line would not fit.
   * Each chunk is one buffer the lines' parts are copied into (no joined string per line or batch).
   */
  private async appendLines(lines: readonly Queued[]): Promise<void> {
    let i = 0;
    while (i < lines.length) {
      let handle = await this.open();
      if (this.size > 0 && this.size + lines[i]!.bytes > this.maxBytes) {
        await this.rotate();
        handle = await this.open();
      }
      let end = i;
      let bytes = 0;
      do {
        const lineBytes = lines[end]!.bytes;
        if (bytes > 0 && this.size + bytes + lineBytes > this.maxBytes) break;
        bytes += lineBytes;
        end++;
      } while (end < lines.length);
      const chunk = Buffer.allocUnsafe(bytes);
      let offset = 0;
      for (; i < end; i++) {
        const line = lines[i]!;
        offset += chunk.write(line.prefix, offset, 'latin1');
        offset += chunk.write(line.tail, offset, 'utf8');
      }
      await handle.appendFile(chunk);
      this.size += bytes;
    }
  }

  private async open(): Promise<FileHandle> {
    if (!this.handle) {
      await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
      // Never through a link planted in its place (it could point at ~/.bashrc): O_NOFOLLOW fails with ELOOP.
      const handle = await open(this.file, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
      await handle.chmod(0o600); // an existing file may have been created with looser bits
      this.size = (await handle.stat()).size;
      this.handle = handle;
      // A line cut short by a crash (SIGKILL mid-write) must not swallow the next one.
      if (this.size > 0) {
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, this.size - 1);
        if (last[0] !== 0x0a) {
          await handle.appendFile('\n');
          this.size += 1;
        }
      }
    }
    return this.handle;
  }

  private async rotate(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
    const name = (n: number): string => (n === 0 ? this.file : `${this.file}.${n}`);
    await rm(name(this.files - 1), { force: true });
    for (let n = this.files - 2; n >= 0; n--) {
      await rename(name(n), name(n + 1)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
  }
}
