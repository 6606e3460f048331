import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { ComputePlatform } from '../../../lib/constructs/compute-platform/compute-platform';
import {
  FARGATE_MAX_STOP_TIMEOUT_SECONDS,
  UPSTREAM_DNS_TTL_SECONDS,
  UPSTREAM_SHUTDOWN_ACCEPT_SECONDS,
  UpstreamService,
  upstreamStopTimeoutSeconds,
  type UpstreamServiceProps,
} from '../../../lib/constructs/upstream/upstream-service';
import {
  logGroupsHaveRetention,
  nothingGetsPublicAddresses,
  onlyLoadBalancerIsWorldReachable,
} from '../../../lib/policy/rules';
import { synthConstruct, type Json, type SynthesizedStack, testNetwork } from '../../support/synth';

type Overrides = Partial<
  Omit<UpstreamServiceProps, 'naming' | 'environment' | 'logging' | 'network' | 'platform'>
>;

/** Synthesizes the upstream beside a stand-in for Kong's security group; `allow` wires allowFrom. */
function synthUpstream(
  overrides: Overrides = {},
  allow = true,
): { synth: SynthesizedStack; upstream: UpstreamService } {
  let upstream: UpstreamService | undefined;
  const synth = synthConstruct(({ stack, naming, environment, logging }) => {
    const network = testNetwork(
      { stack: stack, naming, environment, logging },
      { cidr: '10.1.0.0/16', azCount: 2, flowLogRetentionDays: 7 },
    );
    const platform = new ComputePlatform(stack, 'platform', { naming, network });
    upstream = new UpstreamService(stack, 'upstream', {
      naming,
      environment,
      logging,
      network,
      platform,
      imageTag: 'abc123def456',
      cpu: 256,
      memoryMiB: 512,
      ...overrides,
    });
    if (allow) {
      const kongSg = new SecurityGroup(stack, 'kong-sg', { name: 'kong', vpcId: network.vpc.id });
      upstream.allowFrom(kongSg);
    }
  });
  return { synth, upstream: upstream! };
}

function container(synth: SynthesizedStack): Json {
  const defs = JSON.parse(synth.resource('aws_ecs_task_definition').container_definitions);
  expect(defs).toHaveLength(1);
  return defs[0];
}

