import type { StackRule } from '../stack-rule';

/**
 * Every CloudWatch log group has a retention period and a KMS key.
 *
 * Why: logs kept forever cost money and keep personal data (client IPs, consumer names) longer
 * than needed; unencrypted logs are readable by anyone with `logs:GetLogEvents` on the account's
 * default key. Reads the synthesized `aws_cloudwatch_log_group` blocks, so a group created by any
 * construct (or a third-party one) is held to it.
 */
export const logGroupsHaveRetention: StackRule = {
  id: 'log-groups-have-retention',
  name: 'every log group has retention and a KMS key',
  why: 'logs kept forever cost money and keep personal data longer than needed',
  check(stack) {
    return stack.resources('aws_cloudwatch_log_group').flatMap(({ name, values }) => {
      const problems: string[] = [];
      if (!(typeof values.retention_in_days === 'number' && values.retention_in_days > 0)) {
        problems.push(`aws_cloudwatch_log_group.${name} has no retention_in_days`);
      }
      if (!values.kms_key_id)
        problems.push(`aws_cloudwatch_log_group.${name} is not encrypted with a KMS key`);
      return problems;
    });
  },
};
