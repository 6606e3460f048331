import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import type { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import type { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import type { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import type { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import { Password } from '@cdktf/provider-random/lib/password';
import type { AwsEnvironment } from '../shared/aws-environment';
import { consumerKeyVar, consumerPreviousKeyVar } from '../../contracts/deck-env-names';
import { generatedSecret } from '../shared/generated-secret';
import { injectableSecrets, type ContainerSecret, type InjectedSecrets } from '../shared/injected-secrets';
import { accountAdministeredKeyPolicy, customerManagedKey } from '../shared/kms-key-policy';
import { consumerSecretName, type Naming } from '../../contracts/naming';

/** One consumer as {@link ConsumerKeys} needs it. */
export interface ConsumerKeySpec {
  /** The consumer name (`CONSUMER_NAME_PATTERN`); part of the secret name and the key variables. */
  readonly name: string;
  /** Generation of the current key: raising it generates a new key (a rotation or a revocation). */
  readonly keyVersion: number;
  /** While true the secret also carries the previous key, so both are valid during a rotation. */
  readonly rotating: boolean;
}

/** Props of {@link ConsumerKeys}. */
export interface ConsumerKeysProps {
  /** Stage naming (the stage name is part of every secret name). */
  readonly naming: Naming;
  /** Region for the `kms:ViaService` condition of the read policy. */
  readonly environment: AwsEnvironment;
  /** The consumers, each with its key generation and rotation flag. */
  readonly consumers: readonly ConsumerKeySpec[];
  /**
   * Days a deleted key secret stays recoverable: 0 deletes at once (a stage to destroy and
   * recreate), else 7..30.
   * @default 30
   */
  readonly recoveryWindowDays?: number;
  /**
   * Days a scheduled deletion of the keys' KMS key waits (7..30).
   * @default 30
   */
  readonly keyDeletionWindowDays?: number;
  /**
   * Length of a generated key (letters and digits, so it is URL- and header-safe).
   * @default 48
   */
  readonly keyLength?: number;
}

/** What one consumer's key secret exposes. */
export interface ConsumerKeySecret {
  /** The consumer name. */
  readonly consumer: string;
  /** The secret, `kong-gateway/<stage>/consumers/<name>`. */
  readonly secret: SecretsmanagerSecret;
  /** The secret's name (a literal). */
  readonly secretName: string;
  /** The version holding the key JSON: a task injecting the key waits for it. */
  readonly version: SecretsmanagerSecretVersion;
  /** Variable the decK container receives the current key in: `DECK_CONSUMER_<STEM>_KEY`. */
  readonly keyVariable: string;
  /** Variable of the previous key, set only while rotating: `DECK_CONSUMER_<STEM>_PREVIOUS_KEY`. */
  readonly previousKeyVariable: string;
  /** Whether the secret carries `previous` now. */
  readonly rotating: boolean;
}

/**
 * The slot (0 or 1) holding key generation `generation`, and the generation each slot holds while
 * `current` is the newest: slot `current % 2` holds `current`, the other slot `current - 1`.
 * Raising `current` by one therefore changes only the other slot's keeper: its key is regenerated
 * and becomes current, while the old current key stays in its slot as `previous`.
 */
export function keySlotGenerations(current: number): [number, number] {
  return current % 2 === 0 ? [current, current - 1] : [current - 1, current];
}

/**
 * One Secrets Manager secret per consumer, holding a generated API key as JSON
 * `{"current": "<key>"}` and, while the consumer is rotating, `"previous": "<key>"` beside it, so
 * clients can move to the new key while the old one still works. Keys come from two
 * `random_password` slots per consumer that alternate between generations
 * (docs/runbooks/rotate-consumer-key.md). All secrets are encrypted with one customer-managed key
 * of their own.
 */
export class ConsumerKeys extends Construct {
  /** Customer-managed key encrypting every consumer key secret. */
  readonly key: KmsKey;
  /** Per consumer, by name. */
  readonly consumers: ReadonlyMap<string, ConsumerKeySecret>;
  /**
   * ECS `secrets` for the decK config-sync container (JSON-key references, never values), the
   * grant its task's execution role needs ({@link grantRead}) and the secret versions to wait for.
   */
  readonly injectedSecrets: InjectedSecrets;

  constructor(scope: Construct, id: string, props: ConsumerKeysProps) {
    super(scope, id);
    const { naming, environment: env } = props;
    if (props.consumers.length === 0) throw new Error('ConsumerKeys: at least one consumer is required');
    const keyLength = props.keyLength ?? 48;
    if (keyLength < 32) throw new Error(`ConsumerKeys: keyLength must be at least 32, got ${keyLength}`);

    this.key = customerManagedKey(this, {
      description: `Consumer API key secrets of ${naming.prefix}`,
      aliasName: naming.name('consumer-keys'),
      deletionWindowDays: props.keyDeletionWindowDays ?? 30,
      policyJson: accountAdministeredKeyPolicy(this, env),
    });

    const consumers = new Map<string, ConsumerKeySecret>();
    const containerSecrets: ContainerSecret[] = [];
    for (const spec of props.consumers) {
      if (consumers.has(spec.name))
        throw new Error(`ConsumerKeys: consumer "${spec.name}" is declared twice`);
      if (spec.rotating && spec.keyVersion < 2) {
        throw new Error(
          `ConsumerKeys: consumer "${spec.name}" is rotating at keyVersion ${spec.keyVersion}; a rotation needs keyVersion >= 2`,
        );
      }
      const entry = this.createConsumer(spec, naming, keyLength, props.recoveryWindowDays ?? 30);
      consumers.set(spec.name, entry);
      containerSecrets.push({ name: entry.keyVariable, valueFrom: `${entry.secret.arn}:current::` });
      // ECS refuses to start a task whose secret lacks a referenced JSON key, so `previous` is
      // referenced exactly while the secret carries it.
      if (entry.rotating) {
        containerSecrets.push({
          name: entry.previousKeyVariable,
          valueFrom: `${entry.secret.arn}:previous::`,
        });
      }
    }
    this.consumers = consumers;

    this.injectedSecrets = injectableSecrets(this, 'read-keys', {
      subject: 'ConsumerKeys',
      secretArns: [...consumers.values()].map((c) => c.secret.arn),
      keyArn: this.key.arn,
      region: env.region,
      containerSecrets,
      versions: [...consumers.values()].map((c) => c.version),
    });
  }

  /**
   * Lets `role` (an execution role) read every consumer key: `GetSecretValue` on exactly these
   * secrets and `kms:Decrypt` on their key via Secrets Manager, as the inline policy
   * `read-consumer-keys`.
   */
  grantRead(role: IamRole): IamRolePolicy {
    return this.injectedSecrets.grantRead(role);
  }

  /** Secret names by consumer (literals). */
  get secretNames(): Record<string, string> {
    return Object.fromEntries([...this.consumers.values()].map((c) => [c.consumer, c.secretName]));
  }

  /** Secret ARNs by consumer (tokens). */
  get secretArns(): Record<string, string> {
    return Object.fromEntries([...this.consumers.values()].map((c) => [c.consumer, c.secret.arn]));
  }

  private createConsumer(
    spec: ConsumerKeySpec,
    naming: Naming,
    keyLength: number,
    recoveryWindowDays: number,
  ): ConsumerKeySecret {
    // The construct ID holds the consumer name: it is the Terraform address of the consumer's keys.
    const scope = new Construct(this, spec.name);
    const generations = keySlotGenerations(spec.keyVersion);
    const slots = generations.map(
      (generation, slot) =>
        new Password(scope, `key-slot-${slot}`, {
          length: keyLength,
          special: false, // letters and digits only: safe in URLs, headers and decK YAML
          keepers: { generation: String(generation) },
        }),
    );
    const current = slots[spec.keyVersion % 2]!;
    const previous = slots[(spec.keyVersion + 1) % 2]!;

    const secretName = consumerSecretName(naming.stage, spec.name);
    const { secret, value: version } = generatedSecret(scope, {
      id: 'secret',
      valueId: 'value',
      name: secretName,
      description: `API key of the Kong consumer "${spec.name}" (${naming.prefix}): {"current"} plus {"previous"} while rotating`,
      kmsKeyArn: this.key.arn,
      recoveryWindowDays,
      value: Fn.jsonencode(
        spec.rotating ? { current: current.result, previous: previous.result } : { current: current.result },
      ),
      rotation:
        'keys rotate through the stage settings (consumers[].rotating, two valid keys) in a deploy that updates Kong too, not by a Lambda',
    });

    return {
      consumer: spec.name,
      secret,
      secretName,
      version,
      // The same names the decK file references: one definition for both sides of the contract.
      keyVariable: consumerKeyVar(spec.name),
      previousKeyVariable: consumerPreviousKeyVar(spec.name),
      rotating: spec.rotating,
    };
  }
}
