// The one error type of escd: a code from a closed set (for programs: the `error.code` of a socket
// answer, the CLI's exit status, what a caller may branch on), a message that is the one line a
// person reads, and the `cause` kept for debugging (ESCD_DEBUG=1). No dependencies, so every layer
// throws it: domain folders and the daemon without importing the CLI, which reports it
// (src/cli/errors.ts); src/protocol/wire.ts sends the same codes.

export const ERROR_CODES = [
  /** A command line escd cannot parse, or flags that cannot go together (CLI exit status 2). */
  'usage',
  /** A value the caller gave (name, flag value, file, request field) is not acceptable. */
  'bad_request',
  /** A request or an answer larger than escd accepts. */
  'too_large',
  /** A socket request of a protocol version the daemon does not speak. */
  'unsupported_version',
  /** A socket request for a method the daemon does not have. */
  'unknown_method',
  /** config.yaml (or its environment overrides) is not valid. */
  'bad_config',
  /** What was named does not exist (an environment, a key, a service). */
  'not_found',
  /** It exists already, and the caller asked to create it. */
  'exists',
  /** It changed underneath (another writer); nothing was written. */
  'conflict',
  /** An environment does not evaluate (its diagnostics say why). */
  'evaluation_failed',
  /** The environment evaluates but holds no credentials of the kind asked for. */
  'not_credentials',
  /** An outside service (STS, Pulumi Cloud, an issuer, a service manager) failed or did not answer. */
  'upstream_failed',
  /** No daemon answers on the socket (CLI exit status 3, as `systemctl status`). */
  'not_running',
  /** The daemon could not be started or stopped (its log says why). */
  'daemon_failed',
  /** The daemon is stopping and takes no new work. */
  'shutting_down',
  /** The command `escd run` was given could not be started (CLI exit status 127, as a shell). */
  'command_failed',
  /** The user cancelled (CLI exit status 130, as for Ctrl-C). */
  'cancelled',
  /** A file or the key store could not be read or written. */
  'io',
  /** A bug: the message says where to look (the daemon log). */
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** An expected failure: `message` is already the one line the user should read; never a secret. */
export class EscdError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Whether `err` is an EscdError (with one of `codes`, when given). */
export function isEscdError(err: unknown, ...codes: readonly ErrorCode[]): err is EscdError {
  return err instanceof EscdError && (codes.length === 0 || codes.includes(err.code));
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}
