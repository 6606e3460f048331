/**
 * Judges the IAM checkers' report (scripts/scan/iam_check.py: parliament and cloudsplaining over
 * every synthesized policy): every finding needs a written reason here, or the scan fails; and the
 * escalation canary (a role that may PutRolePolicy on itself) must be reported as a privilege
 * escalation, or the checkers are not working and the scan fails too. Pure functions.
 */
import { ESCALATION_CANARY } from './iam-policies';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** One finding: a parliament issue, or a cloudsplaining category with what it found. */
export interface IamFinding {
  readonly file: string;
  readonly tool: 'parliament' | 'cloudsplaining';
  /** Parliament's issue (`RESOURCE_STAR`) or cloudsplaining's category (`PrivilegeEscalation`). */
  readonly issue: string;
  /** What it names (actions, escalation methods, the message). */
  readonly detail: string;
}

/** A reason for findings of one kind on some policies. */
export interface AcceptedFinding {
  readonly tool: IamFinding['tool'];
  readonly issue: string;
  /** The policy files it covers (`<kind>--<stack>--<type>.<name>.json`). */
  readonly files: RegExp;
  /** Why the finding is expected and harmless (or what bounds it), in a sentence. */
  readonly reason: string;
}

const BOOTSTRAP = (part: string) =>
  new RegExp(`^identity--kong-gateway-bootstrap-[a-z0-9-]+--aws_iam_policy\\.identity_[a-z0-9-]+_${part}_`);
const KEY_POLICY = /^resource--[a-z0-9-]+--aws_kms_key\./;
const TRUST = /^trust--/;
const ANY_IDENTITY = /^identity--(?!canary)/;

