// Where escd keeps its files. One function a place; every module asks here.
import { join } from 'node:path';
import { socketPath, stateDirectory, userHome } from '../protocol/socket-path.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface Paths {
  /** Configuration: config.yaml and the environments directory. */
  readonly configDir: string;
  readonly configFile: string;
  readonly environmentsDir: string;
  /** State: audit log, the file key store, published issuer files. */
  readonly stateDir: string;
  readonly auditLog: string;
  /** The output of a daemon started in the background (`escd start`, the shim). */
  readonly daemonLog: string;
  readonly fileKeyStore: string;
  readonly socket: string;
  /** `escd run`'s files: a private (0700) directory of the user, in the runtime dir when there is one. */
  readonly runFilesDir: string;
}

/** ESCD_HOME puts everything under one directory; otherwise the XDG base directories. */
export function resolvePaths(env: Env = process.env): Paths {
  const home = userHome(env);
  const configDir = env.ESCD_HOME ?? join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'escd');
  const stateDir = stateDirectory(env);
  return {
    configDir,
    configFile: join(configDir, 'config.yaml'),
    environmentsDir: env.ESCD_ENVIRONMENTS_DIR ?? join(configDir, 'environments'),
    stateDir,
    auditLog: join(stateDir, 'audit.log'),
    daemonLog: join(stateDir, 'daemon.log'),
    fileKeyStore: join(stateDir, 'keys', 'keystore.json'),
    socket: socketPath(env),
    runFilesDir: env.ESCD_HOME
      ? join(env.ESCD_HOME, 'run', 'files')
      : env.XDG_RUNTIME_DIR
        ? join(env.XDG_RUNTIME_DIR, 'escd', 'files')
        : join(stateDir, 'run', 'files'),
  };
}
