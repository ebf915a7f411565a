// `escd env pull` / `escd env push`: copy a definition between the local store and Pulumi Cloud,
// secrets re-sealed under the destination's key (src/cloud/sync.ts).
import type { Command } from 'commander';
import type { Runtime } from '../../runtime/runtime.js';
import type { CloudTarget } from '../../cloud/routing.js';
import type { LocalDefinitions, SyncClient } from '../../cloud/sync.js';
import { EscdError } from '../../core/errors.js';

export function register(env: Command): void {
  env
    .command('pull')
    .description('Copy an environment from Pulumi Cloud into the local store (secrets re-sealed with the local key)')
    .argument('<cloud-env>', 'org/project/env of an org config.yaml maps to Pulumi Cloud (the latest revision: the service decrypts only that one)')
    .argument('[local-env]', 'local name to store it as (default: project/env)')
    .addHelpText('after', '\nExamples:\n  $ escd env pull acme/app/dev\n  $ escd env pull acme/app/dev app/dev-offline')
    .action(async (from: string, to: string | undefined) => {
      await withCloud(from, async ({ runtime, client, target }) => {
        const { pullEnvironment } = await import('../../cloud/sync.js');
        const local = to ?? `${target.ref.project}/${target.ref.name}`;
        const { file } = await pullEnvironment(client, runtime.cipher, localStore(runtime), target, local);
        process.stdout.write(`Pulled ${target.name} into ${local} (${file})\n`);
      });
    });

  env
    .command('push')
    .description('Copy a local environment to Pulumi Cloud as a new revision (secrets sent for the service to seal)')
    .argument('<local-env>', 'the local environment')
    .argument('<cloud-env>', 'org/project/env of an org config.yaml maps to Pulumi Cloud')
    .addHelpText('after', '\nExample:\n  $ escd env push app/dev acme/app/dev')
    .action(async (from: string, to: string) => {
      await withCloud(to, async ({ runtime, client, target }) => {
        if (target.ref.version) throw new EscdError('usage', `cannot push to a version (${target.name}): name the environment without @`);
        const { pushEnvironment } = await import('../../cloud/sync.js');
        const { diagnostics } = await pushEnvironment(client, runtime.cipher, localStore(runtime), from, target);
        if (diagnostics.length > 0) {
          const { formatDiagnostic } = await import('../../esc/diagnostics.js');
          for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
          throw new EscdError('bad_request', `Pulumi Cloud stored ${target.name} with ${diagnostics.length} error(s)`);
        }
        process.stdout.write(`Pushed ${from} to ${target.name}\n`);
      });
    });
}

/** The store as sync needs it: a pull is one new revision of the local environment. */
const localStore = (runtime: Runtime): LocalDefinitions => ({
  read: (name) => runtime.store.read(name),
  write: async (name, source) => (await runtime.store.write(name, source)).stored,
});

interface CloudSession {
  readonly runtime: Runtime;
  readonly client: SyncClient;
  readonly target: CloudTarget;
}

/** Resolves the cloud name; the daemon makes (and audits) every call to the service the copy needs. */
async function withCloud(name: string, work: (session: CloudSession) => Promise<void>): Promise<void> {
  const [{ openRuntime }, { cloudTargetOf }, { syncClient }] = await Promise.all([import('../evaluate.js'), import('../../cloud/routing.js'), import('../cloud-env.js')]);
  const runtime = await openRuntime();
  const target = cloudTargetOf(runtime.config, name);
  if (!target) {
    const orgs = Object.keys(runtime.config.cloudOrgs);
    throw new EscdError('usage', `${name} is not a Pulumi Cloud environment: ${orgs.length > 0 ? `the cloud orgs are ${orgs.join(', ')}` : 'config.yaml maps no org to Pulumi Cloud (orgs.<org>.backend)'}`);
  }
  await work({ runtime, client: syncClient(), target });
}
