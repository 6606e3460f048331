/**
 * Every IAM policy of a synthesized stack, as a plain policy document the IAM checkers can read:
 * `aws_iam_policy_document` data sources turned into IAM JSON, and every Terraform reference
 * (`${aws_kms_key.x.arn}`, `${data.aws_caller_identity.x.account_id}`) replaced with a valid
 * placeholder ARN or value of the right shape. Pure functions; scripts/scan/iam-report.ts does the I/O.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** What a policy governs: who may do what (identity), a resource's own policy, or a role's trust. */
export type PolicyKind = 'identity' | 'resource' | 'trust';

/** One extracted policy. */
export interface ExtractedPolicy {
  /** File name for the checkers: `<kind>--<stack>--<type>.<name>.json`. */
  readonly file: string;
  readonly kind: PolicyKind;
  /** Terraform address of the resource that carries the policy. */
  readonly address: string;
  /** The policy document, placeholders substituted. */
  readonly document: Json;
}

/** Placeholder account when the stack names none (gateway stacks read it at plan time). */
export const PLACEHOLDER_ACCOUNT = '111122223333';

/** Resource types whose `policy` is not an IAM policy. */
const NOT_IAM = new Set(['aws_ecr_lifecycle_policy']);

/** Resource attributes that hold a policy, and the kind of policy each is. */
const POLICY_ATTRIBUTES: Record<string, PolicyKind | ((type: string) => PolicyKind)> = {
  assume_role_policy: 'trust',
  policy: (type) => (type === 'aws_iam_policy' || type === 'aws_iam_role_policy' ? 'identity' : 'resource'),
  policy_document: 'resource',
};

/** A deterministic UUID-shaped ID for a resource name (the same placeholder each run). */
function uuidOf(name: string): string {
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  const hex = h.toString(16).padStart(8, '0');
  return `${hex}-0000-4000-8000-${hex}0000`;
}

/** The placeholder environment of a stack: account and region from its AWS provider. */
function environmentOf(stack: Json): { account: string; region: string } {
  const provider = [stack.provider?.aws ?? []].flat()[0] ?? {};
  return {
    account: provider.allowed_account_ids?.[0] ?? PLACEHOLDER_ACCOUNT,
    region: provider.region ?? 'eu-west-1',
  };
}

/** The value a reference `${[data.]type.name.attr}` stands for, in a shape IAM accepts. */
function placeholder(stack: Json, ref: string): string {
  const env = environmentOf(stack);
  const m = /^(data\.)?([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+)(?:\[\d+\])?$/.exec(ref);
  if (!m) return 'placeholder';
  const [, data, type, name, attr] = m as unknown as [string, string | undefined, string, string, string];
  const values = (data ? stack.data : stack.resource)?.[type]?.[name] ?? {};
  const literal = (v: unknown) => (typeof v === 'string' && !v.includes('${') ? v : undefined);
  const label =
    literal(values.name) ?? literal(values.bucket) ?? literal(values.bucket_prefix) ?? name.toLowerCase();
  if (attr === 'account_id') return env.account;
  if (attr === 'partition') return 'aws';
  if (attr === 'region') return env.region;
  if (attr === 'key_id') return uuidOf(name);
  if (attr !== 'arn') return label.replace(/[^A-Za-z0-9+=,.@_/-]/g, '-');
  const r = `arn:aws:%s:${env.region}:${env.account}:`;
  const arnOf: Record<string, string> = {
    aws_kms_key: `${r.replace('%s', 'kms')}key/${uuidOf(name)}`,
    aws_cloudwatch_log_group: `${r.replace('%s', 'logs')}log-group:${label}`,
    aws_secretsmanager_secret: `${r.replace('%s', 'secretsmanager')}secret:${label}-AbCdEf`,
    aws_ecr_repository: `${r.replace('%s', 'ecr')}repository/${label}`,
    aws_sns_topic: `${r.replace('%s', 'sns')}${label}`,
    aws_iam_role: `arn:aws:iam::${env.account}:role/${label}`,
    aws_iam_policy: `arn:aws:iam::${env.account}:policy/${label}`,
    aws_iam_openid_connect_provider: `arn:aws:iam::${env.account}:oidc-provider/token.actions.githubusercontent.com`,
    aws_s3_bucket: `arn:aws:s3:::${label}`,
    aws_lb: `${r.replace('%s', 'elasticloadbalancing')}loadbalancer/app/${label}/0123456789abcdef`,
    aws_wafv2_web_acl: `${r.replace('%s', 'wafv2')}regional/webacl/${label}/${uuidOf(name)}`,
    aws_ecs_cluster: `${r.replace('%s', 'ecs')}cluster/${label}`,
    aws_db_instance: `${r.replace('%s', 'rds')}db:${label}`,
    aws_elb_service_account: `arn:aws:iam::156460612806:root`,
  };
  return arnOf[type] ?? `${r.replace('%s', type.replace(/^aws_/, '').split('_')[0]!)}${label}`;
}

/** `value` with every `${...}` reference replaced by its placeholder. */
export function substitute(stack: Json, value: Json): Json {
  if (typeof value === 'string')
    return value.replace(/\$\{([^}]+)\}/g, (_m, ref: string) => placeholder(stack, ref));
  if (Array.isArray(value)) return value.map((v) => substitute(stack, v));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(stack, v)]));
  return value;
}

