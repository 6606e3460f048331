import type { Construct } from 'constructs';
import {
  DataAwsIamPolicyDocument,
  type DataAwsIamPolicyDocumentStatement,
} from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import type { AwsEnvironment } from './aws-environment';
import { skipKmsKeyPolicyChecks } from '../../policy/checkov';

/**
 * A key policy document named `id` in `scope`: the account administers the key (its root
 * principal may do anything with it, so IAM policies decide who uses it), plus `useStatements`
 * for services that use the key as themselves. Every key of the stack starts from this, so the
 * administration statement and its Checkov skips are written once. Returns the policy's JSON.
 */
export function keyPolicy(
  scope: Construct,
  id: string,
  env: AwsEnvironment,
  useStatements: DataAwsIamPolicyDocumentStatement[] = [],
): string {
  const policy = new DataAwsIamPolicyDocument(scope, id, {
    statement: [
      {
        sid: 'AccountAdministration',
        principals: [{ type: 'AWS', identifiers: [env.rootPrincipal] }],
        actions: ['kms:*'],
        resources: ['*'],
      },
      ...useStatements,
    ],
  });
  skipKmsKeyPolicyChecks(policy);
  return policy.json;
}

/**
 * The key policy of a customer-managed key that services use on a principal's behalf (RDS storage,
 * Secrets Manager): the account administers the key, and who may use it is decided by IAM
 * policies, such as the exact-resource read policies the constructs expose. Creates the policy
 * document as `key-policy` in `scope` and returns its JSON.
 *
 * No service principal appears: RDS, Secrets Manager and ElastiCache use the key with the calling
 * principal's permissions (`kms:ViaService`), so there is no service to guard with
 * `aws:SourceAccount`. A key a service uses as itself (CloudWatch Logs, CloudWatch alarms) adds
 * its own statement with the condition AWS documents for that principal (`../logging/logging.ts`,
 * `../observability/alarm-topic.ts`).
 */
export function accountAdministeredKeyPolicy(scope: Construct, env: AwsEnvironment): string {
  return keyPolicy(scope, 'key-policy', env);
}

/** Options of {@link customerManagedKey}. */
export interface CustomerManagedKeyOptions {
  /** Construct ID of the key; its alias gets `<id>-alias`. @default "key" */
  readonly id?: string;
  /** What the key encrypts, shown in the console. */
  readonly description: string;
  /** Alias name without the `alias/` prefix. */
  readonly aliasName: string;
  /** Days a scheduled deletion waits (7..30). @default 30 */
  readonly deletionWindowDays?: number;
  /** The key policy (JSON). */
  readonly policyJson: string;
}

/** A customer-managed KMS key with yearly rotation and an alias: every key of the stack. */
export function customerManagedKey(scope: Construct, o: CustomerManagedKeyOptions): KmsKey {
  const id = o.id ?? 'key';
  const key = new KmsKey(scope, id, {
    description: o.description,
    enableKeyRotation: true,
    deletionWindowInDays: o.deletionWindowDays ?? 30,
    policy: o.policyJson,
  });
  new KmsAlias(scope, `${id}-alias`, { name: `alias/${o.aliasName}`, targetKeyId: key.keyId });
  return key;
}
