// What `escd setup` learns about the environment it wires up: that it exists (a typo must not be
// written into ~/.aws/config, it would fail only at the first `aws` call), and the AWS region to
// write into the profile (the AWS CLI v1 reads no AWS_REGION and has no default region).
import { projectEnvironment } from '../esc/project.js';
import { decodeValue } from '../esc/wire-value.js';
import type { EnvCheckResult } from '../protocol/wire.js';
import { createRuntime } from '../runtime/runtime.js';
import { EscdError } from '../core/errors.js';
import { cloudTargetOf } from '../cloud/routing.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface SetupEnvironment {
  /** The canonical name (`project/env`). */
  readonly name: string;
  /**
   * The environment's own AWS_REGION (or AWS_DEFAULT_REGION) when it is a plain value without
   * evaluating providers, else config.yaml's aws.region (where the daemon calls STS).
   */
  readonly region: string;
}

/** The engine's check of a stored environment with its values (the CLI asks the daemon, src/cli/engine.ts). */
export type CheckWithValues = (name: string) => Promise<EnvCheckResult>;

export async function setupEnvironment(name: string, env: Env, check: CheckWithValues): Promise<SetupEnvironment> {
  const runtime = await createRuntime({ env });
  // A Pulumi Cloud environment is checked where it lives, by the daemon's first open.
  const remote = cloudTargetOf(runtime.config, name);
  if (remote) return { name: remote.name, region: runtime.config.aws.region };
  try {
    await runtime.store.read(name);
  } catch (err) {
    throw new EscdError('bad_request', (err as Error).message);
  }
  // Check mode: no provider is called and no secret decrypted; a region from a provider stays unknown.
  const checked = await check(name).catch(() => undefined);
  const values = checked?.values === undefined || checked.values === null ? undefined : decodeValue(checked.values);
  const variables = projectEnvironment(values).environmentVariables;
  const own = [variables.AWS_REGION, variables.AWS_DEFAULT_REGION].find((v) => v !== undefined && !v.secret && /^[a-z]{2,}(?:-[a-z0-9]+)+$/.test(v.value));
  return { name: checked?.environment.name ?? name, region: own?.value ?? runtime.config.aws.region };
}