/** An `aws_iam_policy_document` data source as IAM JSON. */
export function documentOf(values: Json): Json {
  const statements = ((values.statement ?? []) as Json[]).map((s) => {
    const out: Record<string, Json> = {};
    if (s.sid) out.Sid = s.sid;
    out.Effect = s.effect ?? 'Allow';
    if (s.principals)
      out.Principal = Object.fromEntries((s.principals as Json[]).map((p) => [p.type, p.identifiers]));
    if (s.actions) out.Action = s.actions;
    if (s.not_actions) out.NotAction = s.not_actions;
    if (s.resources) out.Resource = s.resources;
    if (s.not_resources) out.NotResource = s.not_resources;
    if (s.condition) {
      const condition: Record<string, Record<string, Json>> = {};
      // A one-element list is the same condition as its value; parliament reads some operators
      // (Bool, Null) only as a single value.
      for (const c of s.condition as Json[])
        (condition[c.test] ??= {})[c.variable] = c.values.length === 1 ? c.values[0] : c.values;
      out.Condition = condition;
    }
    return out;
  });
  return { Version: '2012-10-17', Statement: statements };
}

/** Every policy of a synthesized stack (`cdk.tf.json`), placeholders substituted. */
export function extractPolicies(stackName: string, stack: Json): ExtractedPolicy[] {
  const out: ExtractedPolicy[] = [];
  for (const [type, byName] of Object.entries<Json>(stack.resource ?? {})) {
    if (NOT_IAM.has(type)) continue;
    for (const [name, values] of Object.entries<Json>(byName)) {
      for (const [attribute, kindOf] of Object.entries(POLICY_ATTRIBUTES)) {
        const raw = values[attribute];
        if (typeof raw !== 'string') continue;
        const kind = typeof kindOf === 'function' ? kindOf(type) : kindOf;
        const ref = /^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/.exec(raw);
        let document: Json;
        if (ref) {
          const data = stack.data?.aws_iam_policy_document?.[ref[1]!];
          if (!data) throw new Error(`${type}.${name}.${attribute} names a missing policy document ${raw}`);
          document = documentOf(data);
        } else {
          try {
            document = JSON.parse(raw);
          } catch {
            throw new Error(
              `${stackName}: ${type}.${name}.${attribute} is neither JSON nor a policy document reference`,
            );
          }
        }
        out.push({
          file: `${kind}--${stackName}--${type}.${name}${attribute === 'policy' ? '' : `.${attribute}`}.json`,
          kind,
          address: `${type}.${name}`,
          document: substitute(stack, document),
        });
      }
    }
  }
  return out.sort((a, b) => a.file.localeCompare(b.file));
}

/**
 * The canary: a role that may `iam:PutRolePolicy` on itself. The checkers must report it as a
 * privilege escalation, or the scan fails (a checker that reports nothing proves nothing).
 */
export const ESCALATION_CANARY: ExtractedPolicy = {
  file: 'identity--canary--self-putrolepolicy.json',
  kind: 'identity',
  address: 'canary',
  document: {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'MayRewriteItsOwnPermissions',
        Effect: 'Allow',
        Action: ['iam:PutRolePolicy'],
        Resource: [`arn:aws:iam::${PLACEHOLDER_ACCOUNT}:role/ci-deploy`],
      },
    ],
  },
};
