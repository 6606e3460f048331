/**
 * Stack-wide policy rules over synthesized Terraform JSON. Each rule returns the violations it
 * finds (empty = compliant), one human-readable line each, so a failing test says what to fix.
 * `__tests__/policy/policy.test.ts` runs every rule against every stage and proves each one can fail on a
 * deliberately broken stack.
 */
import type { Json, SynthesizedStack } from './synth';

/** A named stack-wide rule. */
export interface PolicyRule {
  readonly name: string;
  /** Why the rule exists, for the test report. */
  readonly why: string;
  check(stack: SynthesizedStack): string[];
}

const WORLD_V4 = '0.0.0.0/0';
const WORLD_V6 = '::/0';
const PUBLIC_PORTS = new Set([80, 443]);

/** Security group IDs (as `${aws_security_group.x.id}` references) attached to a load balancer. */
function loadBalancerSecurityGroups(stack: SynthesizedStack): Set<string> {
  const refs = new Set<string>();
  for (const lb of stack.resources('aws_lb')) {
    if (lb.values.internal === true) continue;
    for (const sg of (lb.values.security_groups ?? []) as string[]) refs.add(sg);
  }
  return refs;
}

/** Every ingress permission in the stack, whichever resource type expresses it. */
function ingressPermissions(stack: SynthesizedStack): {
  where: string;
  securityGroup: string;
  cidrs: string[];
  fromPort: number;
  toPort: number;
}[] {
  const out: ReturnType<typeof ingressPermissions> = [];
  for (const r of stack.resources('aws_vpc_security_group_ingress_rule')) {
    const v = r.values;
    out.push({
      where: `aws_vpc_security_group_ingress_rule.${r.name}`,
      securityGroup: v.security_group_id,
      cidrs: [v.cidr_ipv4, v.cidr_ipv6].filter(Boolean),
      fromPort: v.ip_protocol === '-1' ? 0 : v.from_port,
      toPort: v.ip_protocol === '-1' ? 65535 : v.to_port,
    });
  }
  for (const r of stack.resources('aws_security_group_rule')) {
    const v = r.values;
    if (v.type !== 'ingress') continue;
    out.push({
      where: `aws_security_group_rule.${r.name}`,
      securityGroup: v.security_group_id,
      cidrs: [...(v.cidr_blocks ?? []), ...(v.ipv6_cidr_blocks ?? [])],
      fromPort: v.protocol === '-1' ? 0 : v.from_port,
      toPort: v.protocol === '-1' ? 65535 : v.to_port,
    });
  }
  for (const r of stack.resources('aws_security_group')) {
    for (const [i, rule] of ((r.values.ingress ?? []) as Json[]).entries()) {
      out.push({
        where: `aws_security_group.${r.name}.ingress[${i}]`,
        securityGroup: `\${aws_security_group.${r.name}.id}`,
        cidrs: [...(rule.cidr_blocks ?? []), ...(rule.ipv6_cidr_blocks ?? [])],
        fromPort: rule.protocol === '-1' ? 0 : rule.from_port,
        toPort: rule.protocol === '-1' ? 65535 : rule.to_port,
      });
    }
  }
  return out;
}

export const logGroupsHaveRetention: PolicyRule = {
  name: 'every log group has retention and a KMS key',
  why: 'logs kept forever cost money and keep personal data longer than needed',
  check(stack) {
    return stack.resources('aws_cloudwatch_log_group').flatMap(({ name, values }) => {
      const problems: string[] = [];
      if (!(typeof values.retention_in_days === 'number' && values.retention_in_days > 0)) {
        problems.push(`aws_cloudwatch_log_group.${name} has no retention_in_days`);
      }
      if (!values.kms_key_id)
        problems.push(`aws_cloudwatch_log_group.${name} is not encrypted with a KMS key`);
      return problems;
    });
  },
};

export const onlyLoadBalancerIsWorldReachable: PolicyRule = {
  name: "nothing is world-reachable but the public ALB's 80/443",
  why: 'Kong, the database and the upstream must only be reached through the chain of security groups',
  check(stack) {
    const albGroups = loadBalancerSecurityGroups(stack);
    return ingressPermissions(stack)
      .filter((p) => p.cidrs.some((c) => c === WORLD_V4 || c === WORLD_V6))
      .filter((p) => {
        const onAlb = albGroups.has(p.securityGroup);
        const publicPortOnly = p.fromPort === p.toPort && PUBLIC_PORTS.has(p.fromPort);
        return !(onAlb && publicPortOnly);
      })
      .map((p) => `${p.where} opens ports ${p.fromPort}-${p.toPort} to the internet`);
  },
};

