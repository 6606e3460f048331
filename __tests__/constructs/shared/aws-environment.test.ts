import { AwsEnvironment } from '../../../lib/constructs/shared/aws-environment';
import { synthConstruct } from '../../support/synth';

describe('AwsEnvironment', () => {
  let env: AwsEnvironment | undefined;
  const synth = synthConstruct(({ stack }) => {
    env = new AwsEnvironment(stack, 'env-under-test', { region: 'eu-central-1' });
  });
  const resolve = (value: string) => value.replace(/\$\{TfToken\[[^\]]+\]\}/g, 'TOKEN');

  it('reads account and partition at plan time (data sources), not at synth time', () => {
    const names = (type: string) => synth.dataSources(type).map((d) => d.name);
    expect(names('aws_caller_identity')).toContainEqual(expect.stringMatching(/^env-under-test_caller_/));
    expect(names('aws_partition')).toContainEqual(expect.stringMatching(/^env-under-test_partition_/));
    expect(env!.region).toBe('eu-central-1');
  });

  // Fails if a hard-coded "aws" partition or account slipped in: ARNs would be wrong in GovCloud or
  // China, and in every account but one.
  it('builds ARNs from the partition, region and account tokens', () => {
    expect(resolve(env!.arn('logs', 'log-group:x'))).toBe('arn:TOKEN:logs:eu-central-1:TOKEN:log-group:x');
    expect(resolve(env!.arn('iam', 'role/r', { region: false }))).toBe('arn:TOKEN:iam::TOKEN:role/r');
    expect(resolve(env!.rootPrincipal)).toBe('arn:TOKEN:iam::TOKEN:root');
  });
});
