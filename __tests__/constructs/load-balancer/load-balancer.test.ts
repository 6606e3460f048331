import { TerraformOutput } from 'cdktf';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import {
  LoadBalancer,
  TLS_POLICY,
  type LoadBalancerProps,
} from '../../../lib/constructs/load-balancer/load-balancer';
import {
  STAGE_NAMES,
  synthConstruct,
  synthStage,
  testStage,
  type Json,
  type SynthesizedStack,
  testNetwork,
} from '../../support/synth';

const DOMAIN = { name: 'gateway.example.com', hostedZoneId: 'Z0123456789EXAMPLE' };

function synthLoadBalancer(
  extra: Partial<Omit<LoadBalancerProps, 'naming' | 'environment' | 'network'>> = {},
): { synth: SynthesizedStack; lb: LoadBalancer } {
  let lb: LoadBalancer | undefined;
  const synth = synthConstruct(({ stack, naming, environment, logging }) => {
    const network = testNetwork(
      { stack: stack, naming, environment, logging },
      { cidr: '10.1.0.0/16', azCount: 2, flowLogRetentionDays: 7 },
    );
    lb = new LoadBalancer(stack, 'load-balancer', { naming, environment, network, ...extra });
    const targets = new SecurityGroup(stack, 'targets', { name: 'targets', vpcId: network.vpc.id });
    lb.connections.allowTo(targets, 8000, 'proxy');
    new TerraformOutput(stack, 'base_url', { value: lb.baseUrl });
    new TerraformOutput(stack, 'request_label', { value: lb.requestCountResourceLabel });
  });
  return { synth, lb: lb! };
}

function ingressPorts(synth: SynthesizedStack): { port: number; cidr: string }[] {
  return synth
    .resources('aws_vpc_security_group_ingress_rule')
    .map(({ values }) => ({ port: values.from_port, cidr: values.cidr_ipv4 }))
    .sort((a, b) => a.port - b.port || a.cidr.localeCompare(b.cidr));
}

