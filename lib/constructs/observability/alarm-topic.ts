/**
 * The stage's alarm topic: KMS-encrypted with its own key, publishable by this stage's CloudWatch
 * alarms only, with one email subscription per address.
 */
import type { Construct } from 'constructs';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import type { DataAwsIamPolicyDocumentStatementCondition } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { customerManagedKey, keyPolicy } from '../shared/kms-key-policy';
import type { AwsEnvironment } from '../shared/aws-environment';
import type { Naming } from '../../contracts/naming';

/** The principal CloudWatch alarms act as when they notify a topic. */
export const CLOUDWATCH_ALARMS_PRINCIPAL = 'cloudwatch.amazonaws.com';

/**
 * ARN pattern of this stage's alarms (`arn:...:cloudwatch:<region>:<account>:alarm:<prefix>-*`):
 * every alarm is named `naming.name(id)`, so the pattern follows the names by construction.
 */
export function stageAlarmArnPattern(env: AwsEnvironment, naming: Naming): string {
  return env.arn('cloudwatch', `alarm:${naming.name('*')}`);
}

/**
 * Confused-deputy guard for the CloudWatch alarms principal: only alarms of this account, region
 * and stage. AWS documents `aws:SourceArn` (the alarm ARN) and `aws:SourceAccount` for CloudWatch
 * alarm actions on an SNS topic and on the topic's KMS key:
 * - https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html
 *   ("Preventing the confused deputy problem" for SNS alarm actions)
 * - https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger (topic policy,
 *   `ArnLike` on `aws:SourceArn`) and https://repost.aws/knowledge-center/cloudwatch-configure-alarm-sns
 *   (the key policy statement CloudWatch needs for an encrypted topic)
 * - https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
 * A wrong value here fails silently: the alarm history shows "failed to execute action" and no
 * email arrives. docs/runbooks/alarms.md ("the alarm emails never arrive") says how to check.
 */
export function cloudwatchAlarmsCondition(
  env: AwsEnvironment,
  naming: Naming,
): DataAwsIamPolicyDocumentStatementCondition[] {
  return [
    { test: 'StringEquals', variable: 'aws:SourceAccount', values: [env.accountId] },
    { test: 'ArnLike', variable: 'aws:SourceArn', values: [stageAlarmArnPattern(env, naming)] },
  ];
}

/** Options of {@link createAlarmTopic}. */
export interface AlarmTopicOptions {
  /** Stage naming. */
  readonly naming: Naming;
  /** Account, partition and region. */
  readonly environment: AwsEnvironment;
  /** Addresses subscribed by email. */
  readonly emails: readonly string[];
  /** Days a scheduled deletion of the key waits (7..30). */
  readonly keyDeletionWindowDays: number;
}

/**
 * Creates the topic, its key and policies and the subscriptions in `scope` (IDs `topic`,
 * `topic-key`, `topic-key-policy`, `topic-policy`, `topic-access`, `email-<address>`).
 */
export function createAlarmTopic(scope: Construct, o: AlarmTopicOptions): SnsTopic {
  const { naming, environment: env } = o;
  const fromStageAlarms = cloudwatchAlarmsCondition(env, naming);
  // CloudWatch must be able to use the key, or alarms on an encrypted topic fail to publish
  // without any error (the AWS-managed aws/sns key does not allow it).
  const keyPolicyJson = keyPolicy(scope, 'topic-key-policy', env, [
    {
      sid: 'CloudWatchAlarmsPublish',
      principals: [{ type: 'Service', identifiers: [CLOUDWATCH_ALARMS_PRINCIPAL] }],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      condition: fromStageAlarms,
    },
  ]);
  const key = customerManagedKey(scope, {
    id: 'topic-key',
    description: `Alarm topic encryption for ${naming.prefix}`,
    aliasName: naming.name('alarms'),
    deletionWindowDays: o.keyDeletionWindowDays,
    policyJson: keyPolicyJson,
  });
  const topic = new SnsTopic(scope, 'topic', { name: naming.name('alarms'), kmsMasterKeyId: key.arn });
  const topicPolicy = new DataAwsIamPolicyDocument(scope, 'topic-policy', {
    statement: [
      {
        sid: 'CloudWatchAlarmsOfThisAccount',
        principals: [{ type: 'Service', identifiers: [CLOUDWATCH_ALARMS_PRINCIPAL] }],
        actions: ['sns:Publish'],
        resources: [topic.arn],
        condition: fromStageAlarms,
      },
      {
        sid: 'AccountManagesTopic',
        principals: [{ type: 'AWS', identifiers: [env.rootPrincipal] }],
        actions: [
          'sns:GetTopicAttributes',
          'sns:SetTopicAttributes',
          'sns:Subscribe',
          'sns:ListSubscriptionsByTopic',
          'sns:Publish',
        ],
        resources: [topic.arn],
      },
      {
        sid: 'DenyInsecureTransport',
        effect: 'Deny',
        principals: [{ type: 'AWS', identifiers: ['*'] }],
        actions: ['sns:Publish'],
        resources: [topic.arn],
        condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
      },
    ],
  });
  new SnsTopicPolicy(scope, 'topic-access', { arn: topic.arn, policy: topicPolicy.json });

  // IDs from the address, not the position: removing one address must not re-subscribe (and
  // re-send confirmation emails to) the ones after it.
  const ids = new Set<string>();
  for (const email of o.emails) {
    const subscriptionId = `email-${email.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
    if (ids.has(subscriptionId)) {
      throw new Error(
        `Observability: alarm email "${email}" is listed twice (or differs only in punctuation or case)`,
      );
    }
    ids.add(subscriptionId);
    new SnsTopicSubscription(scope, subscriptionId, {
      topicArn: topic.arn,
      protocol: 'email',
      endpoint: email,
    });
  }
  return topic;
}
