import { Construct } from 'constructs';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';

/** Props of {@link AwsEnvironment}. */
export interface AwsEnvironmentProps {
  /** The region the stage deploys to (from the stage settings, so it is known at synth time). */
  readonly region: string;
}

/**
 * The account, partition and region the stack deploys into, for ARNs and policy conditions.
 * Account and partition are read at plan time; nothing here needs credentials at synth time.
 */
export class AwsEnvironment extends Construct {
  /** The deploying account's ID (a token). */
  readonly accountId: string;
  /** `aws`, `aws-cn` or `aws-us-gov` (a token). */
  readonly partition: string;
  /** The stage's region (a literal). */
  readonly region: string;

  constructor(scope: Construct, id: string, props: AwsEnvironmentProps) {
    super(scope, id);
    this.accountId = new DataAwsCallerIdentity(this, 'caller').accountId;
    this.partition = new DataAwsPartition(this, 'partition').partition;
    this.region = props.region;
  }

  /** `arn:<partition>:<service>:<region>:<account>:<resource>`. */
  arn(service: string, resource: string, options: { region?: boolean } = {}): string {
    const region = options.region === false ? '' : this.region;
    return `arn:${this.partition}:${service}:${region}:${this.accountId}:${resource}`;
  }

  /** The account's root principal ARN, used in key policies. */
  get rootPrincipal(): string {
    return `arn:${this.partition}:iam::${this.accountId}:root`;
  }
}