describe('LoadBalancer with a domain (production shape)', () => {
  const { synth, lb } = synthLoadBalancer({
    domain: DOMAIN,
    allowedCidrs: ['203.0.113.0/24'],
    idleTimeoutSeconds: 400,
    deregistrationDelaySeconds: 310,
  });
  const alb = synth.resource('aws_lb');

  it('is a public ALB in the public subnets that drops invalid headers', () => {
    expect(alb).toMatchObject({
      internal: false,
      load_balancer_type: 'application',
      drop_invalid_header_fields: true,
      idle_timeout: 400,
      enable_deletion_protection: true,
      name: 'kgw-test-alb',
    });
    expect(alb.subnets).toEqual([
      expect.stringMatching(/^\$\{aws_subnet\.network_public-0_.*\.id\}$/),
      expect.stringMatching(/^\$\{aws_subnet\.network_public-1_.*\.id\}$/),
    ]);
  });

  it('serves HTTPS with the TLS 1.3/1.2 policy and a validated certificate', () => {
    const https = synth.resources('aws_lb_listener').find((l) => l.values.port === 443)!.values;
    expect(https.protocol).toBe('HTTPS');
    expect(https.ssl_policy).toBe(TLS_POLICY);
    expect(https.ssl_policy).toBe('ELBSecurityPolicy-TLS13-1-2-2021-06');
    expect(https.certificate_arn).toMatch(/^\$\{aws_acm_certificate_validation\..*\.certificate_arn\}$/);
    expect(https.default_action).toEqual([
      { type: 'forward', target_group_arn: expect.stringMatching(/aws_lb_target_group/) },
    ]);
  });

  it('redirects HTTP to HTTPS with a 301', () => {
    const http = synth.resources('aws_lb_listener').find((l) => l.values.port === 80)!.values;
    expect(http.protocol).toBe('HTTP');
    expect(http.default_action).toEqual([
      { type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', status_code: 'HTTP_301' } },
    ]);
  });

  it('validates the certificate through DNS in the hosted zone and aliases the name to the ALB', () => {
    expect(synth.resource('aws_acm_certificate')).toMatchObject({
      domain_name: DOMAIN.name,
      validation_method: 'DNS',
      lifecycle: { create_before_destroy: true },
    });
    const validationRecord = synth.resourceNamed('aws_route53_record', 'validation-record');
    expect(validationRecord.zone_id).toBe(DOMAIN.hostedZoneId);
    expect(validationRecord.name).toMatch(/domain_validation_options/);
    expect(synth.resource('aws_acm_certificate_validation').validation_record_fqdns).toEqual([
      expect.stringMatching(/aws_route53_record\..*validation-record.*\.fqdn/),
    ]);
    const alias = synth.resourceNamed('aws_route53_record', 'alias');
    expect(alias).toMatchObject({ zone_id: DOMAIN.hostedZoneId, name: DOMAIN.name, type: 'A' });
    expect(alias.alias.evaluate_target_health).toBe(true);
    expect(lb.baseUrl).toBe('https://gateway.example.com');
    expect(lb.https).toBe(true);
  });

  it('admits only 80 and 443 from the configured ranges, and reaches targets only on their ports', () => {
    expect(ingressPorts(synth)).toEqual([
      { port: 80, cidr: '203.0.113.0/24' },
      { port: 443, cidr: '203.0.113.0/24' },
    ]);
    const egress = synth.resources('aws_vpc_security_group_egress_rule').map((r) => r.values);
    expect(egress).toEqual([
      expect.objectContaining({
        from_port: 8000,
        to_port: 8000,
        ip_protocol: 'tcp',
        referenced_security_group_id: '${aws_security_group.targets.id}',
      }),
    ]);
    expect(egress[0].cidr_ipv4).toBeUndefined();
    expect(synth.resourceNamed('aws_security_group', 'load-balancer').ingress).toBeUndefined();
  });

  it("targets Kong's proxy port by IP, health-checks /status on the status port, drains streams", () => {
    const tg = synth.resource('aws_lb_target_group');
    expect(tg).toMatchObject({
      target_type: 'ip',
      port: 8000,
      protocol: 'HTTP',
      deregistration_delay: '310',
      load_balancing_algorithm_type: 'least_outstanding_requests',
    });
    expect(tg.health_check).toMatchObject({
      port: '8100',
      path: '/status',
      protocol: 'HTTP',
      matcher: '200',
    });
    expect(tg.health_check.path).not.toMatch(/ready/);
  });

  it('exposes the request-count label for autoscaling', () => {
    expect(synth.outputs.request_label.value).toMatch(
      /^\$\{aws_lb\..*\.arn_suffix\}\/\$\{aws_lb_target_group\..*\.arn_suffix\}$/,
    );
  });
});

describe('LoadBalancer client rules', () => {
  /** Ingress rules by Terraform address, with what they admit. */
  function ingressByAddress(allowedCidrs: string[]): Record<string, string> {
    const { synth } = synthLoadBalancer({ domain: DOMAIN, allowedCidrs });
    return Object.fromEntries(
      synth
        .resources('aws_vpc_security_group_ingress_rule')
        .map((r) => [r.name, `${r.values.from_port}:${r.values.cidr_ipv4}`]),
    );
  }

  it('GIVEN allowedCidrs reordered THEN every rule keeps its address (rules are keyed by the CIDR)', () => {
    const forward = ingressByAddress(['203.0.113.0/24', '198.51.100.0/24']);
    const reversed = ingressByAddress(['198.51.100.0/24', '203.0.113.0/24']);
    expect(Object.keys(forward)).toHaveLength(4);
    expect(reversed).toEqual(forward);
    expect(Object.keys(forward).sort()).toEqual([
      expect.stringMatching(/^load-balancer_ingress-443-198-51-100-0-24_[A-F0-9]{8}$/),
      expect.stringMatching(/^load-balancer_ingress-443-203-0-113-0-24_[A-F0-9]{8}$/),
      expect.stringMatching(/^load-balancer_ingress-80-198-51-100-0-24_[A-F0-9]{8}$/),
      expect.stringMatching(/^load-balancer_ingress-80-203-0-113-0-24_[A-F0-9]{8}$/),
    ]);
  });

  it('GIVEN a CIDR listed twice THEN the synth fails, naming it', () => {
    expect(() => ingressByAddress(['203.0.113.0/24', '203.0.113.0/24'])).toThrow(
      /ingress on port 80 from 203\.0\.113\.0\/24 is already allowed/,
    );
  });
});

describe('LoadBalancer access logs', () => {
  const { synth } = synthLoadBalancer({ domain: DOMAIN, accessLogRetentionDays: 30 });
  const alb = synth.resource('aws_lb');

  it('logs to a versioned SSE-S3 bucket (ALB logs cannot use KMS) with public access blocked', () => {
    expect(alb.access_logs).toMatchObject({ enabled: true, prefix: 'alb' });
    expect(alb.depends_on).toEqual([expect.stringMatching(/^aws_s3_bucket_policy\./)]);
    expect(synth.resource('aws_s3_bucket_server_side_encryption_configuration').rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' } },
    ]);
    expect(synth.resource('aws_s3_bucket_versioning').versioning_configuration.status).toBe('Enabled');
    expect(synth.resource('aws_s3_bucket_public_access_block')).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(synth.resource('aws_s3_bucket').force_destroy).toBe(false);
  });

  it('expires log objects and old versions', () => {
    const [rule] = synth.resource('aws_s3_bucket_lifecycle_configuration').rule;
    expect(rule.expiration).toEqual([{ days: 30 }]);
    expect(rule.noncurrent_version_expiration).toEqual([{ noncurrent_days: 7 }]);
  });

  it('denies plain-HTTP access and lets only ELB log delivery write', () => {
    const doc = synth
      .dataSources('aws_iam_policy_document')
      .find((d) => d.name.includes('access-logs'))!.values;
    const deny = doc.statement.find((s: Json) => s.effect === 'Deny');
    expect(deny.condition).toEqual([{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }]);
    const writers = doc.statement.filter((s: Json) => s.effect !== 'Deny');
    for (const w of writers) expect(w.actions).toEqual(['s3:PutObject']);
    expect(writers.map((w: Json) => w.principals[0].identifiers[0])).toEqual([
      expect.stringMatching(/aws_elb_service_account/),
      'logdelivery.elasticloadbalancing.amazonaws.com',
    ]);
  });
});