/** The reasons. One entry may cover the same finding on every stage's copy of a policy. */
export const ACCEPTED_FINDINGS: readonly AcceptedFinding[] = [
  // --- parliament: policy kinds it does not model --------------------------------------------
  {
    tool: 'parliament',
    issue: 'MALFORMED',
    files: TRUST,
    reason:
      'a trust policy has no Resource by definition (parliament reads identity policies); the trust is tested against the OIDC subject in policies.test.ts',
  },
  {
    tool: 'parliament',
    issue: 'UNKNOWN_FEDERATION_SOURCE',
    files: TRUST,
    reason:
      "GitHub's OIDC provider (token.actions.githubusercontent.com) is not in parliament's list of federation sources",
  },
  {
    tool: 'parliament',
    issue: 'RESOURCE_STAR',
    files: KEY_POLICY,
    reason: 'in a key policy "Resource": "*" means this key only',
  },
  {
    tool: 'parliament',
    issue: 'PERMISSIONS_MANAGEMENT_ACTIONS',
    files: KEY_POLICY,
    reason:
      "the account-root statement is AWS's default key policy: key administration is delegated to IAM policies, which the boundary and stage tags bound",
  },
  {
    tool: 'parliament',
    issue: 'UNKNOWN_CONDITION_FOR_ACTION',
    files: /aws_kms_key\.logging_key_/,
    reason:
      'kms:EncryptionContext:aws:logs:arn is the condition AWS documents for CloudWatch Logs encryption; parliament expands kms:* to actions that do not take it',
  },
  {
    tool: 'parliament',
    issue: 'MISMATCHED_TYPE',
    files: /aws_kms_key\.logging_key_/,
    reason: 'ArnLike on kms:EncryptionContext:aws:logs:arn is the form AWS documents for CloudWatch Logs',
  },
  {
    tool: 'parliament',
    issue: 'MISMATCHED_TYPE',
    files: /aws_s3_bucket_policy\.state_policy_/,
    reason:
      'NumericLessThan s3:TlsVersion "1.2": IAM compares the string numerically, as AWS documents it; parliament crashes on a JSON number here',
  },
  {
    tool: 'parliament',
    issue: 'PERMISSIONS_MANAGEMENT_ACTIONS',
    files: /aws_sns_topic_policy\./,
    reason:
      "the alarm topic's policy: the account (root) manages its own topic; from outside, only this account's CloudWatch alarms of the stage may publish",
  },
  {
    tool: 'parliament',
    issue: 'UNKNOWN_PRINCIPAL',
    files: /aws_s3_bucket_policy\.load-balancer_access-logs-policy_/,
    reason:
      "the region's Elastic Load Balancing account (data.aws_elb_service_account) delivers the access logs",
  },
  {
    tool: 'parliament',
    issue: 'UNKNOWN_CONDITION_FOR_ACTION',
    files: /aws_s3_bucket_policy\.state_policy_/,
    reason:
      'the TLS and encryption-key denies apply to every S3 action on the state bucket; parliament flags s3:* actions the key does not apply to, which the deny simply does not match',
  },
  {
    tool: 'parliament',
    issue: 'MISMATCHED_TYPE_BUT_USABLE',
    files: /(aws_s3_bucket_policy\.state_policy_|deploy-roles_)/,
    reason:
      'iam:PermissionsBoundary and s3:x-amz-server-side-encryption-aws-kms-key-id are String keys holding an ARN; AWS documents StringEquals for both',
  },
  // --- parliament: deliberate grants -----------------------------------------------------------
  {
    tool: 'parliament',
    issue: 'CREDENTIALS_EXPOSURE',
    files: ANY_IDENTITY,
    reason:
      "ecr:GetAuthorizationToken returns a registry token carrying the caller's own ECR permissions: image pulls and pushes need it",
  },
  {
    tool: 'parliament',
    issue: 'RESOURCE_STAR',
    files: BOOTSTRAP('deploy-state'),
    reason:
      'RefreshReads: read-only refresh of resources whose ARNs exist only after creation; each action and its reason is in lib/constructs/delivery-identity/unscoped-actions.ts',
  },
  {
    tool: 'parliament',
    issue: 'RESOURCE_STAR',
    files: BOOTSTRAP('deploy-tagged'),
    reason:
      'every statement on "*" here is bound by aws:RequestTag/Stage or aws:ResourceTag/Stage and the region, which parliament does not weigh',
  },
  {
    tool: 'parliament',
    issue: 'RESOURCE_MISMATCH',
    files: /(deploy-named|deploy-tagged|_boundary_|kong_execution-policy)/,
    reason:
      "service wildcards and action lists on named resources: actions that take another resource type are simply not granted; parliament's action table also predates ecr:BatchImportUpstreamImage's repository resource",
  },
  {
    tool: 'parliament',
    issue: 'PERMISSIONS_MANAGEMENT_ACTIONS',
    files: /(deploy-named|deploy-tagged|deploy-roles)/,
    reason:
      "the deploy role manages the policies of its stage's own resources (key, topic, bucket and secret policies, stage roles with the boundary); the guard part denies it the CI roles, the boundaries and the state store",
  },
  // --- cloudsplaining (conditions are not evaluated by it) -------------------------------------
  {
    tool: 'cloudsplaining',
    issue: 'CredentialsExposure',
    files: ANY_IDENTITY,
    reason:
      'ecr:GetAuthorizationToken (image pulls/pushes) and, in deploy-tagged, ec2:GetPasswordData under ec2:*, which the guard part denies (NoShellsNoInstances)',
  },
  {
    tool: 'cloudsplaining',
    issue: 'DataExfiltration',
    files: /(deploy-state|plan-plan|deploy-named|_boundary_|kong_execution-role_read-)/,
    reason:
      "s3:GetObject on the stage's own state object (and access-log bucket), secretsmanager:GetSecretValue on the stage's own secrets: what planning, deploying and running the stage needs",
  },
  {
    tool: 'cloudsplaining',
    issue: 'InfrastructureModification',
    files: ANY_IDENTITY,
    reason:
      "writes are the deploy role's and the workload roles' job; each is bound to the stage's named or tagged resources (policies.test.ts evaluates cross-stage calls and finds none allowed)",
  },
  {
    tool: 'cloudsplaining',
    issue: 'ResourceExposure',
    files: /(deploy-named|deploy-roles)/,
    reason:
      "resource policies and trusts of the stage's own secrets, repositories, buckets and boundary-capped roles: the deploy role can already read and change these resources, so sharing them reaches nothing more",
  },
  {
    tool: 'cloudsplaining',
    issue: 'ServiceWildcard',
    files: BOOTSTRAP('deploy-named'),
    reason:
      "ecr:*, logs:*, s3:*, secretsmanager:* on the stage's named resources only: Terraform creates, tags, re-policies, reads and deletes each of them",
  },
  {
    tool: 'cloudsplaining',
    issue: 'PrivilegeEscalation',
    files: BOOTSTRAP('deploy-roles'),
    reason:
      'PutRolePolicy/AttachRolePolicy/UpdateAssumeRolePolicy reach only kong-gateway-<stage>-* roles, only with the stage boundary attached (iam:PermissionsBoundary), which allows no IAM action; assuming such a role yields less than the deploy role has',
  },
  {
    tool: 'cloudsplaining',
    issue: 'PrivilegeEscalation',
    files: BOOTSTRAP('deploy-tagged'),
    reason:
      'ECSExecuteCommandOnRunningTask, ModifyEC2InstanceUserDataThenRestart and ModifyExistingEC2LaunchTemplate come from ecs:*/ec2:* on stage-tagged resources; the guard part denies every action they need (NoShellsNoInstances)',
  },
];

