// `escd env rotate` with fn::rotate::aws-iam against moto's IAM: each rotation creates a new key for
// the user (made with the real AWS CLI), keeps the last one as `previous`, never leaves more than
// two, and writes the state back (secret sealed) as a new revision; a failed rotation writes nothing.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsCli } from '../support/aws-cli.js';
import { assertBuilt, runCli } from '../support/cli.js';
import { awsCliMissing, e2eSkipReason, motoMissing, startMoto, type Moto } from '../support/moto.js';
import { makeTmpHome, type TmpHome } from '../support/tmp-home.js';

const skip = e2eSkipReason(motoMissing(), awsCliMissing());

const environment = (userArn: string) => `values:
  aws:
    login:
      fn::open::aws-login:
        static:
          accessKeyId: AKIAMOTOADMIN0000000
          secretAccessKey: moto-admin-secret
    iam:
      fn::rotate::aws-iam:
        inputs:
          login: \${aws.login}
          userArn: ${userArn}
`;

interface Key {
  accessKeyId: string;
  secretAccessKey: string;
  createDate?: string;
}

describe.skipIf(skip)('escd env rotate: aws-iam', () => {
  let moto: Moto;
  let home: TmpHome;
  let env: Record<string, string>;
  let file: string;

  const keysOfUser = async (): Promise<string[]> => {
    const listed = JSON.parse((await awsCli(moto.endpoint, ['iam', 'list-access-keys', '--user-name', 'app'])).stdout) as { AccessKeyMetadata: { AccessKeyId: string }[] };
    return listed.AccessKeyMetadata.map((k) => k.AccessKeyId).sort();
  };
  const opened = async (): Promise<{ current?: Key; previous?: Key }> => {
    const open = await runCli(['open', 'proj/iam', 'aws.iam', '--show-secrets'], { env });
    expect(open.code, open.stderr).toBe(0);
    return JSON.parse(open.stdout) as { current?: Key; previous?: Key };
  };

  beforeAll(async () => {
    assertBuilt();
    moto = await startMoto();
    await awsCli(moto.endpoint, ['iam', 'create-user', '--user-name', 'app']);
    home = await makeTmpHome('escd-rot-iam-');
    env = { ...home.env, PATH: process.env.PATH ?? '' };
    const escdHome = home.env.ESCD_HOME!;
    await mkdir(join(escdHome, 'environments', 'proj'), { recursive: true });
    await writeFile(join(escdHome, 'config.yaml'), `org: local\nuser: tester\naws:\n  region: us-east-1\n  iamEndpoint: ${moto.endpoint}\n`);
    file = join(escdHome, 'environments', 'proj', 'iam.yaml');
    await writeFile(file, environment('arn:aws:iam::123456789012:user/app'));
  }, 120_000);
  afterAll(async () => {
    await moto?.stop();
    await home?.cleanup();
  });

  it('before any rotation the rotator opens to no keys', async () => {
    expect(await opened()).toEqual({});
  });

  it('a rotation creates a key for the user, saved sealed in the definition, and AWS knows it as the user', async () => {
    const rotated = await runCli(['env', 'rotate', 'proj/iam'], { env });
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stderr).toMatch(/^escd: rotated aws\.iam in proj\/iam \(revision \d+\)\n$/);
    expect(JSON.parse(rotated.stdout)).toMatchObject({ aws: { iam: { current: { accessKeyId: expect.stringMatching(/^AKIA/), secretAccessKey: '[secret]' } } } });
    const { current } = await opened();
    expect(await keysOfUser()).toEqual([current!.accessKeyId]);
    const text = await readFile(file, 'utf8');
    expect(text).toContain(`accessKeyId: ${current!.accessKeyId}`);
    expect(text).not.toContain(current!.secretAccessKey);
    expect(text).toMatch(/secretAccessKey:\n\s+fn::secret:\n\s+ciphertext: /);
    const who = await awsCli(moto.endpoint, ['sts', 'get-caller-identity'], { AWS_ACCESS_KEY_ID: current!.accessKeyId, AWS_SECRET_ACCESS_KEY: current!.secretAccessKey });
    expect(JSON.parse(who.stdout)).toMatchObject({ Arn: 'arn:aws:iam::123456789012:user/app' });
  });

  it('the next rotations keep the last key as previous and never more than two', async () => {
    const first = (await opened()).current!;
    expect((await runCli(['env', 'rotate', 'proj/iam', 'aws.iam'], { env })).code).toBe(0);
    const second = await opened();
    expect(second.previous).toEqual(first);
    expect(second.current!.accessKeyId).not.toBe(first.accessKeyId);
    expect(await keysOfUser()).toEqual([first.accessKeyId, second.current!.accessKeyId].sort());
    expect((await runCli(['env', 'rotate', 'proj/iam'], { env })).code).toBe(0);
    const third = await opened();
    expect(third.previous).toEqual(second.current);
    expect(await keysOfUser()).toEqual([second.current!.accessKeyId, third.current!.accessKeyId].sort());
  });

  it('a failed rotation is an error at the input and changes nothing', async () => {
    await writeFile(file, (await readFile(file, 'utf8')).replace('user/app', 'user/nobody'));
    const before = await readFile(file, 'utf8');
    const keys = await keysOfUser();
    const history = await runCli(['env', 'version', 'history', 'proj/iam'], { env });
    const rotated = await runCli(['env', 'rotate', 'proj/iam'], { env });
    expect(rotated.code).toBe(1);
    expect(rotated.stderr).toMatch(/iam\.yaml:12:\d+: error: rotate: cannot list the access keys of "nobody" \(NoSuchEntity\): there is no IAM user "nobody": check userArn/);
    expect(await readFile(file, 'utf8')).toBe(before);
    expect(await keysOfUser()).toEqual(keys);
    expect((await runCli(['env', 'version', 'history', 'proj/iam'], { env })).stdout).toBe(history.stdout);
  });

  it('a path that holds no fn::rotate is refused', async () => {
    const rotated = await runCli(['env', 'rotate', 'proj/iam', 'aws.login'], { env });
    expect(rotated.code).not.toBe(0);
    expect(rotated.stderr).toMatch(/no fn::rotate at aws\.login in proj\/iam/);
  });
});