describe('UpstreamService', () => {
  const { synth, upstream } = synthUpstream();

  describe('ECR repository', () => {
    const repo = synth.resource('aws_ecr_repository');

    it('is per stage, with immutable tags and a scan on every push', () => {
      expect(repo).toMatchObject({
        name: 'kong-gateway/test/llm-gateway-placeholder',
        image_tag_mutability: 'IMMUTABLE',
        image_scanning_configuration: { scan_on_push: true },
        encryption_configuration: [{ encryption_type: 'KMS' }],
        force_delete: false,
      });
    });

    it('has a lifecycle policy: untagged images go after a day, the newest 30 are kept', () => {
      const lifecycle = synth.resource('aws_ecr_lifecycle_policy');
      expect(lifecycle.repository).toMatch(/^\$\{aws_ecr_repository\..*\.name\}$/);
      const rules = JSON.parse(lifecycle.policy).rules;
      expect(rules).toEqual([
        expect.objectContaining({
          rulePriority: 1,
          selection: {
            tagStatus: 'untagged',
            countType: 'sinceImagePushed',
            countUnit: 'days',
            countNumber: 1,
          },
          action: { type: 'expire' },
        }),
        expect.objectContaining({
          rulePriority: 2,
          selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 30 },
          action: { type: 'expire' },
        }),
      ]);
    });
  });

  describe('task definition', () => {
    const td = synth.resource('aws_ecs_task_definition');
    const c = container(synth);

    it('is a Fargate awsvpc task of the configured size, with an execution role and no task role', () => {
      expect(td).toMatchObject({
        family: 'kong-gateway-test-llm-gateway-placeholder',
        requires_compatibilities: ['FARGATE'],
        network_mode: 'awsvpc',
        cpu: '256',
        memory: '512',
        runtime_platform: { operating_system_family: 'LINUX', cpu_architecture: 'X86_64' },
      });
      expect(td.execution_role_arn).toMatch(/^\$\{aws_iam_role\..*\.arn\}$/);
      expect(td.task_role_arn).toBeUndefined();
    });

    it('runs the tagged image from the stage repository', () => {
      expect(c.image).toMatch(/^\$\{aws_ecr_repository\..*\.repository_url\}:abc123def456$/);
      expect(upstream.imageUri).toContain(':abc123def456');
    });

    it('runs non-root on a read-only root filesystem, unprivileged', () => {
      expect(c).toMatchObject({
        user: '1000:1000',
        readonlyRootFilesystem: true,
        privileged: false,
        essential: true,
      });
    });

    it('checks health with node (the image has no curl) and drains within its stop timeout', () => {
      expect(c.healthCheck).toMatchObject({ command: ['CMD', 'node', 'dist/healthcheck.js'], retries: 3 });
      expect(c.stopTimeout).toBe(30);
      const env = Object.fromEntries(c.environment.map((e: Json) => [e.name, e.value]));
      expect(Number(env.PLACEHOLDER_SHUTDOWN_TIMEOUT_MS)).toBe(25_000);
      expect(Number(env.PLACEHOLDER_SHUTDOWN_TIMEOUT_MS)).toBeLessThan(c.stopTimeout * 1000);
    });

    it('keeps serving after SIGTERM until the Cloud Map TTL plus a margin has passed', () => {
      const env = Object.fromEntries(c.environment.map((e: Json) => [e.name, e.value]));
      const ttl = synth.resource('aws_service_discovery_service').dns_config.dns_records[0].ttl;
      expect(ttl).toBe(UPSTREAM_DNS_TTL_SECONDS);
      expect(Number(env.PLACEHOLDER_SHUTDOWN_ACCEPT_MS)).toBe((ttl + 5) * 1000);
      // the drain limit outlasts the accept window
      expect(Number(env.PLACEHOLDER_SHUTDOWN_TIMEOUT_MS)).toBeGreaterThan(
        Number(env.PLACEHOLDER_SHUTDOWN_ACCEPT_MS),
      );
    });

    it('listens on 8080 and passes only non-secret settings, the body limit at 8 MiB', () => {
      expect(c.portMappings).toEqual([{ name: 'http', containerPort: 8080, protocol: 'tcp' }]);
      expect(c.secrets).toBeUndefined();
      expect(c.environment).toEqual([
        { name: 'HOST', value: '0.0.0.0' },
        { name: 'PORT', value: '8080' },
        { name: 'PLACEHOLDER_MAX_BODY_BYTES', value: String(8 * 1024 * 1024) },
        { name: 'PLACEHOLDER_SHUTDOWN_TIMEOUT_MS', value: '25000' },
        { name: 'PLACEHOLDER_SHUTDOWN_ACCEPT_MS', value: '15000' },
        // Off unless the stage asks: with it, any consumer could hold a connection for minutes.
        { name: 'PLACEHOLDER_ALLOW_DELAY_OVERRIDE', value: 'false' },
      ]);
    });

    it('logs to its own log group through awslogs, non-blocking', () => {
      expect(c.logConfiguration.logDriver).toBe('awslogs');
      expect(c.logConfiguration.options).toMatchObject({
        'awslogs-group': expect.stringMatching(/^\$\{aws_cloudwatch_log_group\..*\.name\}$/),
        'awslogs-region': 'eu-west-1',
        mode: 'non-blocking',
      });
      const group = synth.deref(c.logConfiguration.options['awslogs-group']);
      expect(group?.values).toMatchObject({
        name: '/kong-gateway/test/llm-gateway-placeholder',
        retention_in_days: 30,
      });
      expect(group?.values.kms_key_id).toMatch(/^\$\{aws_kms_key\./);
    });
  });

  describe('ECS service', () => {
    const service = synth.resource('aws_ecs_service');

    it('runs in the private subnets without public addresses, on Fargate', () => {
      expect(service.network_configuration.assign_public_ip).toBe(false);
      const subnets = service.network_configuration.subnets as string[];
      expect(subnets).toHaveLength(2);
      for (const ref of subnets) expect(ref).toMatch(/^\$\{aws_subnet\.network_private-\d_.*\.id\}$/);
      expect(service.capacity_provider_strategy).toEqual([{ capacity_provider: 'FARGATE', weight: 1 }]);
      expect(service.desired_count).toBe(2);
    });

    it('rolls back a failing deployment and keeps full capacity while deploying', () => {
      expect(service).toMatchObject({
        deployment_circuit_breaker: { enable: true, rollback: true },
        deployment_minimum_healthy_percent: 100,
        deployment_maximum_percent: 200,
        enable_execute_command: false,
      });
    });

    it('registers its tasks in Cloud Map, so Kong finds it at llm-gateway.<namespace>:8080', () => {
      expect(service.service_registries.registry_arn).toMatch(
        /^\$\{aws_service_discovery_service\..*\.arn\}$/,
      );
      const discovery = synth.resource('aws_service_discovery_service');
      expect(discovery).toMatchObject({
        name: 'llm-gateway',
        dns_config: { routing_policy: 'MULTIVALUE', dns_records: [{ type: 'A', ttl: 10 }] },
        health_check_custom_config: {},
      });
      // Deprecated since aws 6.0: every validate warned about it.
      expect(discovery.health_check_custom_config).not.toHaveProperty('failure_threshold');
      expect(discovery.dns_config.namespace_id).toMatch(/^\$\{aws_service_discovery_private_dns_namespace\./);
      expect(upstream.dnsName).toBe('llm-gateway.test.kong-gateway.internal');
      expect(upstream.url).toBe('http://llm-gateway.test.kong-gateway.internal:8080');
    });
  });

  describe('network access', () => {
    const sgName = (ref: string): string => synth.deref(ref)!.name;
    const upstreamSg = synth
      .resources('aws_security_group')
      .find((r) => r.values.name === 'kong-gateway-test-upstream')!;

    it('has a security group without inline rules', () => {
      expect(upstreamSg.values.ingress).toBeUndefined();
      expect(upstreamSg.values.egress).toBeUndefined();
      expect(upstreamSg.values.vpc_id).toMatch(/^\$\{aws_vpc\./);
    });

    it('admits only the peer named through allowFrom, on 8080, and no address range', () => {
      const ingress = synth
        .resources('aws_vpc_security_group_ingress_rule')
        .filter((r) => sgName(r.values.security_group_id) === upstreamSg.name);
      expect(ingress).toHaveLength(1);
      expect(ingress[0]!.values).toMatchObject({ ip_protocol: 'tcp', from_port: 8080, to_port: 8080 });
      expect(ingress[0]!.values.cidr_ipv4).toBeUndefined();
      const peer = synth.deref(ingress[0]!.values.referenced_security_group_id);
      expect(peer?.values.name).toBe('kong');
    });

    it('admits nobody until allowFrom is called', () => {
      const { synth: closed } = synthUpstream({}, false);
      expect(closed.resources('aws_vpc_security_group_ingress_rule')).toEqual([]);
    });

    it('may only leave on 443 (image pull, logs)', () => {
      const egress = synth
        .resources('aws_vpc_security_group_egress_rule')
        .filter((r) => sgName(r.values.security_group_id) === upstreamSg.name);
      expect(egress.map((r) => r.values)).toEqual([
        expect.objectContaining({ ip_protocol: 'tcp', from_port: 443, to_port: 443, cidr_ipv4: '0.0.0.0/0' }),
      ]);
    });
  });

  describe('execution role', () => {
    const role = synth.resourceNamed('aws_iam_role', 'upstream_execution-role');
    const docs = Object.fromEntries(
      synth.dataSources('aws_iam_policy_document').map((d) => [d.name, d.values]),
    );
    const doc = (fragment: string): Json =>
      Object.entries(docs).find(([name]) => name.includes(fragment))![1];

    it('can be assumed only by ECS tasks of this account', () => {
      expect(role.name).toBe('kong-gateway-test-upstream-execution');
      const [statement] = doc('execution-role-trust').statement;
      expect(statement.principals).toEqual([{ type: 'Service', identifiers: ['ecs-tasks.amazonaws.com'] }]);
      expect(statement.condition.map((c: Json) => c.variable)).toEqual([
        'aws:SourceAccount',
        'aws:SourceArn',
      ]);
    });

    it('may pull only this repository and write only this log group (no managed policies)', () => {
      const statements = doc('execution-policy-document').statement;
      expect(statements).toEqual([
        {
          sid: 'WriteLogs',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [expect.stringMatching(/^\$\{aws_cloudwatch_log_group\..*\.arn\}:\*$/)],
        },
        { sid: 'EcrLogin', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] },
        {
          sid: 'PullImages',
          actions: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
          resources: [expect.stringMatching(/^\$\{aws_ecr_repository\..*\.arn\}$/)],
        },
      ]);
      expect(synth.resources('aws_iam_role_policy_attachment')).toEqual([]);
    });
  });

  it('satisfies the stack policy rules that apply to it', () => {
    for (const rule of [
      logGroupsHaveRetention,
      onlyLoadBalancerIsWorldReachable,
      nothingGetsPublicAddresses,
    ]) {
      expect(rule.check(synth)).toEqual([]);
    }
  });
});

describe('UpstreamService options', () => {
  it('passes the stage body limit, stop timeout, delay switch and task count through', () => {
    const { synth } = synthUpstream({
      maxBodyBytes: 4 * 1024 * 1024,
      stopTimeoutSeconds: 120,
      allowDelayOverride: true,
      desiredCount: 3,
      keepImages: 5,
      forceDeleteRepository: true,
    });
    const c = container(synth);
    const env = Object.fromEntries(c.environment.map((e: Json) => [e.name, e.value]));
    expect(env).toMatchObject({
      PLACEHOLDER_MAX_BODY_BYTES: '4194304',
      PLACEHOLDER_SHUTDOWN_TIMEOUT_MS: '115000',
      PLACEHOLDER_ALLOW_DELAY_OVERRIDE: 'true',
    });
    expect(c.stopTimeout).toBe(120);
    expect(synth.resource('aws_ecs_service').desired_count).toBe(3);
    expect(synth.resource('aws_ecr_repository').force_delete).toBe(true);
    expect(JSON.parse(synth.resource('aws_ecr_lifecycle_policy').policy).rules[1].selection.countNumber).toBe(
      5,
    );
  });

  it.each([
    [{ imageTag: 'latest' }, /imageTag "latest" is invalid/],
    [{ imageTag: 'has space' }, /imageTag "has space" is invalid/],
    [{ desiredCount: 0 }, /desiredCount 0 is invalid/],
    [{ stopTimeoutSeconds: 121 }, /stopTimeoutSeconds 121 is invalid: expected 21\.\.120/],
    [
      { stopTimeoutSeconds: 20 },
      /stopTimeoutSeconds 20 is invalid: expected 21\.\.120 \(the drain outlasts the 15 s accept window/,
    ],
    [{ maxBodyBytes: 10 }, /maxBodyBytes 10 is invalid/],
    [{ serviceName: 'LLM_gateway' }, /serviceName "LLM_gateway" is invalid/],
  ] as [Overrides, RegExp][])('rejects %j', (overrides, message) => {
    expect(() => synthUpstream(overrides)).toThrow(message);
  });
});

describe('upstreamStopTimeoutSeconds (sized from the longest stream a stage promises)', () => {
  it.each([
    // longest stream, stop timeout: accept window 15 + stream + 5 s to exit, at most 120
    [1, 21],
    [60, 80],
    [100, 120],
    [101, 120],
    [300, 120],
    [3600, 120],
  ])('a %i s stream gives a %i s stop timeout', (longest, stop) => {
    expect(upstreamStopTimeoutSeconds(longest)).toBe(stop);
    expect(stop).toBeLessThanOrEqual(FARGATE_MAX_STOP_TIMEOUT_SECONDS);
  });

  it("lets a stream accepted at the end of the window finish when it fits under Fargate's cap", () => {
    for (const longest of [1, 30, 60, 100]) {
      const drainLimit = upstreamStopTimeoutSeconds(longest) - 5;
      expect(drainLimit).toBeGreaterThanOrEqual(UPSTREAM_SHUTDOWN_ACCEPT_SECONDS + longest);
    }
  });
});
