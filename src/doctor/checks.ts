// `escd doctor`'s checks as pure functions: each gets the facts gathered by src/doctor/facts.ts and
// says pass, warn or fail, with the fix a user can act on. No I/O here, so every verdict is unit-tested.

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface CheckResult {
  readonly id: string;
  readonly title: string;
  readonly status: CheckStatus;
  /** What was found, one line. */
  readonly detail: string;
  /** What to do about it (also a hint on a pass). */
  readonly fix?: string;
}

const result = (id: string, title: string, status: CheckStatus, detail: string, fix?: string): CheckResult => ({
  id,
  title,
  status,
  detail,
  ...(fix !== undefined ? { fix } : {}),
});

// ---------- node ----------

export const MIN_NODE_MAJOR = 20;

export function checkNode(version: string): CheckResult {
  const major = Number(/^v?(\d+)/.exec(version)?.[1]);
  if (Number.isInteger(major) && major >= MIN_NODE_MAJOR) return result('node', 'Node.js', 'pass', `Node.js ${version}`);
  return result('node', 'Node.js', 'fail', `Node.js ${version} is too old (escd needs ${MIN_NODE_MAJOR} or newer)`, `install Node.js ${MIN_NODE_MAJOR} LTS or newer`);
}

// ---------- config and environments ----------

export interface ConfigFacts {
  readonly file: string;
  readonly exists: boolean;
  /** The one-line bad_config message when the file does not parse. */
  readonly error?: string;
}

export function checkConfig(facts: ConfigFacts): CheckResult {
  if (facts.error) {
    const fix = facts.error.startsWith('ESCD_') ? 'fix or unset the environment variable named above' : `fix the field named above in ${facts.file}`;
    return result('config', 'config file', 'fail', facts.error, fix);
  }
  if (!facts.exists) return result('config', 'config file', 'warn', `${facts.file} does not exist; using the defaults`, 'run `escd quickstart` to create it');
  return result('config', 'config file', 'pass', `${facts.file} is valid`);
}

export interface EnvironmentsFacts {
  readonly dir: string;
  readonly state: 'missing' | 'not-a-directory' | 'unreadable' | 'ok';
  readonly count: number;
  /** Environments whose definition has errors, each with its first error line (file:line: message). */
  readonly broken?: ReadonlyArray<{ readonly name: string; readonly error: string }>;
}

export function checkEnvironments(facts: EnvironmentsFacts): CheckResult {
  const title = 'environments';
  switch (facts.state) {
    case 'missing':
      return result('environments', title, 'warn', `${facts.dir} does not exist yet`, 'run `escd quickstart` or `escd env init <project>/<env>`');
    case 'not-a-directory':
      return result('environments', title, 'fail', `${facts.dir} is not a directory`, `move it away; escd keeps one YAML file per environment there`);
    case 'unreadable':
      return result('environments', title, 'fail', `cannot read ${facts.dir}`, `check its owner and permissions (\`ls -ld ${facts.dir}\`)`);
    case 'ok':
      if (facts.count === 0) return result('environments', title, 'warn', `${facts.dir} has no environments`, 'run `escd env init <project>/<env>` or `escd quickstart`');
      if (facts.broken && facts.broken.length > 0) {
        // Every broken environment with every error: a user fixing one must not find the next only later.
        const [first] = facts.broken;
        const detail = facts.broken.map((b) => `${b.name} has errors: ${b.error}`).join(' | ');
        return result('environments', title, 'warn', detail, `\`escd open <env>\` lists them with their lines; fix them with \`escd env edit ${first!.name}\``);
      }
      return result('environments', title, 'pass', `${facts.count} environment${facts.count === 1 ? '' : 's'} in ${facts.dir}, all without errors`);
  }
}

// ---------- key store and keys ----------

export interface KeyStoreFacts {
  readonly backend?: 'keychain' | 'file';
  readonly location?: string;
  readonly note?: string;
  /** The key store could not be opened (one line). */
  readonly error?: string;
}

export function checkKeyStore(facts: KeyStoreFacts): CheckResult {
  const title = 'key store';
  if (facts.error || !facts.backend) return result('keystore', title, 'fail', facts.error ?? 'no key store', 'see the message above; `escd doctor` again once fixed');
  if (facts.backend === 'file') {
    return result(
      'keystore',
      title,
      'warn',
      `file fallback: keys are in ${facts.location} (0600), not in an OS keychain${facts.note ? ` — ${facts.note}` : ''}`,
      'fine on a headless machine; on a desktop start the Secret Service (gnome-keyring) or use macOS Keychain before the first key is made',
    );
  }
  return result('keystore', title, 'pass', `OS keychain (${facts.location})`);
}