export const nothingGetsPublicAddresses: PolicyRule = {
  name: 'no subnet, task or database gets a public address',
  why: 'only the load balancer and NAT gateways face the internet',
  check(stack) {
    const problems: string[] = [];
    for (const r of stack.resources('aws_subnet')) {
      if (r.values.map_public_ip_on_launch === true)
        problems.push(`aws_subnet.${r.name} maps public IPs on launch`);
    }
    for (const r of stack.resources('aws_db_instance')) {
      if (r.values.publicly_accessible === true)
        problems.push(`aws_db_instance.${r.name} is publicly accessible`);
    }
    for (const r of stack.resources('aws_ecs_service')) {
      if (r.values.network_configuration?.assign_public_ip === true) {
        problems.push(`aws_ecs_service.${r.name} assigns public IPs`);
      }
    }
    return problems;
  },
};

/** Builds the rule that every AWS provider tags every taggable resource with `requiredKeys`. */
export function providersApplyDefaultTags(requiredKeys: readonly string[]): PolicyRule {
  return {
    name: 'every AWS provider applies the default tags',
    why: 'cost allocation and ownership rely on tags on every taggable resource',
    check(stack) {
      const providers = (stack.json.provider?.aws ?? []) as Json[];
      if (providers.length === 0) return ['the stack has no AWS provider'];
      return providers.flatMap((p, i) => {
        const tags = (p.default_tags?.[0]?.tags ?? {}) as Record<string, string>;
        const label = p.alias ? `provider aws.${p.alias}` : `provider aws[${i}]`;
        return requiredKeys.filter((k) => !tags[k]).map((k) => `${label} does not apply default tag "${k}"`);
      });
    },
  };
}

/** Where a generated secret (`random_password.<name>.result`) may flow: secret stores only. */
const SECRET_SINKS: Readonly<Record<string, readonly string[]>> = {
  aws_db_instance: ['password'],
  aws_secretsmanager_secret_version: ['secret_string'],
  aws_elasticache_replication_group: ['auth_token'],
  aws_elasticache_user: ['passwords'],
  aws_ssm_parameter: ['value'],
};

/** Fields that hold a secret value; they must be Terraform expressions, never literals. */
const SECRET_FIELDS: Readonly<Record<string, readonly string[]>> = {
  aws_db_instance: ['password', 'password_wo'],
  aws_rds_cluster: ['master_password', 'master_password_wo'],
  aws_secretsmanager_secret_version: ['secret_string', 'secret_string_wo'],
  aws_elasticache_replication_group: ['auth_token'],
  aws_ssm_parameter: ['value', 'value_wo'],
};

/** Every `(path, string)` in a JSON value, depth first. */
function strings(value: Json, where: string): { where: string; text: string }[] {
  if (typeof value === 'string') return [{ where, text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${where}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => strings(v, where ? `${where}.${k}` : k));
  }
  return [];
}

/**
 * True when `text` is one Terraform expression (`${...}`) whose quoted string literals are all
 * short words (JSON keys, engine names): a value built from references, not a secret typed in.
 */
