import { describe, expect, it } from 'vitest';
import { definitionFromValues } from '../../src/cloud/import-source.js';
import { cloudTargetOf } from '../../src/cloud/routing.js';
import { parseConfig } from '../../src/config/config.js';
import { evaluateEnvironment } from '../../src/esc/evaluate.js';
import { escValue, fromJS, toJSON } from '../../src/esc/value.js';

const config = parseConfig('org: local\norgs:\n  acme:\n    backend: cloud\n', 'config.yaml', {});

describe('cloudTargetOf', () => {
  it('routes names by their org: a cloud org to its URL, with a version when pinned', () => {
    expect(cloudTargetOf(config, 'acme/app/dev')).toEqual({ url: 'https://api.pulumi.com', ref: { org: 'acme', project: 'app', name: 'dev' }, name: 'acme/app/dev' });
    expect(cloudTargetOf(config, 'acme/app/dev@stable')).toMatchObject({ ref: { version: 'stable' }, name: 'acme/app/dev@stable' });
  });
  it('leaves local names (the default org, another org, bare or malformed names) to the local store', () => {
    for (const name of ['app/dev', 'local/app/dev', 'other/app/dev', 'dev', 'acme//dev', 'acme/app/dev@', 'a/b/c/d']) expect(cloudTargetOf(config, name)).toBeUndefined();
  });
  it('a cloud default org makes two-part names cloud names', () => {
    const cloudFirst = parseConfig('org: acme\norgs:\n  acme:\n    backend: cloud\n', 'config.yaml', {});
    expect(cloudTargetOf(cloudFirst, 'app/dev')?.name).toBe('acme/app/dev');
  });
});

describe('definitionFromValues (a cloud import as seen by the local evaluator)', () => {
  it('keeps every value and every secret secret, a secret container by its leaves', async () => {
    const values = escValue(
      new Map([
        ['region', escValue('eu-west-1')],
        ['port', fromJS(5432)],
        ['login', escValue(new Map([['id', escValue('AKIA')], ['key', escValue('s3cret', { secret: true })]]))],
        ['bag', fromJS({ a: 'x', list: ['y'] }, { secret: true })],
      ]),
    );
    const source = definitionFromValues(values);
    const result = await evaluateEnvironment('acme/app/dev', source, {
      loader: async () => Promise.reject(new Error('no imports')),
      providers: new Map(),
      cipher: { encrypt: async (b) => b, decrypt: async (b) => b },
      context: {},
      mode: 'eval',
    });
    expect(result.diagnostics).toEqual([]);
    expect(toJSON(result.values!, { redact: false })).toEqual({ region: 'eu-west-1', port: 5432, login: { id: 'AKIA', key: 's3cret' }, bag: { a: 'x', list: ['y'] } });
    expect(toJSON(result.values!, { redact: true })).toEqual({ region: 'eu-west-1', port: 5432, login: { id: 'AKIA', key: '[secret]' }, bag: { a: '[secret]', list: ['[secret]'] } });
  });
});
