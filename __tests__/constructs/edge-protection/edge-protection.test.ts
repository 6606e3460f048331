import { Lb } from '@cdktf/provider-aws/lib/lb';
import {
  BODY_SIZE_RULE,
  CREDENTIAL_HEADERS,
  EdgeProtection,
  PROMPT_BODY_RULES,
  type EdgeProtectionProps,
} from '../../../lib/constructs/edge-protection/edge-protection';
import { synthConstruct, committedStack, testStage, type Json, settingsProblems } from '../../support/synth';

type Options = Omit<EdgeProtectionProps, 'naming' | 'environment' | 'logging' | 'loadBalancer'>;

function synthEdge(options: Options = {}) {
  return synthConstruct(({ stack, naming, environment, logging }) => {
    const alb = new Lb(stack, 'alb', {
      name: naming.shortName('alb'),
      loadBalancerType: 'application',
      subnets: ['subnet-a', 'subnet-b'],
    });
    new EdgeProtection(stack, 'edge', { naming, environment, logging, loadBalancer: alb, ...options });
  });
}

function ruleNamed(acl: Json, name: string): Json {
  const rule = (acl.rule as Json[]).find((r) => r.name === name);
  if (!rule) throw new Error(`no rule "${name}" in ${(acl.rule as Json[]).map((r) => r.name).join(', ')}`);
  return rule;
}