export interface SigningKeyFacts {
  /** Keys listed in the issuer's state file. */
  readonly keys: number;
  readonly activeKid?: string;
  /** Signing with the active key failed: its private half is missing or unreadable (one line). */
  readonly signError?: string;
  readonly error?: string;
  /** No active key, yet one existed (keys-created.json): why escd knows. */
  readonly existed?: string;
}

export function checkSigningKey(facts: SigningKeyFacts): CheckResult {
  const title = 'issuer signing key';
  if (facts.error) return result('signing-key', title, 'fail', facts.error, 'see the message above');
  const replace = 'restore the key store (and the state directory) from their backup, or run `escd keys replace signing --yes`, then `escd oidc publish` and upload the new JWKS';
  if (!facts.activeKid && facts.existed) return result('signing-key', title, 'fail', `the signing key is missing (${facts.existed})`, replace);
  if (!facts.activeKid) return result('signing-key', title, 'warn', 'no signing key yet (made on first use)', 'run `escd quickstart` or `escd oidc publish --out DIR` to create it now');
  if (facts.signError) {
    return result('signing-key', title, 'fail', facts.signError, replace);
  }
  return result('signing-key', title, 'pass', `active key ${facts.activeKid} signs (${facts.keys} key${facts.keys === 1 ? '' : 's'} in the JWKS)`);
}

export interface SecretsKeyFacts {
  readonly hasDataKey: boolean;
  /** Environment files holding `ciphertext` secrets. */
  readonly encryptedIn: readonly string[];
  /** No data key, yet one existed (keys-created.json): why escd knows. */
  readonly existed?: string;
}

export function checkSecretsKey(facts: SecretsKeyFacts): CheckResult {
  const title = 'secrets data key';
  if (facts.hasDataKey) return result('data-key', title, 'pass', 'present');
  if (facts.existed && facts.encryptedIn.length === 0) {
    return result('data-key', title, 'fail', `the data key is missing (${facts.existed})`, 'restore the key store from its backup, or run `escd keys replace data --yes` to make a new one');
  }
  if (facts.encryptedIn.length === 0) return result('data-key', title, 'pass', 'not created yet (made with the first `escd env set --secret`)');
  return result(
    'data-key',
    title,
    'fail',
    `${facts.encryptedIn.length} environment file(s) hold encrypted secrets (e.g. ${facts.encryptedIn[0]}) but the key store has no data key to decrypt them`,
    'restore the key store this installation used (see `keystore` in config.yaml), or run `escd keys replace data --yes` and set those secrets again with `escd env set <env> <path> --secret`',
  );
}

// ---------- ownership ----------

/** escd's directories and files: the user's, closed to others' writes, no planted links (config/ownership.ts). */
export function checkOwnership(problems: readonly { problem: string; fix: string }[]): CheckResult {
  const title = 'file ownership';
  if (problems.length === 0) return result('ownership', title, 'pass', 'escd home, config, environments, state and logs are yours and closed to writes by others');
  return result('ownership', title, 'fail', `${problems.map((p) => p.problem).join('; ')} (escd refuses to run)`, problems.map((p) => p.fix).join('; '));
}

// ---------- daemon and socket ----------

export interface DaemonFacts {
  readonly socket: string;
  readonly reachable: boolean;
  readonly version?: string;
  readonly pid?: number;
  /** Why it could not be reached (one line). */
  readonly error?: string;
}

export function checkDaemon(facts: DaemonFacts, cliVersion?: string): CheckResult {
  const title = 'daemon';
  if (facts.reachable) {
    const detail = `answering on ${facts.socket}${facts.pid ? ` (pid ${facts.pid}, ${facts.version ?? 'unknown version'})` : ''}`;
    if (cliVersion && facts.version && facts.version !== cliVersion) {
      return result('daemon', title, 'warn', `${detail}, but this escd is ${cliVersion}`, 'run `escd restart` so the daemon runs the installed version');
    }
    return result('daemon', title, 'pass', detail);
  }
  return result('daemon', title, 'fail', `not reachable: ${facts.error ?? 'no answer'}`, 'run `escd start` (or `escd service install` to have it always running)');
}

