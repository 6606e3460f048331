import type { Construct } from 'constructs';
import { EcsTaskDefinition } from '@cdktf/provider-aws/lib/ecs-task-definition';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import { ComputePlatform } from '../../../lib/constructs/compute-platform/compute-platform';
import { VpcEndpoints } from '../../../lib/constructs/network/vpc-endpoints';
import {
  AWSLOGS_BUFFER,
  FARGATE_PLATFORM_VERSION,
  FargateServiceBase,
  type FargateAutoscaling,
  type FargateLaunchMode,
} from '../../../lib/constructs/shared/fargate-service';
import { injectableSecrets } from '../../../lib/constructs/shared/injected-secrets';
import {
  policyDocument,
  synthConstruct,
  synthStage,
  testNetwork,
  testStage,
  type ConstructTestContext,
  type Json,
  type SynthesizedStack,
} from '../../support/synth';

interface Options {
  readonly launchMode?: FargateLaunchMode;
  readonly endpoints?: boolean;
  readonly secrets?: boolean;
  readonly autoscaling?: FargateAutoscaling;
  /** Misuse: call grantSecrets after createService. */
  readonly grantLate?: boolean;
  /** Misuse: call createService twice. */
  readonly twice?: boolean;
}

/** The smallest service on the base: one container, one task definition. */
class TestService extends FargateServiceBase {
  constructor(scope: Construct, id: string, ctx: ConstructTestContext, o: Options) {
    const network = testNetwork(ctx);
    const platform = new ComputePlatform(ctx.stack, 'platform', { naming: ctx.naming, network });
    const endpoints = o.endpoints
      ? new VpcEndpoints(ctx.stack, 'vpc-endpoints', {
          naming: ctx.naming,
          environment: ctx.environment,
          network,
        })
      : undefined;
    super(scope, id, {
      naming: ctx.naming,
      environment: ctx.environment,
      logging: ctx.logging,
      network,
      platform,
      name: 'app',
      displayName: 'App',
      securityGroupDescription: 'App tasks',
      executionRoleDescription: 'Starts app tasks',
      logGroupName: ctx.naming.path('app'),
      logStreamPrefix: 'app',
      launchMode: o.launchMode ?? 'launch-type',
      ...(endpoints ? { awsApiEndpoints: endpoints } : {}),
    });
    const secrets = () => {
      const secret = new SecretsmanagerSecret(this, 'secret', { name: 'app-secret' });
      const version = new SecretsmanagerSecretVersion(this, 'secret-value', {
        secretId: secret.id,
        secretString: 'x',
      });
      return injectableSecrets(this, 'read-secret', {
        subject: 'AppSecret',
        secretArns: [secret.arn],
        keyArn: 'arn:aws:kms:eu-west-1:111122223333:key/app',
        region: 'eu-west-1',
        containerSecrets: [{ name: 'APP_SECRET', valueFrom: secret.arn }],
        versions: [version],
      });
    };
    if (o.secrets && !o.grantLate) this.grantSecrets([secrets()]);
    const task = new EcsTaskDefinition(this, 'task', {
      ...this.taskDefinitionBase(256, 512),
      family: 'app',
      containerDefinitions: JSON.stringify([this.containerDefinition('app', 'app:1', { essential: true })]),
    });
    const service = () =>
      this.createService({
        serviceName: 'app',
        taskDefinition: task,
        desiredCount: 2,
        ...(o.autoscaling ? { autoscaling: o.autoscaling } : {}),
      });
    service();
    if (o.twice) service();
    if (o.grantLate) this.grantSecrets([secrets()]);
  }
}

function build(o: Options = {}): SynthesizedStack {
  return synthConstruct((ctx) => {
    new TestService(ctx.stack, 'app', ctx, o);
  });
}

const egressOf = (synth: SynthesizedStack, group: string): Json[] =>
  synth
    .resources('aws_vpc_security_group_egress_rule')
    .map((r) => r.values)
    .filter((v) => v.security_group_id.includes(`aws_security_group.${group}`));

