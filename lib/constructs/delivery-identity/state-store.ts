import { Construct } from 'constructs';
import type { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import type { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import type { AwsEnvironment } from '../shared/aws-environment';
import { accountAdministeredKeyPolicy, customerManagedKey } from '../shared/kms-key-policy';
import { skipCheckov } from '../../policy/checkov';
import { policyDocument, policyJson } from './policy-document';

/** Alias of the state key (without `alias/`), as the old runbook created it. */
export const STATE_KEY_ALIAS = 'kong-gateway-tfstate';

/** Props of {@link StateStore}. */
export interface StateStoreProps {
  /** The account and partition (the key policy names the account). */
  readonly environment: AwsEnvironment;
  /** Globally unique name of the state bucket. */
  readonly bucketName: string;
  /** The bucket exists already: adopt it with an `import` block instead of creating it. @default false */
  readonly existingBucket?: boolean;
  /**
   * ID of an existing state key to adopt (and its alias `alias/kong-gateway-tfstate`).
   * @default a new key
   */
  readonly existingKeyId?: string;
  /** Days old state versions are kept (the newest 20 are kept longer). @default 90 */
  readonly noncurrentVersionDays?: number;
}

/**
 * The Terraform state store of an account: a versioned, private, TLS-only bucket whose `*.tfstate`
 * objects must be encrypted with the state's own KMS key (the state holds every generated secret
 * in clear, so reading it takes `kms:Decrypt` on that key as well as `s3:GetObject`). Locking is
 * by S3 lock file (`use_lockfile`): no DynamoDB table. Bucket and key refuse `terraform destroy`.
 */
export class StateStore extends Construct {
  readonly bucket: S3Bucket;
  readonly key: KmsKey;

  constructor(scope: Construct, id: string, props: StateStoreProps) {
    super(scope, id);
    const env = props.environment;
    this.key = customerManagedKey(this, {
      description: 'Terraform state of kong-gateway',
      aliasName: STATE_KEY_ALIAS,
      policyJson: accountAdministeredKeyPolicy(this, env),
    });
    this.key.addOverride('lifecycle.prevent_destroy', true);
    if (props.existingKeyId) {
      this.key.importFrom(props.existingKeyId);
      const alias = this.node.findChild('key-alias') as KmsAlias;
      alias.importFrom(`alias/${STATE_KEY_ALIAS}`);
    }

    this.bucket = new S3Bucket(this, 'bucket', { bucket: props.bucketName });
    this.bucket.addOverride('lifecycle.prevent_destroy', true);
    if (props.existingBucket) this.bucket.importFrom(props.bucketName);
    skipCheckov(
      this.bucket,
      'CKV_AWS_18',
      'state bucket: access logging would need a second bucket per account; CloudTrail data events are the audit trail',
    );
    skipCheckov(
      this.bucket,
      'CKV_AWS_144',
      'state bucket: versioned with 90 days of old versions; cross-region replication doubles the places the secrets in state live',
    );
    skipCheckov(
      this.bucket,
      'CKV2_AWS_62',
      'state bucket: nothing consumes object events; writes come only from the deploy roles',
    );

    const bucket = this.bucket.id;
    new S3BucketPublicAccessBlock(this, 'public-access-block', {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, 'ownership', {
      bucket,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });
    new S3BucketVersioningA(this, 'versioning', { bucket, versioningConfiguration: { status: 'Enabled' } });
    new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      bucket,
      rule: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: this.key.arn },
          bucketKeyEnabled: true,
        },
      ],
    });
    new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket,
      rule: [
        {
          id: 'old-state-versions',
          status: 'Enabled',
          filter: [{}],
          noncurrentVersionExpiration: [
            { noncurrentDays: props.noncurrentVersionDays ?? 90, newerNoncurrentVersions: 20 },
          ],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
        },
      ],
    });
    const arn = this.bucket.arn;
    new S3BucketPolicy(this, 'policy', {
      bucket,
      policy: policyJson(
        policyDocument([
          {
            Sid: 'DenyPlainHttp',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: ['s3:*'],
            Resource: [arn, `${arn}/*`],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
          {
            Sid: 'DenyOldTls',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: ['s3:*'],
            Resource: [arn, `${arn}/*`],
            Condition: { NumericLessThan: { 's3:TlsVersion': '1.2' } },
          },
          {
            Sid: 'DenyStateNotEncryptedWithTheStateKey',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: ['s3:PutObject'],
            Resource: [`${arn}/*.tfstate`],
            Condition: {
              StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption-aws-kms-key-id': this.key.arn },
            },
          },
        ]),
      ),
    });
  }
}