export interface AuditFacts {
  readonly file: string;
  /** config.yaml `audit.required`. */
  readonly required: boolean;
  /** Why this process could not open the file for appending (an errno code), if it could not. */
  readonly openError?: string;
  /** What the running daemon reports of its writes (absent when no daemon answers). */
  readonly daemon?: { readonly ok: boolean; readonly error?: string; readonly failingSince?: string; readonly dropped: number };
}

/** The fix for an audit log write failure, by its errno code. */
function auditFix(file: string, code: string | undefined): string {
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return `free space on the disk that holds ${file}`;
    case 'EISDIR':
      return `${file} is a directory: move it out of the way`;
    case 'ELOOP':
      return `${file} is a symbolic link (escd never writes through one): remove it`;
    case 'EROFS':
      return `the file system of ${file} is read-only: remount it read-write, or set ESCD_HOME to a writable place`;
    case 'EACCES':
    case 'EPERM':
      return `make ${file} and its directory yours and writable (chmod 600 ${file})`;
    default:
      return `make ${file} writable again`;
  }
}

export function checkAudit(facts: AuditFacts): CheckResult {
  const title = 'audit log';
  const consequence = facts.required ? 'credentials are refused (audit.required)' : 'credentials are served without audit lines';
  const d = facts.daemon;
  if (d && !d.ok) {
    const since = d.failingSince ? ` since ${d.failingSince}` : '';
    return result('audit', title, 'fail', `the daemon cannot write ${facts.file} (${d.error ?? 'error'})${since}: ${d.dropped} line(s) lost, ${consequence}`, auditFix(facts.file, d.error));
  }
  if (facts.openError) return result('audit', title, 'fail', `cannot open ${facts.file} for appending (${facts.openError}): ${consequence}`, auditFix(facts.file, facts.openError));
  const lost = d && d.dropped > 0 ? `; ${d.dropped} line(s) were lost earlier` : '';
  return result('audit', title, 'pass', `${facts.file} is writable${facts.required ? ' (required: credentials are refused when it is not)' : ''}${lost}`);
}

export interface PathMode {
  readonly path: string;
  readonly exists: boolean;
  readonly mode?: number;
  readonly ownedByUser?: boolean;
  /** "name (uid N)" of the owner when it is not the user. */
  readonly owner?: string;
  readonly kind?: 'socket' | 'directory' | 'other';
}

const octal = (mode: number): string => '0' + (mode & 0o777).toString(8).padStart(3, '0');

export function checkSocketPermissions(dir: PathMode, socket: PathMode): CheckResult {
  const title = 'socket permissions';
  const problems: string[] = [];
  const fixes: string[] = [];
  // Nobody can fix another user's directory or a link: the fix is a socket somewhere private.
  const elsewhere = 'set XDG_RUNTIME_DIR to a directory only you can enter (or ESCD_SOCKET to a socket path inside one), then `escd restart`';
  if (!dir.exists) return result('socket-perms', title, 'pass', `${dir.path} does not exist yet (the daemon creates it 0700)`);
  if (dir.kind !== 'directory') problems.push(`${dir.path} is not a directory`);
  if (dir.ownedByUser === false) problems.push(`${dir.path} belongs to another user${dir.owner ? ` (${dir.owner})` : ''}: clients refuse it`);
  if (dir.kind !== 'directory' || dir.ownedByUser === false) return result('socket-perms', title, 'fail', problems.join('; '), elsewhere);
  if (dir.mode !== undefined && (dir.mode & 0o077) !== 0) {
    problems.push(`${dir.path} is ${octal(dir.mode)}, others can reach the socket (clients refuse it)`);
    fixes.push(`chmod 700 ${dir.path}`);
  }
  if (socket.exists) {
    if (socket.kind !== 'socket') problems.push(`${socket.path} is not a socket`);
    if (socket.ownedByUser === false) problems.push(`${socket.path} belongs to another user${socket.owner ? ` (${socket.owner})` : ''}`);
    if (socket.kind !== 'socket' || socket.ownedByUser === false) fixes.push(`rm ${socket.path}`);
    if (socket.mode !== undefined && (socket.mode & 0o077) !== 0) {
      problems.push(`${socket.path} is ${octal(socket.mode)}, other users may ask the daemon for credentials`);
      fixes.push(`chmod 600 ${socket.path}`);
    }
  }
  if (problems.length > 0) {
    return result('socket-perms', title, 'fail', problems.join('; '), [...fixes, 'then `escd restart` (it recreates the socket 0600 in a 0700 directory)'].join(', '));
  }
  return result('socket-perms', title, 'pass', socket.exists ? `${dir.path} 0700, ${socket.path} 0600` : `${dir.path} 0700`);
}