describe('EdgeProtection with defaults', () => {
  const synth = synthEdge();
  const acl = synth.resource('aws_wafv2_web_acl');

  it('is a regional web ACL that allows by default and is associated with the ALB', () => {
    expect(acl).toMatchObject({
      name: 'kong-gateway-test-edge',
      scope: 'REGIONAL',
      default_action: { allow: {} },
    });
    const association = synth.resource('aws_wafv2_web_acl_association');
    expect(association.resource_arn).toMatch(/^\$\{aws_lb\.alb\.arn\}$/);
    expect(association.web_acl_arn).toMatch(/^\$\{aws_wafv2_web_acl\..*\.arn\}$/);
  });

  it('evaluates the per-IP rate rules before the managed rule groups', () => {
    const order = (acl.rule as Json[]).sort((a, b) => a.priority - b.priority).map((r) => r.name);
    expect(order).toEqual([
      'rate-per-ip-unauthenticated',
      'rate-per-ip',
      'aws-known-bad-inputs',
      'aws-common',
      'aws-ip-reputation',
    ]);
    expect(new Set((acl.rule as Json[]).map((r) => r.priority)).size).toBe(5);
  });

  it('has no block list (no IP set, no rule) unless addresses are given', () => {
    expect(synth.resources('aws_wafv2_ip_set')).toHaveLength(0);
    expect((acl.rule as Json[]).map((r) => r.name)).not.toContain('blocked-addresses');
  });

  it('blocks more than 3000 requests per IP in 5 minutes with a JSON 429', () => {
    const rule = ruleNamed(acl, 'rate-per-ip');
    expect(rule.statement.rate_based_statement).toEqual({
      limit: 3000,
      aggregate_key_type: 'IP',
      evaluation_window_sec: 300,
    });
    expect(rule.action.block.custom_response).toEqual({
      response_code: 429,
      custom_response_body_key: 'rate-limited',
    });
    const body = (acl.custom_response_body as Json[]).find((b) => b.key === 'rate-limited');
    expect(body.content_type).toBe('APPLICATION_JSON');
    expect(JSON.parse(body.content)).toEqual({ message: expect.any(String) });
  });

  it('limits requests without any credential header much harder (300 per IP)', () => {
    const rate = ruleNamed(acl, 'rate-per-ip-unauthenticated').statement.rate_based_statement;
    expect(rate.limit).toBe(300);
    expect(rate.aggregate_key_type).toBe('IP');
    const inner = rate.scope_down_statement.not_statement.statement.regex_match_statement;
    expect(inner.field_to_match.headers.match_scope).toBe('KEY');
    expect(inner.text_transformation).toEqual({ priority: 0, type: 'LOWERCASE' });
    const regex = new RegExp(inner.regex_string);
    for (const header of CREDENTIAL_HEADERS) expect(regex.test(header)).toBe(true);
    expect(regex.test('content-type')).toBe(false);
    expect(regex.test('x-apikey-hint')).toBe(false);
  });

  it('uses the AWS managed KnownBadInputs, Common and IP reputation rule groups, enforcing (override none)', () => {
    for (const [rule, group] of [
      ['aws-known-bad-inputs', 'AWSManagedRulesKnownBadInputsRuleSet'],
      ['aws-common', 'AWSManagedRulesCommonRuleSet'],
      ['aws-ip-reputation', 'AWSManagedRulesAmazonIpReputationList'],
    ]) {
      const r = ruleNamed(acl, rule!);
      expect(r.override_action).toEqual({ none: {} });
      expect(r.statement.managed_rule_group_statement).toMatchObject({ vendor_name: 'AWS', name: group });
    }
  });

  it('counts instead of blocking the 8 KB body size rule and the prompt-body rules', () => {
    const overrides = ruleNamed(acl, 'aws-common').statement.managed_rule_group_statement
      .rule_action_override as Json[];
    expect(overrides.map((o) => o.name).sort()).toEqual([BODY_SIZE_RULE, ...PROMPT_BODY_RULES].sort());
    for (const o of overrides) expect(o.action_to_use).toEqual({ count: {} });
  });

  it('publishes CloudWatch metrics and samples for the ACL and every rule', () => {
    for (const v of [acl.visibility_config, ...(acl.rule as Json[]).map((r) => r.visibility_config)]) {
      expect(v).toMatchObject({ cloudwatch_metrics_enabled: true, sampled_requests_enabled: true });
    }
  });

  it('logs to an encrypted aws-waf-logs-* group with retention', () => {
    const group = synth.resourceNamed('aws_cloudwatch_log_group', 'edge');
    expect(group.name).toBe('aws-waf-logs-kong-gateway-test');
    expect(group.retention_in_days).toBe(30);
    expect(group.kms_key_id).toMatch(/aws_kms_key/);
    const config = synth.resource('aws_wafv2_web_acl_logging_configuration');
    expect(config.log_destination_configs).toEqual([
      expect.stringMatching(/aws_cloudwatch_log_group\.edge_.*\.arn/),
    ]);
    expect(config.resource_arn).toMatch(/aws_wafv2_web_acl\./);
  });

  it('redacts every credential header and the query string from WAF logs', () => {
    const redacted = synth.resource('aws_wafv2_web_acl_logging_configuration').redacted_fields as Json[];
    const headers = redacted.filter((f) => f.single_header).map((f) => f.single_header.name);
    expect(headers.sort()).toEqual(['apikey', 'authorization', 'x-api-key']);
    expect(redacted.some((f) => f.query_string)).toBe(true);
  });

  it('logs only blocked and counted requests', () => {
    const filter = synth.resource('aws_wafv2_web_acl_logging_configuration').logging_filter;
    expect(filter.default_behavior).toBe('DROP');
    const actions = filter.filter[0].condition.map((c: Json) => c.action_condition.action);
    expect(actions.sort()).toEqual(['BLOCK', 'COUNT']);
  });

  it('lets only the log delivery service of this account write to the WAF log group', () => {
    const doc = synth.dataSources('aws_iam_policy_document').find((d) => d.name.includes('log-delivery'))!;
    const statement = doc.values.statement[0];
    expect(statement.principals).toEqual([{ type: 'Service', identifiers: ['delivery.logs.amazonaws.com'] }]);
    expect(statement.resources).toEqual([
      expect.stringMatching(/aws_cloudwatch_log_group\.edge_.*\.arn\}:\*$/),
    ]);
    expect(statement.condition.map((c: Json) => c.variable).sort()).toEqual([
      'aws:SourceAccount',
      'aws:SourceArn',
    ]);
    expect(synth.resource('aws_wafv2_web_acl_logging_configuration').depends_on).toEqual([
      expect.stringMatching(/^aws_cloudwatch_log_resource_policy\./),
    ]);
  });
});

