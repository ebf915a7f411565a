// config.yaml: defaults, and one clear line naming the file (and line) for anything wrong.
import { describe, expect, it } from 'vitest';
import { awsAudience, cloudUrlOf, parseConfig } from '../../src/config/config.js';

const FILE = '/home/u/.config/escd/config.yaml';
const parse = (text: string) => parseConfig(text, FILE, {});

describe('parseConfig', () => {
  it('fills every missing field with the defaults', () => {
    const config = parse('');
    expect(config).toMatchObject({ org: 'local', keystore: 'auto', issuer: { url: 'https://oidc.escd.invalid', algorithm: 'RS256', tokenLifetimeSeconds: 300 }, aws: { region: 'us-east-1' } });
    expect(awsAudience(config)).toBe('aws:local');
  });

  it('reads every field; a trailing slash of the issuer URL is dropped', () => {
    const config = parse(
      'org: acme\nuser: alice\nissuer:\n  url: https://issuer.example/escd/\n  algorithm: ES256\n  tokenLifetimeSeconds: 600\nkeystore: file\naws:\n  region: eu-west-1\n  stsEndpoint: http://127.0.0.1:5000\n  audience: sts.amazonaws.com\naudit:\n  required: true\n',
    );
    expect(config).toEqual({
      org: 'acme',
      user: 'alice',
      issuer: { url: 'https://issuer.example/escd', algorithm: 'ES256', tokenLifetimeSeconds: 600 },
      keystore: 'file',
      aws: { region: 'eu-west-1', stsEndpoint: 'http://127.0.0.1:5000', audience: 'sts.amazonaws.com' },
      cloudOrgs: {},
      audit: { required: true },
    });
    expect(awsAudience(config)).toBe('sts.amazonaws.com');
  });

  it('names the line and column of a YAML syntax error', () => {
    expect(() => parse('org: local\nissuer:\n  url: [x\n')).toThrow(/^\/home\/u\/\.config\/escd\/config\.yaml:4:1: Flow sequence in block collection/);
    expect(() => parse('org: a\norg: b\n')).toThrow(/^\/home\/u\/\.config\/escd\/config\.yaml:2:1: Map keys must be unique/);
  });

  it.each([
    ['clouds: acme\n', "'clouds' must be one of the known fields"],
    ['org: ""\n', 'org must be a non-empty string'],
    ['issuer: [a]\n', 'issuer must be a mapping'],
    ['issuer:\n  url: ftp://x\n', 'issuer.url must be an https:// URL'],
    ['issuer:\n  algorithm: HS256\n', 'issuer.algorithm must be one of RS256, ES256'],
    ['issuer:\n  tokenLifetimeSeconds: 30\n', 'issuer.tokenLifetimeSeconds must be a whole number of seconds from 60 to 3600'],
    ['issuer:\n  tokenLifetimeSeconds: 7200\n', 'issuer.tokenLifetimeSeconds must be a whole number of seconds from 60 to 3600'],
    ['keystore: vault\n', 'keystore must be one of auto, keychain, file'],
    ['aws:\n  audience: 7\n', 'aws.audience must be a non-empty string'],
    ['audit:\n  required: yes please\n', 'audit.required must be true or false'],
    ['audit:\n  path: /tmp/x\n', 'audit.path must be absent (audit has one field: required)'],
  ])('%j: %s', (text, message) => {
    expect(() => parse(text)).toThrow(`${FILE}:${text.split('\n').length - 1}:`);
    expect(() => parse(text)).toThrow(`: ${message}`);
  });

  it('reports every problem in file order, one line each with its place, not only the first', () => {
    const text = 'org: acme\nkeystore: vault\nissuer:\n  url: ftp://x\n  tokenLifetimeSeconds: 30\norgs:\n  acme:\n    backend: ftp://y\n';
    let message = '';
    try {
      parse(text);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message.split('\n')).toEqual([
      `${FILE}:2:11: keystore must be one of auto, keychain, file`,
      `${FILE}:4:8: issuer.url must be an https:// URL`,
      `${FILE}:5:25: issuer.tokenLifetimeSeconds must be a whole number of seconds from 60 to 3600`,
      `${FILE}:8:14: orgs.acme.backend must be 'local', 'cloud' or a Pulumi Cloud URL (https://…)`,
    ]);
    expect(() => parse('a: 1\na: 2\nb: [\n')).toThrow(/config\.yaml:2:1: Map keys must be unique\n.*config\.yaml:4:1: /);
  });

  it('maps orgs to Pulumi Cloud (`cloud` is api.pulumi.com, or a URL); every other org is local', () => {
    const config = parse('orgs:\n  acme:\n    backend: cloud\n  corp:\n    backend: https://pulumi.corp.example/\n  mine:\n    backend: local\n');
    expect(config.cloudOrgs).toEqual({ acme: 'https://api.pulumi.com', corp: 'https://pulumi.corp.example' });
    expect(cloudUrlOf(config, 'acme')).toBe('https://api.pulumi.com');
    expect(cloudUrlOf(config, 'mine')).toBeUndefined();
    expect(cloudUrlOf(config, 'toString')).toBeUndefined();
    expect(() => parse('orgs:\n  acme:\n    backend: ftp://x\n')).toThrow(`${FILE}:3:14: orgs.acme.backend must be 'local', 'cloud' or a Pulumi Cloud URL (https://…)`);
    expect(() => parse('orgs:\n  acme: cloud\n')).toThrow(`${FILE}:2:9: orgs.acme must be a mapping`);
  });
});