function isExpressionWithoutLongLiterals(text: string): boolean {
  if (!/^\$\{[\s\S]*\}$/.test(text)) return false;
  const literals = [...text.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
  return literals.every((l) => /^[A-Za-z_-]{1,24}$/.test(l));
}

export const noLiteralSecrets: PolicyRule = {
  name: 'no password, token or key is a literal',
  why: 'a literal secret lives in the repository and in every synthesized plan (secrets in a container environment: noSecretsInContainerEnvironment)',
  check(stack) {
    const problems: string[] = [];
    for (const [type, fields] of Object.entries(SECRET_FIELDS)) {
      for (const r of stack.resources(type)) {
        for (const field of fields) {
          const v = r.values[field];
          if (v === undefined) continue;
          if (typeof v !== 'string' || !isExpressionWithoutLongLiterals(v)) {
            problems.push(`${type}.${r.name}.${field} is a literal, not a reference to a generated value`);
          }
        }
      }
    }
    return problems;
  },
};

export const generatedSecretsStayInSecretStores: PolicyRule = {
  name: 'generated secrets flow only into the database, the cache and Secrets Manager, never into an output',
  why: 'a random_password result referenced elsewhere (an output, a tag, a container environment) is a leak',
  check(stack) {
    const generated = /\$\{[^}]*random_password\.[A-Za-z0-9_-]+\.result/;
    const problems: string[] = [];
    for (const r of stack.allResources()) {
      const allowed = SECRET_SINKS[r.type] ?? [];
      for (const { where, text } of strings(r.values, '')) {
        const sink = allowed.some((field) => where === field || where.startsWith(`${field}[`));
        if (generated.test(text) && !sink) {
          problems.push(`${r.type}.${r.name}.${where} uses a generated secret`);
        }
      }
    }
    for (const [name, output] of Object.entries(stack.outputs)) {
      for (const { text } of strings(output.value, '')) {
        if (generated.test(text) || /\.(secret_string|password|auth_token)\b/.test(text)) {
          problems.push(`output ${name} reveals a secret value`);
          break;
        }
      }
    }
    return problems;
  },
};

export const noWildcardSecretGrants: PolicyRule = {
  name: 'identity policies grant secrets and keys on named resources only',
  why: 'a wildcard GetSecretValue or kms:Decrypt lets a task read every secret of the account',
  check(stack) {
    const problems: string[] = [];
    for (const d of stack.dataSources('aws_iam_policy_document')) {
      for (const [i, st] of ((d.values.statement ?? []) as Json[]).entries()) {
        if (st.principals) continue; // a resource (key) policy: `*` there means "this key"
        if (st.effect === 'Deny') continue;
        const actions = (st.actions ?? []) as string[];
        const sensitive = actions.some((a) => a === '*' || /^(secretsmanager|kms|ssm):/i.test(a));
        if (!sensitive) continue;
        const wildAction = actions.filter((a) => a.includes('*'));
        const resources = (st.resources ?? []) as string[];
        const wildResource = resources.filter((res) => res.replace(/\$\{[^}]*\}/g, '').includes('*'));
        if (wildAction.length > 0) {
          problems.push(
            `data.aws_iam_policy_document.${d.name}.statement[${i}] grants ${wildAction.join(', ')}`,
          );
        }
        if (resources.length === 0 || wildResource.length > 0 || st.not_resources) {
          problems.push(
            `data.aws_iam_policy_document.${d.name}.statement[${i}] grants ${actions.join(', ')} on ${resources.join(', ') || 'no named resource'}`,
          );
        }
      }
    }
    return problems;
  },
};

/** Kong's admin API port: loopback only, never in a security group, target group or port mapping. */
export const KONG_ADMIN_PORT = 8001;
/** Environment variable names that must come from ECS `secrets`, never from `environment`. */
const SECRET_LOOKING_NAME = /PASSWORD|PASSWD|KEY|TOKEN|SECRET/i;

/** Every container definition of every task definition, or a problem when one cannot be read. */
function containerDefinitions(stack: SynthesizedStack): {
  containers: { where: string; container: Json }[];
  unreadable: string[];
} {
  const containers: { where: string; container: Json }[] = [];
  const unreadable: string[] = [];
  for (const r of stack.resources('aws_ecs_task_definition')) {
    let parsed: Json;
    try {
      parsed = JSON.parse(r.values.container_definitions);
    } catch {
      unreadable.push(
        `aws_ecs_task_definition.${r.name} has container_definitions that are not plain JSON (build them with JSON.stringify so policy can read them)`,
      );
      continue;
    }
    for (const c of parsed as Json[]) {
      containers.push({ where: `aws_ecs_task_definition.${r.name} container "${c.name}"`, container: c });
    }
  }
  return { containers, unreadable };
}

/** Every egress permission with explicit ports (all-protocol egress is not a port exposure). */
function egressPortRanges(stack: SynthesizedStack): { where: string; fromPort: number; toPort: number }[] {
  const out: { where: string; fromPort: number; toPort: number }[] = [];
  for (const r of stack.resources('aws_vpc_security_group_egress_rule')) {
    if (r.values.ip_protocol === '-1') continue;
    out.push({
      where: `aws_vpc_security_group_egress_rule.${r.name}`,
      fromPort: r.values.from_port,
      toPort: r.values.to_port,
    });
  }
  for (const r of stack.resources('aws_security_group_rule')) {
    if (r.values.type !== 'egress' || r.values.protocol === '-1') continue;
    out.push({
      where: `aws_security_group_rule.${r.name}`,
      fromPort: r.values.from_port,
      toPort: r.values.to_port,
    });
  }
  for (const r of stack.resources('aws_security_group')) {
    for (const [i, rule] of ((r.values.egress ?? []) as Json[]).entries()) {
      if (rule.protocol === '-1') continue;
      out.push({
        where: `aws_security_group.${r.name}.egress[${i}]`,
        fromPort: rule.from_port,
        toPort: rule.to_port,
      });
    }
  }
  return out;
}