/** Normalizes iam_check.py's report into findings. */
export function findingsOf(report: Record<string, Json>): IamFinding[] {
  const out: IamFinding[] = [];
  for (const [file, r] of Object.entries(report)) {
    const seen = new Set<string>();
    for (const p of (r.parliament ?? []) as Json[]) {
      const detail = JSON.stringify(p.location?.actions ?? p.detail ?? '');
      const key = `${p.issue}|${detail}`;
      if (seen.has(key)) continue; // parliament repeats a finding per expanded action
      seen.add(key);
      out.push({ file, tool: 'parliament', issue: String(p.issue), detail });
    }
    for (const [category, c] of Object.entries<Json>(r.cloudsplaining ?? {})) {
      const found = (c?.findings ?? []) as Json[];
      if (!Array.isArray(found) || found.length === 0) continue;
      const names = found.map((f) => (typeof f === 'string' ? f : (f.type ?? JSON.stringify(f))));
      out.push({ file, tool: 'cloudsplaining', issue: category, detail: names.join(', ') });
    }
  }
  return out;
}

/** The verdict on the whole report. */
export interface IamVerdict {
  readonly policies: number;
  readonly explained: readonly { finding: IamFinding; reason: string }[];
  readonly unexplained: readonly IamFinding[];
  /** Reasons that matched no finding (printed, to be removed when a full scan confirms). */
  readonly unused: readonly AcceptedFinding[];
  /** Whether the canary's self-PutRolePolicy was reported as a privilege escalation. */
  readonly canaryReported: boolean;
  readonly ok: boolean;
}

/** Judges `report` against `accepted`. */
export function judgeIamReport(
  report: Record<string, Json>,
  accepted: readonly AcceptedFinding[] = ACCEPTED_FINDINGS,
): IamVerdict {
  const all = findingsOf(report);
  const canaryReported = all.some(
    (f) =>
      f.file === ESCALATION_CANARY.file &&
      f.tool === 'cloudsplaining' &&
      f.issue === 'PrivilegeEscalation' &&
      /PutRolePolicy/.test(f.detail),
  );
  const explained: { finding: IamFinding; reason: string }[] = [];
  const unexplained: IamFinding[] = [];
  const used = new Set<AcceptedFinding>();
  for (const finding of all.filter((f) => f.file !== ESCALATION_CANARY.file)) {
    const reason = accepted.find(
      (a) => a.tool === finding.tool && a.issue === finding.issue && a.files.test(finding.file),
    );
    if (reason) {
      used.add(reason);
      explained.push({ finding, reason: reason.reason });
    } else unexplained.push(finding);
  }
  return {
    policies: Object.keys(report).filter((f) => f !== ESCALATION_CANARY.file).length,
    explained,
    unexplained,
    unused: accepted.filter((a) => !used.has(a)),
    canaryReported,
    ok: unexplained.length === 0 && canaryReported,
  };
}

/** A human-readable report. */
export function formatIamVerdict(v: IamVerdict): string {
  const lines = [
    `${v.ok ? 'PASS' : 'FAIL'} IAM checkers (parliament, cloudsplaining): ${v.policies} policies, ` +
      `${v.unexplained.length} findings without a reason, ${v.explained.length} with one`,
    `  canary (a role that may PutRolePolicy on itself): ${v.canaryReported ? 'reported as privilege escalation' : 'NOT REPORTED: the checkers are not working'}`,
  ];
  for (const f of v.unexplained) lines.push(`  FINDING ${f.tool} ${f.issue} ${f.file}: ${f.detail}`);
  const byReason = new Map<string, IamFinding[]>();
  for (const e of v.explained) byReason.set(e.reason, [...(byReason.get(e.reason) ?? []), e.finding]);
  for (const [reason, findings] of byReason)
    lines.push(`  explained ${findings[0]!.tool} ${findings[0]!.issue} x${findings.length}: ${reason}`);
  for (const a of v.unused)
    lines.push(`  note: reason for ${a.tool} ${a.issue} ${a.files} matched nothing in this scan`);
  return lines.join('\n');
}
