// `escd env provider aws-login static|oidc` on the built CLI, in a throwaway ESCD_HOME: the block it
// writes, its secrets sealed at rest, --path, --create and the errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertBuilt, runCli } from '../support/cli.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';
import { awsLoginOidc, awsLoginStatic } from '../../src/cli/commands/env-provider.js';
import { Document } from 'yaml';

let home: TmpHome;
const cli = (args: string[]) => runCli(args, { env: home.env });

beforeAll(async () => {
  assertBuilt();
  home = await makeTmpHome();
});
afterAll(() => home.cleanup());

const yaml = (node: Document['contents']): string => {
  const doc = new Document();
  doc.contents = node;
  return doc.toString({ indent: 2 });
};

describe('escd env provider', () => {
  it('builds the reference blocks, optional fields left out', () => {
    expect(yaml(awsLoginStatic('AKIA1', 'shh'))).toBe('fn::open::aws-login:\n  static:\n    accessKeyId: AKIA1\n    secretAccessKey:\n      fn::secret: shh\n');
    expect(yaml(awsLoginOidc('arn:aws:iam::1:role/r', 's', { policyArns: ['p1'], subjectAttributes: [] }))).toBe(
      'fn::open::aws-login:\n  oidc:\n    roleArn: arn:aws:iam::1:role/r\n    sessionName: s\n    policyArns:\n      - p1\n',
    );
    // A value YAML would read as another type stays a string.
    expect(yaml(awsLoginStatic('12345', 'true'))).toContain('accessKeyId: "12345"');
  });

  it('writes an oidc block, replaces it, and keeps the rest of the definition', async () => {
    expect((await cli(['env', 'init', 'app/dev'])).code).toBe(0);
    expect((await cli(['env', 'set', 'app/dev', 'region', 'eu-west-1'])).code).toBe(0);
    const first = await cli(['env', 'provider', 'aws-login', 'oidc', 'app/dev', 'arn:aws:iam::123456789012:role/r', 'sess', '--duration', '1h']);
    expect(first).toMatchObject({ code: 0, stdout: 'Provider updated.\n' });
    await cli(['env', 'provider', 'aws-login', 'oidc', 'app/dev', 'arn:aws:iam::123456789012:role/other', 'sess2']);
    const definition = (await cli(['env', 'get', 'app/dev', '--definition'])).stdout;
    expect(definition).toContain('region: eu-west-1');
    expect(definition).toContain('roleArn: arn:aws:iam::123456789012:role/other');
    expect(definition).not.toContain('duration');
  });

  it('stores the secret access key and session token sealed, never in plaintext', async () => {
    const r = await cli(['env', 'provider', 'aws-login', 'static', 'app/dev', 'AKIAEXAMPLE', 'wJalrXUtnFEMIK7MDENG', '--session-token', 'tok-123456', '--path', 'ci.creds']);
    expect(r.code).toBe(0);
    const dir = join(home.env.ESCD_HOME!, 'environments');
    const files = await readdir(dir, { recursive: true });
    for (const file of files.filter((f) => f.endsWith('.yaml'))) {
      const text = await readFile(join(dir, file), 'utf8');
      expect(text).not.toContain('wJalrXUtnFEMIK7MDENG');
      expect(text).not.toContain('tok-123456');
    }
    const definition = (await cli(['env', 'get', 'app/dev', '--definition'])).stdout;
    expect(definition).toMatch(/ci:\n {4}creds:\n {6}fn::open::aws-login:\n {8}static:\n {10}accessKeyId: AKIAEXAMPLE\n {10}secretAccessKey:\n {12}fn::secret:\n {14}ciphertext: /);
    expect((await cli(['env', 'get', 'app/dev', 'ci.creds', '--definition', '--show-secrets'])).stdout).toContain('fn::secret: wJalrXUtnFEMIK7MDENG');
  });

  it('creates a missing environment only with --create, and refuses versions and bad arguments', async () => {
    const missing = await cli(['env', 'provider', 'aws-login', 'static', 'app/new', 'AKIA1', 'x']);
    expect(missing).toMatchObject({ code: 1 });
    expect(missing.stderr).toContain('getting environment definition: not found');
    const created = await cli(['env', 'provider', 'aws-login', 'static', 'app/new', 'AKIA1', 'x', '--create']);
    expect(created).toMatchObject({ code: 0 });
    expect(created.stdout).toMatch(/^Environment created: .*app\/new\nProvider updated\.\n$/);
    expect((await cli(['env', 'provider', 'aws-login', 'static', 'app/new@2', 'AKIA1', 'x'])).stderr).toContain('the provider command does not accept versions');
    expect((await cli(['env', 'provider', 'aws-login', 'oidc', 'app/new', 'arn'])).stderr).toContain('expected <role-arn> and <session-name>');
    expect((await cli(['env', 'provider', 'aws-login', 'oidc', 'app/new', 'arn', 's', '--path', 'a['])).stderr).toContain('invalid --path');
  });
});