describe('EdgeProtection options', () => {
  it('blocks listed addresses before every other rule', () => {
    const synth = synthEdge({ blockedCidrs: ['203.0.113.7/32', '198.51.100.0/24'] });
    expect(synth.resource('aws_wafv2_ip_set')).toMatchObject({
      scope: 'REGIONAL',
      ip_address_version: 'IPV4',
      addresses: ['203.0.113.7/32', '198.51.100.0/24'],
    });
    const rules = (synth.resource('aws_wafv2_web_acl').rule as Json[]).sort(
      (a, b) => a.priority - b.priority,
    );
    expect(rules[0]).toMatchObject({
      name: 'blocked-addresses',
      action: { block: {} },
      statement: { ip_set_reference_statement: { arn: expect.stringMatching(/aws_wafv2_ip_set\./) } },
    });
    expect(rules).toHaveLength(6);
  });

  it('enforces the prompt-body rules when asked, but never the 8 KB body size rule', () => {
    const acl = synthEdge({ promptBodyRules: 'block' }).resource('aws_wafv2_web_acl');
    const overrides = ruleNamed(acl, 'aws-common').statement.managed_rule_group_statement
      .rule_action_override;
    expect(overrides).toEqual([{ name: BODY_SIZE_RULE, action_to_use: { count: {} } }]);
  });

  it('takes the rate limits, log retention and full logging from props', () => {
    const synth = synthEdge({
      ratePerIpPer5Minutes: 6000,
      unauthenticatedRatePerIpPer5Minutes: 100,
      logRetentionDays: 365,
      logAllowedRequests: true,
    });
    const acl = synth.resource('aws_wafv2_web_acl');
    expect(ruleNamed(acl, 'rate-per-ip').statement.rate_based_statement.limit).toBe(6000);
    expect(ruleNamed(acl, 'rate-per-ip-unauthenticated').statement.rate_based_statement.limit).toBe(100);
    expect(synth.resourceNamed('aws_cloudwatch_log_group', 'edge').retention_in_days).toBe(365);
    expect(synth.resource('aws_wafv2_web_acl_logging_configuration').logging_filter).toBeUndefined();
  });

  it('rejects a rate limit AWS WAF does not accept', () => {
    expect(() => synthEdge({ ratePerIpPer5Minutes: 5 })).toThrow(
      /ratePerIpPer5Minutes is 5; AWS WAF accepts whole numbers from 10/,
    );
  });
});

describe('waf stage settings', () => {
  it('is on in prod and off in dev, with production-grade defaults', () => {
    expect(testStage('prod').settings.waf).toMatchObject({ enabled: true, promptBodyRules: 'count' });
    expect(testStage('dev').settings.waf).toEqual({
      enabled: false,
      ratePerIpPer5Minutes: 3000,
      unauthenticatedRatePerIpPer5Minutes: 300,
      promptBodyRules: 'count',
      blockedCidrs: [],
    });
    expect(testStage('dev', (r) => delete r.waf).settings.waf.enabled).toBe(true);
  });

  it('is required by the production profile', () => {
    expect(settingsProblems('prod', (r) => (r.waf.enabled = false)).join('\n')).toMatch(
      /waf\.enabled: must be true.*required by profile "production"/,
    );
  });

  it('rejects a per-IP limit below what the largest consumer may send in 5 minutes', () => {
    // chat-frontend may send 600 per minute = 3000 per 5 minutes.
    expect(settingsProblems('prod', (r) => (r.waf.ratePerIpPer5Minutes = 2000)).join('\n')).toMatch(
      /waf\.ratePerIpPer5Minutes: 2000 is below what consumer "chat-frontend" may send in 5 minutes \(3000\)/,
    );
  });

  it('rejects an unauthenticated limit above the general one', () => {
    expect(
      settingsProblems('prod', (r) => (r.waf.unauthenticatedRatePerIpPer5Minutes = 7000)).join('\n'),
    ).toMatch(/waf\.unauthenticatedRatePerIpPer5Minutes: 7000 is above ratePerIpPer5Minutes 6000/);
  });

  it('rejects a blocked address that is not a CIDR', () => {
    expect(settingsProblems('prod', (r) => (r.waf.blockedCidrs = ['203.0.113.7'])).join('\n')).toMatch(
      /waf\.blockedCidrs\[0\]: must be an IPv4 CIDR/,
    );
  });

  it('ignores the consumer check when WAF is off', () => {
    expect(() =>
      testStage('dev', (r) => {
        r.waf = { enabled: false, ratePerIpPer5Minutes: 10, unauthenticatedRatePerIpPer5Minutes: 10 };
      }),
    ).not.toThrow();
  });
});

describe('edge protection in the stages', () => {
  const prod = committedStack('prod');
  const dev = committedStack('dev');

  it("prod puts the web ACL on its public ALB, with the stage's rate limits", () => {
    const association = prod.resource('aws_wafv2_web_acl_association');
    const alb = prod.deref(association.resource_arn);
    expect(alb?.type).toBe('aws_lb');
    expect(alb?.values.internal).not.toBe(true);
    const acl = prod.resource('aws_wafv2_web_acl');
    expect(ruleNamed(acl, 'rate-per-ip').statement.rate_based_statement.limit).toBe(6000);
    expect(prod.resourceNamed('aws_cloudwatch_log_group', 'edge-protection').name).toBe(
      'aws-waf-logs-kong-gateway-prod',
    );
  });

  it('dev has no WAF (waf.enabled false)', () => {
    expect(dev.resources('aws_wafv2_web_acl')).toHaveLength(0);
    expect(dev.resources('aws_wafv2_web_acl_association')).toHaveLength(0);
  });
});
