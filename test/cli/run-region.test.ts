// `escd run` gives the AWS CLI v1 a region when the environment sets only AWS_REGION (issue 13 #2).
import { describe, expect, it } from 'vitest';
import { withDefaultRegion } from '../../src/run/run-command.js';

describe('withDefaultRegion', () => {
  it('copies AWS_REGION into AWS_DEFAULT_REGION when only the former is set', () => {
    expect(withDefaultRegion({ AWS_REGION: 'eu-west-1', X: '1' })).toEqual({ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-west-1', X: '1' });
  });
  it("keeps the environment's own AWS_DEFAULT_REGION", () => {
    expect(withDefaultRegion({ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-east-2' })).toEqual({ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-east-2' });
  });
  it('adds nothing without AWS_REGION', () => {
    expect(withDefaultRegion({ X: '1' })).toEqual({ X: '1' });
    expect(withDefaultRegion({ AWS_REGION: '' })).toEqual({ AWS_REGION: '' });
  });
});
