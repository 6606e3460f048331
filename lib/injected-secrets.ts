/**
 * How a construct that owns secrets hands them to an ECS task without anyone seeing the values:
 * ECS `secrets` entries (resolved by the execution role at task start) plus the exact policy the
 * execution role needs to resolve them. Implemented by the consumer keys, the database and the
 * rate-limit store; consumed by the Kong service.
 */

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
}
