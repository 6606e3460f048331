import type { Construct } from 'constructs';
import { TerraformOutput, TerraformStack } from 'cdktf';
import { AwsProvider, type AwsProviderConfig } from '@cdktf/provider-aws/lib/provider';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { AwsEnvironment } from '../constructs/shared/aws-environment';
import type { Stage } from '../settings/load';
import { ConsumerKeys } from '../constructs/consumer-keys/consumer-keys';
import { configureBackend } from './backend';
import { stageTags } from './tags';
import { Naming } from '../contracts/naming';
import { stackRules } from '../policy/rules';
import { applyStackPolicy } from '../policy/stack-policy-aspect';

/**
 * AWS services LocalStack serves without a paid tier (its open code) that a LocalStack stage may
 * use, keyed by the AWS provider's `endpoints` attribute name.
 */
export const LOCALSTACK_FREE_SERVICES = [
  'secretsmanager',
  'kms',
  'iam',
  'sts',
  'ec2',
  'logs',
  'ssm',
] as const;

/**
 * Services of the full stack that need a paid LocalStack tier (and so are left out of a LocalStack
 * stage): ECS, ELBv2, RDS, Cloud Map, Application Auto Scaling; ElastiCache and WAF as well.
 */
export const LOCALSTACK_PAID_SERVICES = [
  'ecs',
  'elbv2',
  'rds',
  'servicediscovery',
  'appautoscaling',
  'elasticache',
  'wafv2',
] as const;

/**
 * Terraform resource-type prefixes and the endpoint that serves them. A LocalStack stack may hold
 * only these types: any other would either fail on the free tier or, worse, reach an AWS endpoint
 * the provider was not pointed away from.
 */
export const LOCALSTACK_RESOURCE_PREFIXES: Readonly<
  Record<string, (typeof LOCALSTACK_FREE_SERVICES)[number]>
> = {
  aws_secretsmanager_: 'secretsmanager',
  aws_kms_: 'kms',
  aws_iam_: 'iam',
  aws_caller_identity: 'sts',
  aws_partition: 'sts', // computed locally by the provider; listed so the check accepts it
  aws_cloudwatch_log_: 'logs',
  aws_ssm_: 'ssm',
};

/**
 * Provider settings that send every call of the free-tier services to LocalStack. The credentials
 * are LocalStack's documented dummy pair, set here so that real AWS credentials in the environment
 * are never used by this stack.
 */
export function localStackProviderConfig(endpoint: string): Partial<AwsProviderConfig> {
  const url = endpoint.replace(/\/+$/, '');
  return {
    accessKey: 'test',
    secretKey: 'test',
    skipCredentialsValidation: true,
    skipMetadataApiCheck: 'true',
    s3UsePathStyle: true,
    endpoints: [Object.fromEntries(LOCALSTACK_FREE_SERVICES.map((s) => [s, url]))],
  };
}

/** Props of {@link LocalStackStack}. */
export interface LocalStackStackProps {
  /** A stage whose settings carry `localstack`. */
  readonly stage: Stage;
}

/**
 * The part of a stage that LocalStack's free tier serves, deployed to LocalStack: the consumer key
 * secrets and their KMS key, so the compose Kong can take its keys from there
 * (`npm run local:keys -- --from-localstack`). Everything that needs ECS, ELBv2, RDS, Cloud Map or
 * Application Auto Scaling (paid tiers) is left out; the compose profile runs those parts instead.
 */
export class LocalStackStack extends TerraformStack {
  readonly naming: Naming;
  readonly environment: AwsEnvironment;
  /** The consumers' API key secrets and their KMS key, as in the full stack. */
  readonly consumerKeys: ConsumerKeys;

  constructor(scope: Construct, id: string, props: LocalStackStackProps) {
    super(scope, id);
    const { stage } = props;
    const localstack = stage.settings.localstack;
    if (!localstack) {
      throw new Error(`LocalStackStack: stage "${stage.name}" has no "localstack" setting (${stage.file})`);
    }
    this.naming = new Naming(stage.name);
    const tags = stageTags(stage);
    new AwsProvider(this, 'aws', {
      region: stage.settings.region,
      defaultTags: [{ tags }],
      ...localStackProviderConfig(localstack.endpoint),
    });
    new RandomProvider(this, 'random');
    configureBackend(this, stage.name, stage.settings.backend);
    this.environment = new AwsEnvironment(this, 'environment', { region: stage.settings.region });
    // The same construct ID as in GatewayStack, so the Terraform addresses match.
    this.consumerKeys = new ConsumerKeys(this, 'consumer-keys', {
      naming: this.naming,
      environment: this.environment,
      consumers: stage.settings.consumers,
      recoveryWindowDays: stage.settings.consumerSecrets.recoveryWindowDays,
      keyDeletionWindowDays: 7,
    });
    // Names only, never a key: `npm run local:keys -- --from-localstack` reads the values.
    new TerraformOutput(this, 'consumer_key_secret_names', {
      description: 'Secrets Manager secret holding each consumer key (in LocalStack)',
      value: this.consumerKeys.secretNames,
    });

    // The same stack rules as the full stack; a violation fails the synth (lib/policy).
    applyStackPolicy(this, stackRules(Object.keys(tags)));
  }
}