// ---------- issuer ----------

export interface IssuerFacts {
  readonly url: string;
  /** Discovery fetch outcome; absent when not attempted (placeholder URL, --offline). */
  readonly discovery?:
    | { readonly kind: 'ok'; readonly issuer: string; readonly jwksKids: readonly string[] }
    | { readonly kind: 'offline'; readonly error: string }
    | { readonly kind: 'bad'; readonly error: string };
  readonly activeKid?: string;
  readonly offline?: boolean;
}

export function isPlaceholderIssuer(url: string): boolean {
  try {
    return new URL(url).hostname.endsWith('.invalid');
  } catch {
    return true;
  }
}

export function checkIssuer(facts: IssuerFacts): CheckResult {
  const title = 'OIDC issuer';
  const publish = 'run `escd oidc publish --out DIR` and host DIR at the issuer URL over HTTPS';
  if (isPlaceholderIssuer(facts.url)) {
    return result(
      'issuer',
      title,
      'warn',
      `issuer.url is the placeholder ${facts.url}: fine for static credentials, but AWS cannot verify tokens from it`,
      `set issuer.url in config.yaml to an HTTPS URL you host, then ${publish}`,
    );
  }
  const d = facts.discovery;
  if (!d) return result('issuer', title, 'warn', `${facts.url} (not checked: offline)`, 'run `escd doctor` without --offline to fetch its discovery document');
  if (d.kind === 'offline') return result('issuer', title, 'warn', `cannot fetch ${facts.url}/.well-known/openid-configuration (${d.error})`, 'check again when online');
  if (d.kind === 'bad') return result('issuer', title, 'fail', d.error, publish);
  if (d.issuer !== facts.url) {
    return result('issuer', title, 'fail', `the published discovery document names issuer ${d.issuer}, not ${facts.url}`, `set issuer.url to the hosted URL, then ${publish}`);
  }
  if (facts.activeKid && !d.jwksKids.includes(facts.activeKid)) {
    return result('issuer', title, 'fail', `the published JWKS lacks the active signing key ${facts.activeKid}: AWS will reject new tokens`, publish);
  }
  return result('issuer', title, 'pass', `${facts.url} publishes its discovery document and JWKS (${d.jwksKids.length} key${d.jwksKids.length === 1 ? '' : 's'})`);
}

// ---------- clock ----------

export interface ClockFacts {
  readonly endpoint: string;
  /** Server's Date minus ours, in ms; absent when unreachable. */
  readonly skewMs?: number;
  readonly error?: string;
  readonly offline?: boolean;
}

export const SKEW_WARN_MS = 30_000;
/** AWS rejects signatures (and tokens) beyond five minutes of skew. */
export const SKEW_FAIL_MS = 5 * 60_000;

export function checkClock(facts: ClockFacts): CheckResult {
  const title = 'clock';
  if (facts.offline) return result('clock', title, 'warn', 'not checked (offline)');
  if (facts.skewMs === undefined) return result('clock', title, 'warn', `cannot read the time from ${facts.endpoint} (${facts.error ?? 'no Date header'})`, 'check again when online');
  const seconds = Math.round(facts.skewMs / 1000);
  const ahead = seconds > 0 ? `${seconds} s behind` : `${-seconds} s ahead of`;
  const detail = `this clock is ${Math.abs(seconds) <= 1 ? 'in step with' : ahead} ${facts.endpoint}`;
  const fix = 'turn on network time (timedatectl set-ntp true, or System Settings > Date & Time)';
  if (Math.abs(facts.skewMs) > SKEW_FAIL_MS) return result('clock', title, 'fail', `${detail}: STS will reject tokens and signatures`, fix);
  if (Math.abs(facts.skewMs) > SKEW_WARN_MS) return result('clock', title, 'warn', `${detail}: short-lived tokens may be refused`, fix);
  return result('clock', title, 'pass', detail);
}

// ---------- clients pointing at the shim ----------

export interface ShimReference {
  /** Profile or kubeconfig user name. */
  readonly name: string;
  /** The shim path as written (absolute, or a bare command name looked up on PATH). */
  readonly shim: string;
  /** Where it resolves; absent when it does not. */
  readonly resolved?: string;
  /** The environment it asks for, and whether escd has it (absent: not checked). */
  readonly environment?: string;
  readonly environmentExists?: boolean;
}