describe('FargateServiceBase', () => {
  describe('without VPC endpoints', () => {
    const synth = build();
    const service = synth.resource('aws_ecs_service');

    it('leaves only on HTTPS, to 0.0.0.0/0 (through NAT)', () => {
      expect(egressOf(synth, 'app_sg')).toEqual([
        expect.objectContaining({ from_port: 443, to_port: 443, ip_protocol: 'tcp', cidr_ipv4: '0.0.0.0/0' }),
      ]);
    });

    it('runs a pinned platform in the private subnets, on the cluster ARN, with a rollback circuit breaker', () => {
      expect(service).toMatchObject({
        launch_type: 'FARGATE',
        platform_version: FARGATE_PLATFORM_VERSION,
        cluster: expect.stringMatching(/^\$\{aws_ecs_cluster\.platform_cluster_[A-F0-9]+\.arn\}$/),
        deployment_circuit_breaker: { enable: true, rollback: true },
        deployment_minimum_healthy_percent: 100,
        deployment_maximum_percent: 200,
        availability_zone_rebalancing: 'ENABLED',
        enable_execute_command: false,
        network_configuration: {
          assign_public_ip: false,
          security_groups: [expect.stringMatching(/aws_security_group\.app_sg/)],
        },
      });
      expect(service.capacity_provider_strategy).toBeUndefined();
      expect(platformVersionIsPinned(FARGATE_PLATFORM_VERSION)).toBe(true);
    });

    it('lets only this account’s ECS assume the execution role (aws:SourceAccount and aws:SourceArn)', () => {
      const role = synth.resourceNamed('aws_iam_role', 'app_execution-role');
      expect(role.name).toBe('kong-gateway-test-app-execution');
      const [statement] = policyDocument(synth, role.assume_role_policy).statement;
      expect(statement.principals).toEqual([{ type: 'Service', identifiers: ['ecs-tasks.amazonaws.com'] }]);
      expect(statement.condition).toEqual([
        {
          test: 'StringEquals',
          variable: 'aws:SourceAccount',
          values: [expect.stringMatching(/data\.aws_caller_identity/)],
        },
        {
          test: 'ArnLike',
          variable: 'aws:SourceArn',
          values: [
            expect.stringMatching(
              /^arn:\$\{data\.aws_partition.*\}:ecs:eu-west-1:\$\{data\.aws_caller_identity.*\}:\*$/,
            ),
          ],
        },
      ]);
    });

    it('writes every container to its log group with awslogs, non-blocking with a 25 MiB buffer', () => {
      const [container] = JSON.parse(synth.resource('aws_ecs_task_definition').container_definitions);
      expect(container.readonlyRootFilesystem).toBe(true);
      expect(container.logConfiguration).toEqual({
        logDriver: 'awslogs',
        options: {
          'awslogs-group': expect.stringMatching(/aws_cloudwatch_log_group\.app_logs/),
          'awslogs-region': 'eu-west-1',
          'awslogs-stream-prefix': 'app',
          mode: 'non-blocking',
          'max-buffer-size': '25m',
        },
      });
      expect(AWSLOGS_BUFFER).toEqual({ mode: 'non-blocking', 'max-buffer-size': '25m' });
    });

    it('keeps a fixed count without autoscaling', () => {
      expect(synth.resources('aws_appautoscaling_target')).toEqual([]);
      expect(service.lifecycle).toBeUndefined();
      expect(service.desired_count).toBe(2);
    });
  });

  it('GIVEN launchMode capacity-provider THEN a FARGATE strategy and no launch_type', () => {
    const service = build({ launchMode: 'capacity-provider' }).resource('aws_ecs_service');
    expect(service.capacity_provider_strategy).toEqual([{ capacity_provider: 'FARGATE', weight: 1 }]);
    expect(service.launch_type).toBeUndefined();
    expect(service.platform_version).toBe(FARGATE_PLATFORM_VERSION);
  });

  describe('with VPC endpoints', () => {
    const synth = build({ endpoints: true });

    it('sends HTTPS only to the endpoints’ group and the S3 prefix list, never to an address range', () => {
      const egress = egressOf(synth, 'app_sg');
      expect(egress).toHaveLength(2);
      expect(egress.map((e) => e.cidr_ipv4)).toEqual([undefined, undefined]);
      expect(egress).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            from_port: 443,
            referenced_security_group_id: expect.stringMatching(/aws_security_group\.vpc-endpoints_sg/),
            lifecycle: { create_before_destroy: true },
          }),
          expect.objectContaining({
            from_port: 443,
            prefix_list_id: expect.stringMatching(
              /aws_vpc_endpoint\.vpc-endpoints_endpoint-s3.*\.prefix_list_id/,
            ),
          }),
        ]),
      );
    });

    it('is admitted by the endpoints on 443', () => {
      const ingress = synth
        .resources('aws_vpc_security_group_ingress_rule')
        .map((r) => r.values)
        .filter((v) => v.security_group_id.includes('vpc-endpoints_sg'));
      expect(ingress).toEqual([
        expect.objectContaining({
          from_port: 443,
          referenced_security_group_id: expect.stringMatching(/aws_security_group\.app_sg/),
          description: 'App tasks',
        }),
      ]);
    });
  });

  describe('with secrets', () => {
    const synth = build({ secrets: true });
    const service = synth.resource('aws_ecs_service');

    it('grants them to the execution role as a policy named for what it reads, created before the old one goes', () => {
      const grant = synth.resourceNamed('aws_iam_role_policy', 'read-app-secret');
      expect(grant).toMatchObject({
        name: 'read-app-secret',
        role: expect.stringMatching(/aws_iam_role\.app_execution-role/),
        lifecycle: { create_before_destroy: true },
      });
      expect(policyDocument(synth, grant.policy).statement[0]).toMatchObject({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [expect.stringMatching(/aws_secretsmanager_secret\.app_secret/)],
      });
    });

    it('makes the service wait for the execution policies and the secret version', () => {
      const names = (type: string) =>
        synth
          .resources(type)
          .filter((r) => r.name.startsWith('app_'))
          .map((r) => `${type}.${r.name}`);
      expect(names('aws_iam_role_policy')).toHaveLength(2);
      expect(service.depends_on).toEqual(
        expect.arrayContaining([
          ...names('aws_iam_role_policy'),
          ...names('aws_secretsmanager_secret_version'),
        ]),
      );
    });
  });

  it('GIVEN autoscaling THEN a target, a CPU policy, a request policy, and Terraform ignores desired_count', () => {
    const synth = build({
      autoscaling: {
        minCount: 2,
        maxCount: 6,
        cpuTargetPercent: 55,
        requestsPerTarget: { resourceLabel: 'app/x/1/targetgroup/y/2', perMinute: 900 },
      },
    });
    expect(synth.resource('aws_appautoscaling_target')).toMatchObject({ min_capacity: 2, max_capacity: 6 });
    const byName = Object.fromEntries(
      synth.resources('aws_appautoscaling_policy').map((p) => [p.values.name, p.values]),
    );
    expect(Object.keys(byName).sort()).toEqual([
      'kong-gateway-test-app-cpu',
      'kong-gateway-test-app-requests',
    ]);
    expect(
      byName['kong-gateway-test-app-cpu'].target_tracking_scaling_policy_configuration.target_value,
    ).toBe(55);
    expect(
      byName['kong-gateway-test-app-requests'].target_tracking_scaling_policy_configuration
        .predefined_metric_specification,
    ).toEqual({
      predefined_metric_type: 'ALBRequestCountPerTarget',
      resource_label: 'app/x/1/targetgroup/y/2',
    });
    expect(synth.resource('aws_ecs_service').lifecycle).toEqual({ ignore_changes: ['desired_count'] });
  });

  it('refuses a grant after the service exists (the service could not wait for it) and a second service', () => {
    expect(() => build({ secrets: true, grantLate: true })).toThrow(
      /grantSecrets must run before createService/,
    );
    expect(() => build({ twice: true })).toThrow(/createService runs once per service/);
  });
});

