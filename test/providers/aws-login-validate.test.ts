// The aws-login input checks run in every stage (issue 13 #4): `escd env init` (check mode, no call)
// rejects what `escd open` rejects, every problem at once, each at its own line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fromJS } from '../../src/esc/value.js';
import { awsLoginInputIssues } from '../../src/providers/aws-login/inputs.js';
import { assertBuilt, runCli } from '../support/cli.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

describe('aws-login validate', () => {
  it('reports every bad known input with its path, and leaves unknown ones alone', () => {
    const issues = awsLoginInputIssues(fromJS({ oidc: { roleArn: 'arn:aws:iam::12345:role/x', sessionName: 's', duration: '1 hour' } }));
    expect(issues.map((i) => i.path.join('.'))).toEqual(['oidc.roleArn', 'oidc.sessionName', 'oidc.duration']);
    expect(awsLoginInputIssues(fromJS({ oidc: { roleArn: 'arn:aws:iam::123456789012:role/x', sessionName: 'ok', duration: '13h' } }))[0]?.message).toMatch(/out of range/);
    expect(awsLoginInputIssues(fromJS({ oidc: { roleArn: 'arn:aws:iam::123456789012:role/x', sessionName: 'ok', duration: '1h' } }))).toEqual([]);
  });
});

describe('escd env init -f with bad aws-login inputs', () => {
  let home: TmpHome;
  beforeAll(async () => {
    assertBuilt();
    home = await makeTmpHome('escd-validate-');
  });
  afterAll(() => home?.cleanup());

  it('is refused with every error, as escd open refuses it', async () => {
    const file = join(home.dir, 'bad.yaml');
    await writeFile(file, 'values:\n  aws:\n    login:\n      fn::open::aws-login:\n        oidc:\n          roleArn: arn:aws:iam::12345:role/x\n          sessionName: escd\n          duration: 13h\n');
    const r = await runCli(['env', 'init', 'p/bad', '-f', file], { env: home.env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('is not an IAM role ARN');
    expect(r.stderr).toContain('oidc.duration: 13h is out of range');
  });

  it('refuses a misspelt output of aws-login (its outputs are a closed record), in check mode and on open', async () => {
    const text = 'values:\n  aws:\n    login:\n      fn::open::aws-login:\n        static:\n          accessKeyId: AKIA\n          secretAccessKey: s\n  key: ${aws.login.keyId}\n  ok: ${aws.login.accessKeyId}\n';
    const file = join(home.dir, 'typo.yaml');
    await writeFile(file, text);
    const init = await runCli(['env', 'init', 'p/typo', '-f', file], { env: home.env });
    expect(init.code).not.toBe(0);
    expect(init.stderr).toContain('Error: unknown property "keyId"');
    expect(init.stderr).toContain('   8:   key: ${aws.login.keyId}');
    expect(init.stderr).not.toContain('accessKeyId}\n');
  });
});
