/**
 * How a construct that owns secrets hands them to an ECS task without anyone seeing the values:
 * ECS `secrets` entries (resolved by the execution role at task start) plus the exact policy the
 * execution role needs to resolve them. Implemented by the consumer keys, the database and the
 * rate-limit store; consumed by the Kong service.
 */
import type { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';

/** One ECS container `secrets` entry. */
export interface ContainerSecret {
  /** Environment variable name inside the container. */
  readonly name: string;
  /** Secrets Manager ARN, optionally with a JSON key: `<arn>:<json-key>::`. */
  readonly valueFrom: string;
}

/** Secrets a task injects, with the grant that makes the injection work. */
export interface InjectedSecrets {
  /** The `secrets` entries to add to a container definition. */
  readonly containerSecrets: readonly ContainerSecret[];
  /**
   * IAM policy document (JSON) granting exactly what resolving these entries needs:
   * `secretsmanager:GetSecretValue` on the secrets and `kms:Decrypt` on their key. Attach it to the
   * task's execution role, never to the task role.
   */
  readonly readPolicyJson: string;
  /**
   * The resources that write the secrets' values (their `aws_secretsmanager_secret_version`s). A
   * task definition injecting the secrets depends on them, so the tasks an apply starts never read
   * the value from before that apply (a rotated key, a new password).
   * @default none: the values do not change after creation
   */
  readonly valueWriters?: readonly ITerraformDependable[];
}

/** What {@link secretsReadPolicy} grants. */
export interface SecretsReadPolicyOptions {
  /** Names the statements (`Read<subject>`, `Decrypt<subject>`), e.g. `ConsumerKeys`. */
  readonly subject: string;
  /** The secrets to read: exactly these, never a wildcard. */
  readonly secretArns: string[];
  /** The customer-managed key the secrets are encrypted with. */
  readonly keyArn: string;
  /** The region whose Secrets Manager may use the key on the reader's behalf. */
  readonly region: string;
}

/**
 * The read grant behind {@link InjectedSecrets.readPolicyJson}: `GetSecretValue` on exactly the
 * given secrets and `kms:Decrypt` on their key, only through Secrets Manager.
 */
export function secretsReadPolicy(
  scope: Construct,
  id: string,
  o: SecretsReadPolicyOptions,
): DataAwsIamPolicyDocument {
  return new DataAwsIamPolicyDocument(scope, id, {
    statement: [
      { sid: `Read${o.subject}`, actions: ['secretsmanager:GetSecretValue'], resources: o.secretArns },
      {
        sid: `Decrypt${o.subject}`,
        actions: ['kms:Decrypt'],
        resources: [o.keyArn],
        condition: [
          {
            test: 'StringEquals',
            variable: 'kms:ViaService',
            values: [`secretsmanager.${o.region}.amazonaws.com`],
          },
        ],
      },
    ],
  });
}