describe('Kong and the placeholder on the one base (stage prod)', () => {
  const synth = synthStage(testStage('prod'));
  const kong = synth.resourceNamed('aws_ecs_service', 'kong_service');
  const upstream = synth.resourceNamed('aws_ecs_service', 'upstream_service');
  const buffers = (fragment: string) =>
    JSON.parse(synth.resourceNamed('aws_ecs_task_definition', fragment).container_definitions).map(
      (c: Json) => c.logConfiguration.options['max-buffer-size'],
    );
  const trust = (fragment: string) =>
    policyDocument(synth, synth.resourceNamed('aws_iam_role', fragment).assume_role_policy).statement[0]
      .condition;

  it('agree on platform version, cluster reference, trust conditions and the awslogs buffer', () => {
    expect(upstream.platform_version).toBe(kong.platform_version);
    expect(upstream.cluster).toBe(kong.cluster);
    expect(trust('upstream_execution-role')).toEqual(trust('kong_execution-role'));
    expect(new Set([...buffers('kong_task'), ...buffers('upstream_task-definition')])).toEqual(
      new Set(['25m']),
    );
  });

  it('keep their own launch modes (a swap would replace the service)', () => {
    expect(kong.launch_type).toBe('FARGATE');
    expect(kong.capacity_provider_strategy).toBeUndefined();
    expect(upstream.capacity_provider_strategy).toEqual([{ capacity_provider: 'FARGATE', weight: 1 }]);
    expect(upstream.launch_type).toBeUndefined();
  });

  it('send HTTPS only to the VPC endpoints and S3, never to 0.0.0.0/0', () => {
    for (const group of ['kong_sg', 'upstream_sg']) {
      const https = egressOf(synth, group).filter((e) => e.from_port === 443);
      expect(https).toHaveLength(2);
      expect(https.some((e) => e.cidr_ipv4 !== undefined)).toBe(false);
    }
  });
});

/** A platform version is a literal release, never `LATEST` (which moves under a running stage). */
function platformVersionIsPinned(v: string): boolean {
  return /^\d+\.\d+\.\d+$/.test(v);
}
