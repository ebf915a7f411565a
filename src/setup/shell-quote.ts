// Quoting for the `credential_process` line. botocore splits it with shlex.split (POSIX rules) and the
// AWS SDK for JavaScript hands it to /bin/sh: POSIX single quotes mean the same to both.

import { EscdError } from '../core/errors.js';

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One argument, quoted only when it needs to be. */
export function shellQuote(arg: string): string {
  if (SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The command line for `argv`; refuses what an INI value cannot carry intact. */
export function commandLine(argv: readonly string[]): string {
  const line = argv.map(shellQuote).join(' ');
  if (/[\r\n]/.test(line)) throw new EscdError('bad_request', 'a path in the command contains a line break; it cannot be written to an INI file');
  // The JavaScript SDK's INI parser drops everything from a whitespace-preceded `#` or `;` on.
  if (/\s[#;]/.test(line)) throw new EscdError('bad_request', `the command ${line} contains " #" or " ;", which AWS SDKs read as a comment; install escd (or node) in a path without them`);
  return line;
}
