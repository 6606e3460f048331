import { Construct } from 'constructs';
import { LocalBackend, S3Backend, TerraformOutput, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { AwsEnvironment } from './aws-environment';
import { ComputePlatform } from './compute-platform';
import type { Stage } from './config/load';
import type { StageSettings } from './config/stage-settings';
import { LoadBalancer } from './load-balancer';
import { Logging } from './logging';
import { Naming } from './naming';
import { Network } from './network';
import { VpcEndpoints } from './vpc-endpoints';

/** Props of {@link GatewayStack}. */
export interface GatewayStackProps {
  /** The stage this stack deploys, with its validated settings. */
  readonly stage: Stage;
}

/** Tags every taggable resource of a stage carries, beside the stage file's `defaultTags`. */
export function stageTags(stage: Stage): Record<string, string> {
  return { ...stage.settings.defaultTags, Stage: stage.name, ManagedBy: 'cdktf' };
}

/**
 * One stage of the gateway: providers and state backend, then the constructs, each owning one
 * concern and handed the others' handles. Construct IDs are Terraform addresses: keep them stable.
 */
export class GatewayStack extends TerraformStack {
  readonly naming: Naming;
  readonly environment: AwsEnvironment;
  readonly logging: Logging;
  readonly network: Network;
  readonly platform: ComputePlatform;
  readonly loadBalancer: LoadBalancer;
  /** Interface and S3 gateway endpoints, when `network.vpcEndpoints` is on. */
  readonly vpcEndpoints?: VpcEndpoints;

  constructor(scope: Construct, id: string, props: GatewayStackProps) {
    super(scope, id);
    const { stage } = props;
    const settings = stage.settings;
    this.naming = new Naming(stage.name);

    new AwsProvider(this, 'aws', {
      region: settings.region,
      defaultTags: [{ tags: stageTags(stage) }],
    });
    new RandomProvider(this, 'random');
    configureBackend(this, stage.name, settings.backend);

    this.environment = new AwsEnvironment(this, 'environment', { region: settings.region });
    const production = settings.profile === 'production';
    this.logging = new Logging(this, 'logging', {
      environment: this.environment,
      naming: this.naming,
      defaultRetentionDays: settings.logRetentionDays,
      keyDeletionWindowDays: production ? 30 : 7,
    });

    this.network = new Network(this, 'network', {
      naming: this.naming,
      environment: this.environment,
      logging: this.logging,
      cidr: settings.network.vpcCidr,
      azCount: settings.network.azCount,
      natGateways: settings.network.natGateways,
      flowLogRetentionDays: settings.network.flowLogRetentionDays,
    });
    this.platform = new ComputePlatform(this, 'platform', { naming: this.naming, network: this.network });
    if (settings.network.vpcEndpoints) {
      this.vpcEndpoints = new VpcEndpoints(this, 'vpc-endpoints', {
        naming: this.naming,
        environment: this.environment,
        network: this.network,
      });
    }

    const lb = settings.loadBalancer;
    this.loadBalancer = new LoadBalancer(this, 'load-balancer', {
      naming: this.naming,
      environment: this.environment,
      network: this.network,
      ...(lb.domain ? { domain: lb.domain } : {}),
      allowedCidrs: lb.allowedCidrs,
      idleTimeoutSeconds: lb.idleTimeoutSeconds,
      // In-flight LLM responses may run as long as the upstream read timeout.
      deregistrationDelaySeconds: Math.min(3600, settings.kong.upstreamReadTimeoutSeconds),
      deletionProtection: lb.deletionProtection,
      accessLogs: lb.accessLogs,
      accessLogRetentionDays: settings.logRetentionDays,
    });

    this.createOutputs(stage);
  }

  private createOutputs(stage: Stage): void {
    const lb = this.loadBalancer;
    new TerraformOutput(this, 'alb_dns_name', {
      description: "The load balancer's DNS name",
      value: lb.alb.dnsName,
    });
    new TerraformOutput(this, 'base_url', {
      description: lb.https
        ? 'Base URL of the gateway'
        : 'Base URL of the gateway (plain HTTP: keys travel in clear)',
      value: lb.baseUrl,
    });
    new TerraformOutput(this, 'smoke_key_command', {
      description:
        "Prints the smoke consumer's key from Secrets Manager (needs secretsmanager:GetSecretValue)",
      value:
        `aws secretsmanager get-secret-value --region ${stage.settings.region} ` +
        `--secret-id kong-gateway/${stage.name}/consumers/smoke --query SecretString --output text | jq -r .current`,
    });
    new TerraformOutput(this, 'curl_example', {
      description: 'A request through the gateway; set KEY to a consumer key first',
      value: `curl -sS -H "apikey: $KEY" ${lb.baseUrl}/llm/v1/models`,
    });
  }
}

function configureBackend(stack: TerraformStack, stageName: string, backend: StageSettings['backend']): void {
  if (backend.type === 'local') {
    new LocalBackend(stack, { path: backend.path ?? `terraform.kong-gateway-${stageName}.tfstate` });
    return;
  }
  const s3 = new S3Backend(stack, {
    bucket: backend.bucket,
    key: backend.key,
    region: backend.region,
    encrypt: true,
    ...(backend.kmsKeyId ? { kmsKeyId: backend.kmsKeyId } : {}),
    ...(backend.dynamodbTable ? { dynamodbTable: backend.dynamodbTable } : {}),
  });
  // cdktf 0.21's S3Backend predates S3-native locking (Terraform/OpenTofu >= 1.10).
  if (backend.useLockfile) s3.addOverride('use_lockfile', true);
}
