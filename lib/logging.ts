import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import type { AwsEnvironment } from './aws-environment';
import type { Naming } from './naming';

/** Props of {@link Logging}. */
export interface LoggingProps {
  /** Account, partition and region for the key policy. */
  readonly environment: AwsEnvironment;
  /** Stage naming. */
  readonly naming: Naming;
  /** Retention of log groups that do not ask for their own. */
  readonly defaultRetentionDays: number;
  /**
   * Days a scheduled key deletion waits (7..30).
   * @default 30
   */
  readonly keyDeletionWindowDays?: number;
}

/** Options of one log group. */
export interface LogGroupOptions {
  /** Log group name; by convention `/kong-gateway/<stage>/<what>`. */
  readonly name: string;
  /**
   * Retention in days.
   * @default the stage's default retention
   */
  readonly retentionDays?: number;
}

/**
 * The stage's CloudWatch Logs encryption key and the one way to create a log group, so that no
 * log group in the stack lacks retention or encryption.
 */
export class Logging extends Construct {
  /** Customer-managed key that encrypts every log group of the stage. */
  readonly key: KmsKey;
  private readonly defaultRetentionDays: number;

  constructor(scope: Construct, id: string, props: LoggingProps) {
    super(scope, id);
    const { environment: env } = props;
    this.defaultRetentionDays = props.defaultRetentionDays;

    // CloudWatch Logs uses the key on behalf of log groups of this account and region only.
    const policy = new DataAwsIamPolicyDocument(this, 'key-policy', {
      statement: [
        {
          sid: 'AccountAdministration',
          principals: [{ type: 'AWS', identifiers: [env.rootPrincipal] }],
          actions: ['kms:*'],
          resources: ['*'],
        },
        {
          sid: 'CloudWatchLogsUse',
          principals: [{ type: 'Service', identifiers: [`logs.${env.region}.amazonaws.com`] }],
          actions: [
            'kms:Encrypt*',
            'kms:Decrypt*',
            'kms:ReEncrypt*',
            'kms:GenerateDataKey*',
            'kms:Describe*',
          ],
          resources: ['*'],
          condition: [
            {
              test: 'ArnLike',
              variable: 'kms:EncryptionContext:aws:logs:arn',
              values: [env.arn('logs', 'log-group:*')],
            },
          ],
        },
      ],
    });

    this.key = new KmsKey(this, 'key', {
      description: `CloudWatch Logs encryption for ${props.naming.prefix}`,
      enableKeyRotation: true,
      deletionWindowInDays: props.keyDeletionWindowDays ?? 30,
      policy: policy.json,
    });
    new KmsAlias(this, 'key-alias', {
      name: `alias/${props.naming.name('logs')}`,
      targetKeyId: this.key.keyId,
    });
  }

  /** Creates an encrypted log group with retention in `scope`. */
  logGroup(scope: Construct, id: string, options: LogGroupOptions): CloudwatchLogGroup {
    return new CloudwatchLogGroup(scope, id, {
      name: options.name,
      retentionInDays: options.retentionDays ?? this.defaultRetentionDays,
      kmsKeyId: this.key.arn,
    });
  }
}