export interface ClientFacts {
  readonly file: string;
  readonly exists: boolean;
  readonly error?: string;
  readonly references: readonly ShimReference[];
}

function checkClient(id: string, title: string, what: string, setup: string, facts: ClientFacts): CheckResult {
  if (facts.error) return result(id, title, 'fail', `${facts.file}: ${facts.error}`, `fix ${facts.file} so that ${what === 'profile' ? 'aws' : 'kubectl'} can read it`);
  if (facts.references.length === 0) {
    return result(id, title, 'pass', `no ${what} in ${facts.exists ? facts.file : `${facts.file} (absent)`} uses escd`, `to add one: ${setup}`);
  }
  // Every bad entry, each once with its first problem (a missing shim before a missing environment).
  const broken = facts.references.filter((r) => r.resolved === undefined);
  const unknown = facts.references.filter((r) => r.resolved !== undefined && r.environmentExists === false);
  const problems: string[] = [];
  const fixes: string[] = [];
  if (broken.length > 0) {
    problems.push(`${broken.map((r) => `${what} ${r.name} → ${r.shim}`).join(', ')}: the shim is not there`);
    fixes.push(`run \`${setup}\` again (it writes the current shim path), or fix the path in ${facts.file}`);
  }
  if (unknown.length > 0) {
    problems.push(`${unknown.map((r) => `${what} ${r.name} → environment ${r.environment}`).join(', ')}: no such environment`);
    fixes.push(`create it (\`escd env init <env>\`), or fix the environment name in ${facts.file}`);
  }
  if (problems.length > 0) return result(id, title, 'fail', problems.join('; '), fixes.join('; '));
  const names = facts.references.map((r) => r.name).join(', ');
  const one = facts.references.length === 1;
  return result(id, title, 'pass', `${facts.references.length} ${what}${one ? '' : 's'} ${one ? 'uses' : 'use'} the shim (${names})`);
}

export const checkAwsConfig = (facts: ClientFacts): CheckResult =>
  checkClient('aws-config', '~/.aws/config', 'profile', 'escd setup aws <env> --profile <name>', facts);

export const checkKubeconfig = (facts: ClientFacts): CheckResult =>
  checkClient('kubeconfig', 'kubeconfig', 'user', 'escd setup kube <env> --cluster <name>', facts);

// ---------- the user service ----------

export interface ServiceFacts {
  /** Absent: not installed with `escd service install`. */
  readonly installed?: {
    readonly manager: 'systemd' | 'launchd';
    readonly files: ReadonlyArray<{ readonly path: string; readonly state: 'ok' | 'missing' | 'modified' }>;
    /** Programs the definition starts, and whether each exists. */
    readonly programs: ReadonlyArray<{ readonly path: string; readonly exists: boolean }>;
  };
  readonly error?: string;
}

export function checkService(facts: ServiceFacts): CheckResult {
  const title = 'user service';
  if (facts.error) return result('service', title, 'warn', facts.error);
  const s = facts.installed;
  if (!s) return result('service', title, 'pass', 'not installed (the daemon runs when started with `escd start`)', 'run `escd service install` to keep it always running');
  const missing = s.files.filter((f) => f.state === 'missing');
  if (missing.length > 0) {
    return result('service', title, 'fail', `${missing.map((f) => f.path).join(', ')} went missing since \`escd service install\``, 'run `escd service uninstall`, then `escd service install`');
  }
  const gone = s.programs.filter((p) => !p.exists);
  if (gone.length > 0) {
    return result(
      'service',
      title,
      'fail',
      `the ${s.manager} service starts ${gone.map((p) => p.path).join(' and ')}, which no longer exist${gone.length === 1 ? 's' : ''} (Node.js upgraded or escd moved?)`,
      'run `escd service install` again: it rewrites its own files with the current paths',
    );
  }
  const edited = s.files.filter((f) => f.state === 'modified');
  const note = edited.length > 0 ? ` (${edited.map((f) => f.path).join(', ')} edited since install)` : '';
  return result('service', title, 'pass', `installed as a ${s.manager} service${note}`);
}

export function summarize(checks: readonly CheckResult[]): { ok: boolean; pass: number; warn: number; fail: number } {
  const count = (s: CheckStatus): number => checks.filter((c) => c.status === s).length;
  return { ok: count('fail') === 0, pass: count('pass'), warn: count('warn'), fail: count('fail') };
}
