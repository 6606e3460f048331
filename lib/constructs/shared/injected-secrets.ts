/**
 * How a construct that owns secrets hands them to an ECS task without anyone seeing the values:
 * ECS `secrets` entries (resolved by the execution role at task start), a `grantRead(role)` that
 * gives a role exactly what resolving them needs, and the secret versions a service must wait for.
 * Implemented by the consumer keys, the database and the rate-limit store; consumed by the Fargate
 * service base (`FargateServiceBase.grantSecrets`).
 */
import type { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import type { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';

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
   * Grants `role` exactly what resolving these entries needs (`secretsmanager:GetSecretValue` on
   * the secrets, `kms:Decrypt` on their key through Secrets Manager) as one inline policy named
   * `read-<subject>`, created under the role. Give it the task's execution role, never the task
   * role. Throws when the role already has this grant.
   */
  grantRead(role: IamRole): IamRolePolicy;
  /**
   * The secret versions the entries read. A service injecting them depends on these, so ECS
   * never starts a task before the value exists (nothing else orders them).
   */
  readonly versions: readonly ITerraformDependable[];
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

/** What {@link injectableSecrets} builds an {@link InjectedSecrets} from. */
export interface InjectableSecretsOptions extends SecretsReadPolicyOptions {
  /** The `secrets` entries a container gets. */
  readonly containerSecrets: readonly ContainerSecret[];
  /** The versions holding the values the entries read. */
  readonly versions: readonly ITerraformDependable[];
}

/**
 * The {@link InjectedSecrets} of a secret owner: the read policy document (data source `id` in
 * `scope`) and a `grantRead` that attaches it to a role as `read-<subject in kebab case>`. The
 * policy's name says what it reads, not where it stands in a list, so adding an owner changes
 * nobody else's grant.
 */
export function injectableSecrets(
  scope: Construct,
  id: string,
  o: InjectableSecretsOptions,
): InjectedSecrets {
  const document = secretsReadPolicy(scope, id, o);
  const policyName = `read-${o.subject.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`;
  return {
    containerSecrets: o.containerSecrets,
    versions: o.versions,
    grantRead(role: IamRole): IamRolePolicy {
      if (role.node.tryFindChild(policyName)) {
        throw new Error(`${scope.node.path}: ${role.node.path} already has the grant "${policyName}"`);
      }
      return new IamRolePolicy(role, policyName, {
        name: policyName,
        role: role.id,
        policy: document.json,
        // A renamed grant replaces the policy: create the new one before the old one goes, so a
        // task starting during the apply can still resolve its secrets.
        lifecycle: { createBeforeDestroy: true },
      });
    },
  };
}
