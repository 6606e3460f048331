import { Construct } from 'constructs';
import type { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchLogResourcePolicy } from '@cdktf/provider-aws/lib/cloudwatch-log-resource-policy';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import type { Lb } from '@cdktf/provider-aws/lib/lb';
import { Wafv2WebAcl, type Wafv2WebAclRule } from '@cdktf/provider-aws/lib/wafv2-web-acl';
import { Wafv2IpSet } from '@cdktf/provider-aws/lib/wafv2-ip-set';
import { Wafv2WebAclAssociation } from '@cdktf/provider-aws/lib/wafv2-web-acl-association';
import { Wafv2WebAclLoggingConfiguration } from '@cdktf/provider-aws/lib/wafv2-web-acl-logging-configuration';
import type { AwsEnvironment } from '../shared/aws-environment';
import { KEY_NAMES } from '../../contracts/key-headers';
import type { Logging } from '../logging/logging';
import { skipCheckov } from '../../policy/checkov';
import type { Naming } from '../../contracts/naming';

/**
 * Request headers that carry a consumer's key (key-auth's `key_names`, and `Authorization: Bearer`
 * that the pre-function maps onto them): redacted from WAF logs, and what "has a credential" means.
 */
export const CREDENTIAL_HEADERS = [...KEY_NAMES, 'authorization'] as const;

/**
 * The body-inspecting rules of `AWSManagedRulesCommonRuleSet` other than the size rule. LLM
 * prompts are free text that legitimately contains markup, file paths and URLs; these rules are
 * written for HTML form posts and would block prompts such as "explain this <script> tag".
 */
export const PROMPT_BODY_RULES = [
  'CrossSiteScripting_BODY',
  'GenericLFI_BODY',
  'GenericRFI_BODY',
  'EC2MetaDataSSRF_BODY',
] as const;

/**
 * Blocks bodies over 8 KB: almost every LLM prompt with context. Always counted, never blocked:
 * the body size limit belongs to Kong's `request-size-limiting` (stage setting
 * `kong.maxRequestBodyMiB`), which answers 413 with the gateway's JSON error.
 */
export const BODY_SIZE_RULE = 'SizeRestrictions_BODY';

/** AWS's managed IP reputation list (25 WCU). */
export const IP_REPUTATION_RULE_GROUP = 'AWSManagedRulesAmazonIpReputationList';

/** Props of {@link EdgeProtection}. */
export interface EdgeProtectionProps {
  /** Stage naming. */
  readonly naming: Naming;
  /** Account and region, for the log delivery policy. */
  readonly environment: AwsEnvironment;
  /** Creates the encrypted WAF log group. */
  readonly logging: Logging;
  /** The internet-facing ALB the web ACL protects. */
  readonly loadBalancer: Lb;
  /**
   * Requests one client IP may send per 5 minutes, whatever they carry.
   * @default 3000
   */
  readonly ratePerIpPer5Minutes?: number;
  /**
   * Requests one client IP may send per 5 minutes without any credential header
   * ({@link CREDENTIAL_HEADERS}). Kong's key-auth runs before its rate limiting, so such floods
   * are only stopped here.
   * @default 300
   */
  readonly unauthenticatedRatePerIpPer5Minutes?: number;
  /**
   * What the Common rule set's body rules ({@link PROMPT_BODY_RULES}) do: `count` logs and labels
   * matches without blocking; `block` enforces them.
   * @default "count"
   */
  readonly promptBodyRules?: 'count' | 'block';
  /**
   * IPv4 CIDRs blocked before any other rule (an IP set and a rule, only when non-empty).
   * @default none
   */
  readonly blockedCidrs?: readonly string[];
  /**
   * Retention of the WAF log group.
   * @default the stage's default log retention
   */
  readonly logRetentionDays?: number;
  /**
   * Log allowed requests too. Off by default: the ALB access logs and Kong's access log already
   * record them, and at gateway volume WAF logs of every request cost more than the WAF itself.
   * Blocked and counted requests (what tuning the rules needs) are always logged.
   * @default false
   */
  readonly logAllowedRequests?: boolean;
}

const RATE_LIMITED_BODY_KEY = 'rate-limited';

/**
 * AWS WAF in front of the ALB: blocked addresses, then per-IP rate rules (cheap, and the only defence against
 * floods of unauthenticated requests, which never reach Kong's per-consumer limits), then the AWS
 * managed KnownBadInputs and Common rule groups, with the Common set's body rules adapted to LLM
 * prompts, and Amazon's IP reputation list. The stricter no-credential rate rule is skipped by any
 * request carrying a key header, real or not: failed authentications are throttled per client by
 * Kong's key guard (infra/kong/README.md). Blocked and counted requests are logged to `aws-waf-logs-<stack>` with credential
 * headers and the query string redacted.
 */
