// The assembled runtime: evaluation through the store with the configured context, and laziness
// (nothing opens the key store until a secret has to be sealed or opened).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { toJSON } from '../../src/esc/value.js';
import { createRuntime } from '../../src/runtime/runtime.js';
import { sealSecret } from '../../src/secrets/envelope.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

let home: TmpHome;
beforeEach(async () => {
  home = await makeTmpHome();
});
afterEach(() => home.cleanup());

const put = async (name: string, source: string): Promise<void> => {
  const file = join(home.env.ESCD_HOME!, 'environments', `${name}.yaml`);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, source);
};

describe('createRuntime', () => {
  it('evaluates with imports and the execution context from config', async () => {
    await mkdir(home.env.ESCD_HOME!, { recursive: true });
    await writeFile(join(home.env.ESCD_HOME!, 'config.yaml'), 'org: acme\nuser: alice\n');
    await put('base/shared', 'values:\n  region: eu-west-1\n');
    await put(
      'app/dev',
      [
        'imports: [base/shared]',
        'values:',
        '  who: ${context.pulumi.user.login}',
        '  org: ${context.pulumi.organization.login}',
        '  me: ${context.currentEnvironment.name}',
        '  where: ${region}',
        '',
      ].join('\n'),
    );
    const runtime = await createRuntime({ env: home.env });
    expect(runtime.executionContext()).toEqual({ pulumi: { user: { login: 'alice', id: 'alice' }, organization: { login: 'acme' } } });
    const result = await runtime.evaluate('acme/app/dev', { mode: 'eval' });
    expect(result.diagnostics).toEqual([]);
    expect(result.environment.name).toBe('app/dev');
    expect(toJSON(result.values!, { redact: true })).toEqual({ who: 'alice', org: 'acme', me: 'app/dev', region: 'eu-west-1', where: 'eu-west-1' });
  });

  it('does not open the key store for an environment without ciphertexts', async () => {
    await put('app/plain', 'values:\n  a:\n    fn::secret: plaintext-secret\n');
    const runtime = await createRuntime({ env: home.env });
    const result = await runtime.evaluate('app/plain', { mode: 'eval' });
    expect(toJSON(result.values!, { redact: false })).toEqual({ a: 'plaintext-secret' });
    expect(existsSync(dirname(runtime.paths.fileKeyStore))).toBe(false);
  });

  it('seals and opens ciphertexts with the key store on first use', async () => {
    const runtime = await createRuntime({ env: home.env });
    expect(existsSync(runtime.paths.fileKeyStore)).toBe(false);
    const ciphertext = await sealSecret(runtime.cipher, 'hunter22');
    expect(existsSync(runtime.paths.fileKeyStore)).toBe(true);
    await put('app/sealed', `values:\n  pw:\n    fn::secret:\n      ciphertext: ${ciphertext}\n`);
    // A second runtime (another process) decrypts with the same stored key.
    const again = await createRuntime({ env: home.env });
    const result = await again.evaluate('app/sealed', { mode: 'eval' });
    expect(result.diagnostics).toEqual([]);
    expect(toJSON(result.values!, { redact: false })).toEqual({ pw: 'hunter22' });
    // Check mode does not decrypt.
    const checked = await again.evaluate('app/sealed', { mode: 'check' });
    expect(toJSON(checked.values!, { redact: false })).toEqual({ pw: '[unknown]' });
  });

  it('maps diagnostics of imported environments to their files', async () => {
    await put('app/base', 'values:\n  a: ${missing}\n');
    await put('app/top', 'imports: [app/base]\nvalues: {}\n');
    const runtime = await createRuntime({ env: home.env });
    const result = await runtime.evaluate('app/top', { mode: 'eval' });
    const diagnostic = result.diagnostics.find((d) => d.severity === 'error')!;
    expect(runtime.fileOf(diagnostic.file, result.environment)).toBe(join(home.env.ESCD_HOME!, 'environments', 'app', 'base.yaml'));
  });

  it('evaluates an unsaved source in place of the stored one', async () => {
    await put('app/dev', 'values:\n  a: 1\n');
    const runtime = await createRuntime({ env: home.env });
    const result = await runtime.evaluate('app/dev', { mode: 'check', source: 'values:\n  a: 2\n' });
    expect(toJSON(result.values!, { redact: true })).toEqual({ a: 2 });
  });
});
