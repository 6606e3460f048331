import type { Construct } from 'constructs';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import type { AwsEnvironment } from './aws-environment';
import { skipKmsKeyPolicyChecks } from './checkov';

/**
 * The key policy of a customer-managed key that services use on a principal's behalf (RDS storage,
 * Secrets Manager): the account administers the key, and who may use it is decided by IAM
 * policies, such as the exact-resource read policies the constructs expose. Creates the policy
 * document as `key-policy` in `scope` and returns its JSON.
 */
export function accountAdministeredKeyPolicy(scope: Construct, env: AwsEnvironment): string {
  const policy = new DataAwsIamPolicyDocument(scope, 'key-policy', {
    statement: [
      {
        sid: 'AccountAdministration',
        principals: [{ type: 'AWS', identifiers: [env.rootPrincipal] }],
        actions: ['kms:*'],
        resources: ['*'],
      },
    ],
  });
  skipKmsKeyPolicyChecks(policy);
  return policy.json;
}
