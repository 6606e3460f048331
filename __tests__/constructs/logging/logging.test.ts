import { App, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { AwsEnvironment } from '../../../lib/constructs/shared/aws-environment';
import { Logging, type LoggingProps } from '../../../lib/constructs/logging/logging';
import { Naming } from '../../../lib/contracts/naming';
import { checkovSkipsByAddress, synthWithComments } from '../../support/terraform-json';
import type { Json } from '../../support/synth';

function synthLogging(props: Partial<LoggingProps>) {
  const stack = new TerraformStack(new App(), 'logging-test');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  const environment = new AwsEnvironment(stack, 'environment', { region: 'eu-west-1' });
  const logging = new Logging(stack, 'logging', {
    environment,
    naming: new Naming('test'),
    defaultRetentionDays: 30,
    ...props,
  });
  logging.logGroup(stack, 'short', { name: '/kong-gateway/test/short' });
  logging.logGroup(stack, 'year', { name: '/kong-gateway/test/year', retentionDays: 365 });
  const json = synthWithComments(stack);
  return { json, skips: checkovSkipsByAddress(json) };
}

describe('Logging', () => {
  describe('without a short-retention reason (production)', () => {
    const { json, skips } = synthLogging({});

    it('creates encrypted log groups with the default or asked retention', () => {
      const groups = json.resource.aws_cloudwatch_log_group;
      expect(groups.short).toMatchObject({
        retention_in_days: 30,
        kms_key_id: expect.stringMatching(/aws_kms_key/),
      });
      expect(groups.year).toMatchObject({ retention_in_days: 365 });
    });

    it('records no retention skip, so a log group under a year fails the scan', () => {
      expect(Object.values(skips).flat()).not.toContain('CKV_AWS_338');
    });

    it('lets CloudWatch Logs use the key only for log groups of this account and region', () => {
      const doc = Object.entries(json.data.aws_iam_policy_document as Record<string, Json>).find(([name]) =>
        name.includes('key-policy'),
      )![1];
      const logs = (doc.statement as Json[]).find((s) => s.sid === 'CloudWatchLogsUse');
      expect(logs.principals).toEqual([{ type: 'Service', identifiers: ['logs.eu-west-1.amazonaws.com'] }]);
      expect(logs.resources).toEqual(['*']);
      expect(logs.condition).toEqual([
        {
          test: 'ArnLike',
          variable: 'kms:EncryptionContext:aws:logs:arn',
          values: [
            expect.stringMatching(
              /^arn:\$\{data\.aws_partition\.[^}]+\}:logs:eu-west-1:\$\{data\.aws_caller_identity\.[^}]+\.account_id\}:log-group:\*$/,
            ),
          ],
        },
      ]);
      // The account administers the key; no other principal is named.
      expect((doc.statement as Json[]).map((s) => s.sid)).toEqual([
        'AccountAdministration',
        'CloudWatchLogsUse',
      ]);
    });

    it('marks the key policy checks that misread a KMS key policy, with their reasons', () => {
      const policy = Object.entries(skips).find(([address]) => address.includes('key-policy'));
      expect(policy?.[1].sort()).toEqual(['CKV_AWS_109', 'CKV_AWS_111', 'CKV_AWS_356']);
    });
  });

  describe('with a short-retention reason (development)', () => {
    const { json, skips } = synthLogging({ shortRetentionReason: 'development stage, disposable' });

    it('skips CKV_AWS_338 on log groups under a year only, naming the retention', () => {
      expect(skips['aws_cloudwatch_log_group.short']).toEqual(['CKV_AWS_338']);
      expect(skips['aws_cloudwatch_log_group.year']).toBeUndefined();
      expect(json.resource.aws_cloudwatch_log_group.short['//'].checkov.skip[0].comment).toBe(
        '30-day retention: development stage, disposable',
      );
    });
  });
});
