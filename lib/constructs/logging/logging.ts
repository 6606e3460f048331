import { Construct } from 'constructs';
import { customerManagedKey, keyPolicy } from '../shared/kms-key-policy';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import type { AwsEnvironment } from '../shared/aws-environment';
import { skipCheckovOptOut } from '../../policy/checkov';
import type { Naming } from '../../contracts/naming';

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
  /**
   * Why log groups of this stage may keep logs for less than a year, in one line for the security
   * scan (Checkov CKV_AWS_338 asks for 365 days). Recorded as a skip on each such log group.
   * @default none: a log group kept for less than 365 days fails `npm run scan`
   */
  readonly shortRetentionReason?: string;
}

/** Retention from which Checkov's CKV_AWS_338 is met. */
export const ONE_YEAR_DAYS = 365;

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
  private readonly shortRetentionReason: string | undefined;

  constructor(scope: Construct, id: string, props: LoggingProps) {
    super(scope, id);
    const { environment: env } = props;
    this.defaultRetentionDays = props.defaultRetentionDays;
    this.shortRetentionReason = props.shortRetentionReason;

    // CloudWatch Logs uses the key on behalf of log groups of this account and region only. The
    // guard AWS documents for this principal is the encryption context, the log group's ARN
    // (`kms:EncryptionContext:aws:logs:arn`), whose pattern below pins partition, region and
    // account: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
    // ("Step 2: Set permissions on the KMS key"). That page documents no aws:SourceAccount or
    // aws:SourceArn for `logs.<region>.amazonaws.com`, and a condition the service's requests do
    // not satisfy stops log delivery without an error, so none is added.
    const policyJson = keyPolicy(this, 'key-policy', env, [
      {
        sid: 'CloudWatchLogsUse',
        principals: [{ type: 'Service', identifiers: [`logs.${env.region}.amazonaws.com`] }],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        condition: [
          {
            test: 'ArnLike',
            variable: 'kms:EncryptionContext:aws:logs:arn',
            values: [env.arn('logs', 'log-group:*')],
          },
        ],
      },
    ]);

    this.key = customerManagedKey(this, {
      description: `CloudWatch Logs encryption for ${props.naming.prefix}`,
      aliasName: props.naming.name('logs'),
      deletionWindowDays: props.keyDeletionWindowDays ?? 30,
      policyJson,
    });
  }

  /** Creates an encrypted log group with retention in `scope`. */
  logGroup(scope: Construct, id: string, options: LogGroupOptions): CloudwatchLogGroup {
    const retentionInDays = options.retentionDays ?? this.defaultRetentionDays;
    const group = new CloudwatchLogGroup(scope, id, {
      name: options.name,
      retentionInDays,
      kmsKeyId: this.key.arn,
    });
    if (retentionInDays < ONE_YEAR_DAYS && this.shortRetentionReason) {
      skipCheckovOptOut(
        group,
        'CKV_AWS_338',
        `${retentionInDays}-day retention: ${this.shortRetentionReason}`,
      );
    }
    return group;
  }
}