export class EdgeProtection extends Construct {
  /** The web ACL. */
  readonly webAcl: Wafv2WebAcl;
  /** Where WAF writes its logs. */
  readonly logGroup: CloudwatchLogGroup;
  /** The web ACL's name: the `WebACL` dimension of its CloudWatch metrics. */
  readonly webAclName: string;
  /** The `Rule` dimension values of the rate rules, for alarms and dashboards. */
  readonly rateRuleMetricNames: { readonly perIp: string; readonly unauthenticated: string };

  constructor(scope: Construct, id: string, props: EdgeProtectionProps) {
    super(scope, id);
    const { naming, environment: env } = props;
    const ratePerIp = props.ratePerIpPer5Minutes ?? 3000;
    const rateUnauthenticated = props.unauthenticatedRatePerIpPer5Minutes ?? 300;
    checkRateLimit('ratePerIpPer5Minutes', ratePerIp);
    checkRateLimit('unauthenticatedRatePerIpPer5Minutes', rateUnauthenticated);

    this.webAclName = naming.name('edge');
    const metric = (suffix: string): string => `${naming.shortPrefix}-${suffix}`;
    this.rateRuleMetricNames = { perIp: metric('rate-per-ip'), unauthenticated: metric('rate-unauth') };
    const visibility = (metricName: string): Wafv2WebAclRule['visibilityConfig'] => ({
      cloudwatchMetricsEnabled: true,
      metricName,
      sampledRequestsEnabled: true,
    });
    const tooManyRequests: Wafv2WebAclRule['action'] = {
      block: { customResponse: { responseCode: 429, customResponseBodyKey: RATE_LIMITED_BODY_KEY } },
    };
    const countOverrides = [
      BODY_SIZE_RULE,
      ...((props.promptBodyRules ?? 'count') === 'count' ? PROMPT_BODY_RULES : []),
    ];

    // The provider types `statement` as `any` (it nests too deeply for the generator), so
    // statements are written in Terraform's snake_case, exactly as they appear in the JSON.
    const blocked = props.blockedCidrs ?? [];
    const blockRules: Wafv2WebAclRule[] = [];
    if (blocked.length > 0) {
      const ipSet = new Wafv2IpSet(this, 'blocked-addresses', {
        name: naming.name('blocked'),
        description: 'Client addresses blocked by the stage settings (waf.blockedCidrs)',
        scope: 'REGIONAL',
        ipAddressVersion: 'IPV4',
        addresses: [...blocked],
      });
      blockRules.push({
        name: 'blocked-addresses',
        priority: 0,
        action: { block: {} },
        statement: { ip_set_reference_statement: { arn: ipSet.arn } },
        visibilityConfig: visibility(metric('blocked')),
      });
    }

    const rules: Wafv2WebAclRule[] = [
      ...blockRules,
      {
        name: 'rate-per-ip-unauthenticated',
        priority: 1,
        action: tooManyRequests,
        statement: {
          rate_based_statement: {
            limit: rateUnauthenticated,
            aggregate_key_type: 'IP',
            evaluation_window_sec: 300,
            scope_down_statement: { not_statement: { statement: hasCredentialHeader() } },
          },
        },
        visibilityConfig: visibility(this.rateRuleMetricNames.unauthenticated),
      },
      {
        name: 'rate-per-ip',
        priority: 2,
        action: tooManyRequests,
        statement: {
          rate_based_statement: { limit: ratePerIp, aggregate_key_type: 'IP', evaluation_window_sec: 300 },
        },
        visibilityConfig: visibility(this.rateRuleMetricNames.perIp),
      },
      {
        name: 'aws-known-bad-inputs',
        priority: 3,
        overrideAction: { none: {} },
        statement: {
          managed_rule_group_statement: { vendor_name: 'AWS', name: 'AWSManagedRulesKnownBadInputsRuleSet' },
        },
        visibilityConfig: visibility(metric('known-bad-inputs')),
      },
      {
        name: 'aws-common',
        priority: 4,
        overrideAction: { none: {} },
        statement: {
          managed_rule_group_statement: {
            vendor_name: 'AWS',
            name: 'AWSManagedRulesCommonRuleSet',
            rule_action_override: countOverrides.map((name) => ({ name, action_to_use: { count: {} } })),
          },
        },
        visibilityConfig: visibility(metric('common')),
      },
      {
        // Addresses Amazon threat intelligence lists as bots, scanners and sources of attacks
        // (AWS WAF Developer Guide, "IP reputation rule groups"): the cheapest cut of key-guessing
        // and scanning traffic before it reaches Kong's key guard. Not the AnonymousIpList: that
        // one blocks hosting providers, where many API clients run.
        name: 'aws-ip-reputation',
        priority: 5,
        overrideAction: { none: {} },
        statement: {
          managed_rule_group_statement: { vendor_name: 'AWS', name: IP_REPUTATION_RULE_GROUP },
        },
        visibilityConfig: visibility(metric('ip-reputation')),
      },
    ];

    this.webAcl = new Wafv2WebAcl(this, 'web-acl', {
      name: this.webAclName,
      description: `Edge protection of ${naming.prefix}: per-IP rate rules and AWS managed rules`,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      customResponseBody: [
        {
          key: RATE_LIMITED_BODY_KEY,
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify({ message: 'Too many requests from this address' }),
        },
      ],
      rule: rules,
      visibilityConfig: {
        cloudwatchMetricsEnabled: true,
        metricName: metric('edge'),
        sampledRequestsEnabled: true,
      },
    });

    new Wafv2WebAclAssociation(this, 'association', {
      resourceArn: props.loadBalancer.arn,
      webAclArn: this.webAcl.arn,
    });
    skipCheckov(
      props.loadBalancer,
      'CKV2_AWS_76',
      'Log4j rule group (KnownBadInputs) is in the ACL; the check also wants AnonymousIpList, which would block API clients hosted in clouds',
    );

    // WAF only delivers to CloudWatch Logs groups named aws-waf-logs-*.
    this.logGroup = props.logging.logGroup(this, 'log-group', {
      name: `aws-waf-logs-${naming.prefix}`,
      ...(props.logRetentionDays === undefined ? {} : { retentionDays: props.logRetentionDays }),
    });

    // WAF writes through the log delivery service; without this policy it tries to add a broad
    // one itself (and accounts allow only 10 resource policies).
    const deliveryPolicy = new DataAwsIamPolicyDocument(this, 'log-delivery-policy', {
      statement: [
        {
          sid: 'WafLogDelivery',
          principals: [{ type: 'Service', identifiers: ['delivery.logs.amazonaws.com'] }],
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [`${this.logGroup.arn}:*`],
          condition: [
            { test: 'StringEquals', variable: 'aws:SourceAccount', values: [env.accountId] },
            { test: 'ArnLike', variable: 'aws:SourceArn', values: [env.arn('logs', '*')] },
          ],
        },
      ],
    });
    const resourcePolicy = new CloudwatchLogResourcePolicy(this, 'log-delivery', {
      policyName: naming.name('waf-log-delivery'),
      policyDocument: deliveryPolicy.json,
    });

    new Wafv2WebAclLoggingConfiguration(this, 'logging', {
      resourceArn: this.webAcl.arn,
      logDestinationConfigs: [this.logGroup.arn],
      // Keys must never reach a log; the query string is redacted too because a client that puts
      // its key there (Kong refuses it with 400, but WAF has already seen it) would otherwise leak it.
      redactedFields: [
        ...CREDENTIAL_HEADERS.map((name) => ({ singleHeader: { name } })),
        { queryString: {} },
      ],
      ...(props.logAllowedRequests
        ? {}
        : {
            loggingFilter: {
              defaultBehavior: 'DROP',
              filter: [
                {
                  behavior: 'KEEP',
                  requirement: 'MEETS_ANY',
                  condition: [
                    { actionCondition: { action: 'BLOCK' } },
                    { actionCondition: { action: 'COUNT' } },
                  ],
                },
              ],
            },
          }),
      dependsOn: [resourcePolicy],
    });
  }
}

/** A statement matching requests that carry any {@link CREDENTIAL_HEADERS} header. */
function hasCredentialHeader(): object {
  return {
    regex_match_statement: {
      regex_string: `^(${CREDENTIAL_HEADERS.join('|')})$`,
      field_to_match: {
        headers: { match_pattern: { all: {} }, match_scope: 'KEY', oversize_handling: 'CONTINUE' },
      },
      // Header names are case-insensitive; HTTP/1.1 clients may send "ApiKey" or "Authorization".
      text_transformation: { priority: 0, type: 'LOWERCASE' },
    },
  };
}

function checkRateLimit(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 10 || value > 2_000_000_000) {
    throw new Error(
      `EdgeProtection: ${name} is ${value}; AWS WAF accepts whole numbers from 10 to 2,000,000,000`,
    );
  }
}
