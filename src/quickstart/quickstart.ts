// `escd quickstart`: from a fresh machine to a running daemon serving a sample environment, in one
// command and without an AWS account. Safe to re-run: it creates what is missing and keeps the rest
// (never rewrites the config or an environment a user may have edited).
import { mkdir, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import type { Progress } from '../core/progress.js';
import { parseConfig } from '../config/config.js';
import { resolvePaths } from '../config/paths.js';
import { hasErrors } from '../runtime/diagnostic-lines.js';
import { projectEnvironment } from '../esc/project.js';
import { createRuntime } from '../runtime/runtime.js';
import { decodeValue } from '../esc/wire-value.js';
import type { EnvCheckResult } from '../protocol/wire.js';
import { sealSecret } from '../secrets/envelope.js';
import { isEscdError } from '../core/errors.js';

type Env = Readonly<Record<string, string | undefined>>;

export const SAMPLE_ENVIRONMENT = 'quickstart/sample';

/** AWS's documented example key pair: valid in form, useless against AWS, fine for trying the shim. */
export const EXAMPLE_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const EXAMPLE_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

export type Action = 'created' | 'kept';

export interface QuickstartSteps {
  readonly config: { readonly file: string; readonly action: Action };
  readonly keystore: { readonly backend: 'keychain' | 'file'; readonly location: string; readonly fallback: boolean; readonly note?: string };
  readonly issuerKey: { readonly kid: string; readonly alg: string; readonly action: Action };
  readonly environment: { readonly name: string; readonly file: string; readonly action: Action };
  /** Every environment the user has. */
  readonly environments: readonly string[];
  /** Those a credential_process profile can serve (see servesAwsCredentials): the client snippets are for them. */
  readonly awsEnvironments: readonly string[];
}

/** What prepare does before the daemon runs; awsEnvironments are then the daemon's to check. */
export type PreparedSteps = Omit<QuickstartSteps, 'awsEnvironments'>;

/** The engine's check of a stored environment with its values (the CLI asks the daemon, src/cli/engine.ts). */
export type CheckWithValues = (name: string) => Promise<EnvCheckResult>;

export interface QuickstartDeps {
  readonly env: Env;
  /** Wraps slow work (key generation) in a progress indicator. */
  readonly progress: Progress;
}

export function configTemplate(env: Env): string {
  let user = env.ESCD_USER;
  try {
    user ??= userInfo().username;
  } catch {
    user = 'user';
  }
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  return `# escd settings (written by \`escd quickstart\`; yours to edit — quickstart never rewrites it).
# \`escd doctor\` checks them.

# The organization: environment names are [org/]project/env; tokens use the audience aws:<org>.
org: ${env.ESCD_ORG ?? 'local'}
# context.pulumi.user.login in environments, trigger_user in tokens.
user: ${JSON.stringify(user)}

issuer:
  # The HTTPS URL where you host \`escd oidc publish --out DIR\`; AWS fetches the issuer's keys from it.
  # The .invalid placeholder is fine until you use fn::open::aws-login with oidc.
  url: https://oidc.escd.invalid
  algorithm: RS256
  tokenLifetimeSeconds: 300

# Where escd keeps its keys: auto (OS keychain if it answers, else a 0600 file), keychain, or file.
keystore: auto

aws:
  region: ${region}
`;
}

export function sampleEnvironment(secretCiphertext: string): string {
  return `# A sample written by \`escd quickstart\`. Yours to edit (\`escd env edit ${SAMPLE_ENVIRONMENT}\`);
# quickstart never rewrites it. Try:
#   escd open ${SAMPLE_ENVIRONMENT}
#   escd run ${SAMPLE_ENVIRONMENT} -- env
#   escd-shim aws ${SAMPLE_ENVIRONMENT}
values:
  app:
    name: quickstart
    greeting: hello from escd
    url: https://\${app.name}.example.com
  aws:
    region: us-east-1
    # Credentials from the aws-login provider, as in Pulumi ESC. \`static\` serves fixed keys (here AWS's
    # documented example pair, so everything works without an AWS account). For short-lived credentials
    # from your own role, replace the \`static\` block with (see the README for the one-time AWS setup):
    #   oidc:
    #     roleArn: arn:aws:iam::123456789012:role/escd
    #     sessionName: escd
    #     duration: 1h
    # and add AWS_SESSION_TOKEN: \${aws.login.sessionToken} below.
    login:
      fn::open::aws-login:
        static:
          accessKeyId: ${EXAMPLE_ACCESS_KEY_ID}
          # A secret: stored encrypted with this installation's data key; shown as [secret] unless asked.
          secretAccessKey:
            fn::secret:
              ciphertext: ${secretCiphertext}
  environmentVariables:
    APP_NAME: \${app.name}
    APP_URL: \${app.url}
    AWS_ACCESS_KEY_ID: \${aws.login.accessKeyId}
    AWS_SECRET_ACCESS_KEY: \${aws.login.secretAccessKey}
    AWS_REGION: \${aws.region}
    # AWS CLI v1 and older SDKs read this one.
    AWS_DEFAULT_REGION: \${aws.region}
  files:
    # \`escd run\` writes this to a private temporary file and sets APP_CONFIG to its path.
    APP_CONFIG:
      fn::toJSON:
        name: \${app.name}
        greeting: \${app.greeting}
`;
}

/**
 * Whether `escd-shim aws` can answer for the environment: it evaluates without errors (check mode: no
 * provider is called, nothing is decrypted) and its environmentVariables set AWS_ACCESS_KEY_ID.
 */
async function servesAwsCredentials(check: CheckWithValues, name: string): Promise<boolean> {
  try {
    const checked = await check(name);
    if (hasErrors(checked.diagnostics)) return false;
    const values = checked.values === undefined || checked.values === null ? undefined : decodeValue(checked.values);
    return Object.hasOwn(projectEnvironment(values).environmentVariables, 'AWS_ACCESS_KEY_ID');
  } catch {
    return false;
  }
}

/** The environments a credential_process profile can serve, as the engine checks them. */
export async function awsEnvironments(environments: readonly string[], check: CheckWithValues): Promise<string[]> {
  const serving: string[] = [];
  for (const name of environments) if (await servesAwsCredentials(check, name)) serving.push(name);
  return serving;
}

/** Creates `file` with `content` unless something is there already. */
async function createIfAbsent(file: string, content: string): Promise<Action> {
  try {
    await writeFile(file, content, { flag: 'wx', mode: 0o600 });
    return 'created';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return 'kept';
    throw err;
  }
}

export async function prepare(deps: QuickstartDeps): Promise<PreparedSteps> {
  const paths = resolvePaths(deps.env);
  await mkdir(paths.configDir, { recursive: true, mode: 0o700 });
  const template = configTemplate(deps.env);
  parseConfig(template, paths.configFile, deps.env as NodeJS.ProcessEnv); // our own template must be valid
  const configAction = await createIfAbsent(paths.configFile, template);

  // Reads the config just written (or the user's).
  const runtime = await createRuntime({ env: deps.env });
  const store = await runtime.keyStore();

  const issuer = await runtime.issuer();
  const hadKeys = (await issuer.keys()).some((k) => k.active);
  if (!hadKeys) await deps.progress('generating the OIDC issuer signing key…', () => issuer.jwks());
  const active = (await issuer.keys()).find((k) => k.active)!;

  let environmentAction: Action = 'kept';
  const stored = runtime.store.resolve(SAMPLE_ENVIRONMENT);
  if (!(await runtime.store.exists(SAMPLE_ENVIRONMENT))) {
    const source = sampleEnvironment(await sealSecret(runtime.cipher, EXAMPLE_SECRET_ACCESS_KEY));
    try {
      await runtime.store.write(SAMPLE_ENVIRONMENT, source, { mustNotExist: true });
      environmentAction = 'created';
    } catch (err) {
      // Someone created it between our check and our write: theirs wins.
      if (!isEscdError(err, 'exists')) throw err;
    }
  }

  const environments = (await runtime.store.list()).map((e) => e.name);

  return {
    config: { file: paths.configFile, action: configAction },
    keystore: {
      backend: store.backend,
      location: store.location,
      fallback: store.backend === 'file',
      ...(store.note ? { note: store.note } : {}),
    },
    issuerKey: { kid: active.kid, alg: active.alg, action: hadKeys ? 'kept' : 'created' },
    environment: { name: SAMPLE_ENVIRONMENT, file: stored.file, action: environmentAction },
    environments,
  };
}