export const adminApiIsNeverExposed: PolicyRule = {
  name: "Kong's admin API (8001) is in no security group rule, target group, listener or port mapping",
  why: 'whoever reaches the admin API controls every route, consumer and key of the gateway',
  check(stack) {
    const covers = (from: number, to: number) => from <= KONG_ADMIN_PORT && KONG_ADMIN_PORT <= to;
    const problems: string[] = [];
    for (const p of ingressPermissions(stack)) {
      if (covers(p.fromPort, p.toPort)) problems.push(`${p.where} admits port ${KONG_ADMIN_PORT}`);
    }
    for (const p of egressPortRanges(stack)) {
      if (covers(p.fromPort, p.toPort)) problems.push(`${p.where} opens egress to port ${KONG_ADMIN_PORT}`);
    }
    for (const r of stack.resources('aws_lb_target_group')) {
      if (
        Number(r.values.port) === KONG_ADMIN_PORT ||
        Number(r.values.health_check?.port) === KONG_ADMIN_PORT
      ) {
        problems.push(`aws_lb_target_group.${r.name} points at port ${KONG_ADMIN_PORT}`);
      }
    }
    for (const r of stack.resources('aws_lb_listener')) {
      if (Number(r.values.port) === KONG_ADMIN_PORT)
        problems.push(`aws_lb_listener.${r.name} listens on ${KONG_ADMIN_PORT}`);
    }
    const { containers, unreadable } = containerDefinitions(stack);
    problems.push(...unreadable);
    for (const { where, container } of containers) {
      for (const m of (container.portMappings ?? []) as Json[]) {
        if (m.containerPort === KONG_ADMIN_PORT || m.hostPort === KONG_ADMIN_PORT) {
          problems.push(`${where} maps port ${KONG_ADMIN_PORT}`);
        }
      }
      const admin = ((container.environment ?? []) as Json[]).find((e) => e.name === 'KONG_ADMIN_LISTEN');
      if (admin && !/^(127\.0\.0\.1|\[::1\]):\d+/.test(String(admin.value)) && admin.value !== 'off') {
        problems.push(`${where} binds the admin API to "${admin.value}" instead of loopback`);
      }
    }
    return problems;
  },
};

export const noSecretsInContainerEnvironment: PolicyRule = {
  name: 'no secret-looking variable in any container environment (they come from ECS secrets)',
  why: 'task definitions are readable by anyone with ecs:DescribeTaskDefinition and end up in state and plans',
  check(stack) {
    const { containers, unreadable } = containerDefinitions(stack);
    const problems = [...unreadable];
    for (const { where, container } of containers) {
      for (const e of (container.environment ?? []) as Json[]) {
        if (SECRET_LOOKING_NAME.test(String(e.name))) {
          problems.push(`${where} sets ${e.name} in its environment; inject it through "secrets"`);
        }
      }
    }
    return problems;
  },
};

export const everyContainerLogsToCloudWatch: PolicyRule = {
  name: 'every container logs to CloudWatch (awslogs with a log group)',
  why: 'a container without logs cannot be debugged or audited, and its output is lost when the task stops',
  check(stack) {
    const { containers, unreadable } = containerDefinitions(stack);
    const problems = [...unreadable];
    for (const { where, container } of containers) {
      const log = container.logConfiguration;
      if (log?.logDriver !== 'awslogs' || !log.options?.['awslogs-group']) {
        problems.push(`${where} does not log to CloudWatch through awslogs`);
      }
    }
    return problems;
  },
};

/** The rules every stage must satisfy. */
export function stackPolicy(requiredTagKeys: readonly string[]): PolicyRule[] {
  return [
    logGroupsHaveRetention,
    onlyLoadBalancerIsWorldReachable,
    nothingGetsPublicAddresses,
    providersApplyDefaultTags(requiredTagKeys),
    noLiteralSecrets,
    generatedSecretsStayInSecretStores,
    noWildcardSecretGrants,
    adminApiIsNeverExposed,
    noSecretsInContainerEnvironment,
    everyContainerLogsToCloudWatch,
  ];
}
