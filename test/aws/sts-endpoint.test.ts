import { describe, expect, it } from 'vitest';
import { regionalStsUrl, resolveStsEndpoint, StsEndpointError } from '../../src/aws/sts-endpoint.js';

describe('regionalStsUrl', () => {
  it.each([
    ['us-east-1', 'https://sts.us-east-1.amazonaws.com'],
    ['eu-west-1', 'https://sts.eu-west-1.amazonaws.com'],
    ['cn-north-1', 'https://sts.cn-north-1.amazonaws.com.cn'],
    ['us-gov-west-1', 'https://sts.us-gov-west-1.amazonaws.com'],
    ['us-iso-east-1', 'https://sts.us-iso-east-1.c2s.ic.gov'],
  ])('%s → %s (the SDK endpoint rules, never the global endpoint)', (region, url) => {
    expect(regionalStsUrl(region)).toBe(url);
  });

  it('rejects what is not a region name', () => {
    expect(() => regionalStsUrl('US East')).toThrow(StsEndpointError);
    expect(() => regionalStsUrl('https://x')).toThrow('aws.region: "https://x" is not an AWS region name (like us-east-1)');
  });
});

describe('resolveStsEndpoint', () => {
  const region = 'eu-central-1';

  it('uses the regional endpoint by default', () => {
    expect(resolveStsEndpoint({ region, env: {} })).toEqual({ url: 'https://sts.eu-central-1.amazonaws.com', source: 'aws.region' });
  });

  it('prefers AWS_ENDPOINT_URL_STS, then AWS_ENDPOINT_URL, then aws.stsEndpoint', () => {
    const configured = 'https://sts.internal.example/';
    const all = { AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:5000/', AWS_ENDPOINT_URL: 'http://127.0.0.1:6000' };
    expect(resolveStsEndpoint({ region, configured, env: all })).toEqual({ url: 'http://127.0.0.1:5000', source: 'AWS_ENDPOINT_URL_STS' });
    expect(resolveStsEndpoint({ region, configured, env: { AWS_ENDPOINT_URL: all.AWS_ENDPOINT_URL } })).toEqual({ url: 'http://127.0.0.1:6000', source: 'AWS_ENDPOINT_URL' });
    expect(resolveStsEndpoint({ region, configured, env: {} })).toEqual({ url: 'https://sts.internal.example', source: 'aws.stsEndpoint' });
  });

  it('ignores the environment variables when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true, as the SDKs do', () => {
    const env = { AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:5000', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' };
    expect(resolveStsEndpoint({ region, env }).source).toBe('aws.region');
  });

  it('names the setting that holds a bad URL', () => {
    expect(() => resolveStsEndpoint({ region, env: { AWS_ENDPOINT_URL_STS: 'localhost:5000' } })).toThrow('AWS_ENDPOINT_URL_STS: "localhost:5000" must be an http:// or https:// URL');
    expect(() => resolveStsEndpoint({ region, configured: 'not a url', env: {} })).toThrow('aws.stsEndpoint: "not a url" is not a URL');
  });
});