describe('LoadBalancer without a domain (throwaway dev stage)', () => {
  const { synth, lb } = synthLoadBalancer({ deletionProtection: false, accessLogs: false });

  it('forwards plain HTTP on 80 and opens nothing else', () => {
    const listeners = synth.resources('aws_lb_listener').map((l) => l.values);
    expect(listeners).toHaveLength(1);
    expect(listeners[0]).toMatchObject({ port: 80, protocol: 'HTTP' });
    expect(listeners[0].default_action[0].type).toBe('forward');
    expect(ingressPorts(synth)).toEqual([{ port: 80, cidr: '0.0.0.0/0' }]);
    expect(synth.outputs.base_url.value).toMatch(/^http:\/\/\$\{aws_lb\..*\.dns_name\}$/);
    expect(lb.https).toBe(false);
  });

  it('creates no certificate, DNS record or log bucket, and allows deletion', () => {
    expect(synth.resources('aws_acm_certificate')).toEqual([]);
    expect(synth.resources('aws_route53_record')).toEqual([]);
    expect(synth.resources('aws_s3_bucket')).toEqual([]);
    const alb = synth.resource('aws_lb');
    expect(alb.enable_deletion_protection).toBe(false);
    expect(alb.access_logs).toBeUndefined();
    expect(alb.idle_timeout).toBe(300);
  });
});

describe.each(STAGE_NAMES)('LoadBalancer in stage %s', (stageName) => {
  const stage = testStage(stageName);
  const lbSettings = stage.settings.loadBalancer;
  const synth = synthStage(stage);
  const alb = synth.resource('aws_lb');

  it('follows the stage settings', () => {
    expect(alb.idle_timeout).toBe(lbSettings.idleTimeoutSeconds);
    expect(alb.enable_deletion_protection).toBe(lbSettings.deletionProtection);
    expect(alb.access_logs?.enabled ?? false).toBe(lbSettings.accessLogs);
    expect(synth.resources('aws_lb_listener').some((l) => l.values.protocol === 'HTTPS')).toBe(
      lbSettings.domain !== undefined,
    );
    // Kong's tasks drain for the longest stream the stage promises (upstream.longestStreamSeconds).
    expect(synth.resource('aws_lb_target_group').deregistration_delay).toBe(
      String(stage.settings.upstream.longestStreamSeconds),
    );
  });

  it('outputs the DNS name, the base URL and a curl line without any key', () => {
    const outputs = synth.outputs;
    expect(outputs.alb_dns_name.value).toMatch(/aws_lb\..*\.dns_name/);
    const base = lbSettings.domain
      ? `https://${lbSettings.domain.name}`
      : expect.stringMatching(/^http:\/\//);
    expect(outputs.base_url.value).toEqual(base);
    expect(outputs.curl_example.value).toMatch(/^curl -sS -H "apikey: \$KEY" .*\/llm\/v1\/models$/);
    expect(outputs.smoke_key_command.value).toContain(
      `--secret-id kong-gateway/${stageName}/consumers/smoke`,
    );
    for (const o of Object.values(outputs)) expect((o as Json).sensitive).toBeUndefined();
  });
});

describe('LoadBalancer deregistration delay', () => {
  it.each([-1, 3601, 1.5])('refuses %p seconds (the ALB allows whole seconds 0..3600)', (seconds) => {
    expect(() => synthLoadBalancer({ deregistrationDelaySeconds: seconds })).toThrow(
      new RegExp(`deregistrationDelaySeconds ${seconds} is invalid: expected a whole number 0\\.\\.3600`),
    );
  });
});
