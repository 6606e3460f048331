import { Construct } from 'constructs';
import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePoliciesExclusive } from '@cdktf/provider-aws/lib/iam-role-policies-exclusive';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { IamRolePolicyAttachmentsExclusive } from '@cdktf/provider-aws/lib/iam-role-policy-attachments-exclusive';
import {
  boundaryPolicyName,
  BOOTSTRAP_IAM_PREFIX,
  ciRoleName,
  deployEnvironment,
  mainEnvironmentSubject,
  planEnvironment,
  pullRequestSubjectPattern,
  stageRolePattern,
  WORKFLOWS,
} from '../../contracts/delivery-identity';
import {
  boundaryPolicy,
  deployPolicies,
  githubTrust,
  planPolicy,
  POLICY_PART_DESCRIPTIONS,
  type StageIdentityContext,
} from './policies';
import { policyJson, type PolicyDocument } from './policy-document';

/** GitHub's OIDC issuer host. */
export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';

/** One stage deployed into the account. */
export interface DeliveryStage {
  /** The stage name. */
  readonly stage: string;
  /** Object key of the stage's state in the state bucket. */
  readonly stateObjectKey: string;
  /** Pull requests may assume the stage's plan role (development stages only). @default false */
  readonly pullRequests?: boolean;
  /** Adopt this existing role as the plan role (imported; its name is kept). @default a new role */
  readonly existingPlanRoleName?: string;
  /** Adopt this existing role as the deploy role. @default a new role */
  readonly existingDeployRoleName?: string;
  /** Hosted zone whose records the deploy role may change. @default none */
  readonly hostedZoneId?: string;
}

/** Props of {@link DeliveryIdentity}. */
export interface DeliveryIdentityProps {
  /** `aws`, `aws-cn` or `aws-us-gov`. */
  readonly partition: string;
  /** The account's 12-digit ID. */
  readonly accountId: string;
  /** Region of the stages. */
  readonly region: string;
  /** `owner/name` of the GitHub repository every trust policy names. */
  readonly repository: string;
  /** State bucket name. */
  readonly stateBucket: string;
  /** ARN of the state key. */
  readonly stateKeyArn: string;
  /** The stages of this account. */
  readonly stages: readonly DeliveryStage[];
  /** The account already has GitHub's OIDC provider: import it. @default false */
  readonly existingOidcProvider?: boolean;
}

/** What the construct made for one stage. */
export interface StageIdentities {
  readonly boundary: IamPolicy;
  readonly planRole: IamRole;
  readonly deployRole: IamRole;
  /** The policies of each role, as data (for tests and the IAM docs). */
  readonly documents: Readonly<Record<string, PolicyDocument>>;
}

/**
 * The delivery identities of one account: GitHub's OIDC provider and, per stage, a permissions
 * boundary, a plan role and a deploy role. Each role has exactly the policies made here: the
 * exclusive-attachment resources remove anything attached by hand (or by the old runbook, on an
 * adopted role) at the next apply.
 *
 * Trust (the repository's customized OIDC subject, lib/contracts/delivery-identity.ts):
 * - deploy role: jobs of deploy-stage.yml on `main` in the stage's environment;
 * - plan role: jobs of deploy-stage.yml on `main` in the `<stage>-plan` environment, and, for a
 *   development stage marked `pullRequests`, pull-request jobs of pr.yml.
 */
export class DeliveryIdentity extends Construct {
  readonly oidcProvider: IamOpenidConnectProvider;
  readonly stages: Readonly<Record<string, StageIdentities>>;

  constructor(scope: Construct, id: string, props: DeliveryIdentityProps) {
    super(scope, id);
    const { partition, accountId, repository } = props;
    this.oidcProvider = new IamOpenidConnectProvider(this, 'github-oidc', {
      url: `https://${GITHUB_OIDC_HOST}`,
      clientIdList: ['sts.amazonaws.com'],
    });
    const oidcArn = `arn:${partition}:iam::${accountId}:oidc-provider/${GITHUB_OIDC_HOST}`;
    if (props.existingOidcProvider) this.oidcProvider.importFrom(oidcArn);

    const roleName = (s: DeliveryStage, kind: 'plan' | 'deploy') =>
      (kind === 'plan' ? s.existingPlanRoleName : s.existingDeployRoleName) ?? ciRoleName(kind, s.stage);
    const ciRoleArns = props.stages.flatMap((s) =>
      (['plan', 'deploy'] as const).map((k) => `arn:${partition}:iam::${accountId}:role/${roleName(s, k)}`),
    );

    const stages: Record<string, StageIdentities> = {};
    for (const s of props.stages) {
      const scopeOf = new Construct(this, s.stage);
      const context: StageIdentityContext = {
        partition,
        region: props.region,
        accountId,
        stage: s.stage,
        stateBucket: props.stateBucket,
        stateKeyArn: props.stateKeyArn,
        stateObjectKey: s.stateObjectKey,
        boundaryArn: `arn:${partition}:iam::${accountId}:policy/${boundaryPolicyName(s.stage)}`,
        ciRoleArns,
        // The reference orders every trust after the provider.
        oidcProviderArn: this.oidcProvider.arn,
        ...(s.hostedZoneId ? { hostedZoneId: s.hostedZoneId } : {}),
      };
      const names = { iamPrefix: BOOTSTRAP_IAM_PREFIX, stageRolePattern: stageRolePattern(s.stage) };
      const documents: Record<string, PolicyDocument> = {};

      documents.boundary = boundaryPolicy(context);
      const boundary = new IamPolicy(scopeOf, 'boundary', {
        name: boundaryPolicyName(s.stage),
        description: `Permissions boundary of every role the kong-gateway-${s.stage} stack creates`,
        policy: policyJson(documents.boundary),
      });

      const planSubjects = {
        equals: [mainEnvironmentSubject(repository, planEnvironment(s.stage), WORKFLOWS.deployStage)],
        like: s.pullRequests ? [pullRequestSubjectPattern(repository, WORKFLOWS.pullRequest)] : [],
      };
      documents['plan-trust'] = githubTrust(this.oidcProvider.arn, planSubjects);
      documents.plan = planPolicy(context);
      const planRole = this.role(
        scopeOf,
        'plan',
        s.stage,
        roleName(s, 'plan'),
        s.existingPlanRoleName !== undefined,
        {
          description: `Plans kong-gateway-${s.stage} (state read, no secret values, no writes)`,
          trust: documents['plan-trust'],
          policies: { plan: documents.plan },
        },
      );

      documents['deploy-trust'] = githubTrust(this.oidcProvider.arn, {
        equals: [mainEnvironmentSubject(repository, deployEnvironment(s.stage), WORKFLOWS.deployStage)],
        like: [],
      });
      const deploy = deployPolicies(context, names);
      for (const [part, doc] of Object.entries(deploy)) documents[`deploy-${part}`] = doc;
      const deployRole = this.role(
        scopeOf,
        'deploy',
        s.stage,
        roleName(s, 'deploy'),
        s.existingDeployRoleName !== undefined,
        {
          description: `Deploys kong-gateway-${s.stage} from main in its GitHub environment`,
          trust: documents['deploy-trust'],
          policies: deploy,
        },
      );
      stages[s.stage] = { boundary, planRole, deployRole, documents };
    }
    this.stages = stages;
  }

  /** A CI role with exactly `policies` (one managed policy each) and no inline policy. */
  private role(
    scope: Construct,
    kind: 'plan' | 'deploy',
    stage: string,
    name: string,
    existing: boolean,
    o: { description: string; trust: PolicyDocument; policies: Record<string, PolicyDocument> },
  ): IamRole {
    const role = new IamRole(scope, `${kind}-role`, {
      name,
      description: o.description,
      maxSessionDuration: 3600,
      assumeRolePolicy: policyJson(o.trust),
    });
    if (existing) role.importFrom(name);
    const arns = Object.entries(o.policies).map(([part, doc]) => {
      const policy = new IamPolicy(scope, `${kind}-${part}`, {
        // Under the bootstrap prefix whatever the role's name: the deploy roles' Deny protects it.
        name: `${ciRoleName(kind, stage)}-${part}`,
        description: POLICY_PART_DESCRIPTIONS[part] ?? `${kind} role: ${part}`,
        policy: policyJson(doc),
      });
      new IamRolePolicyAttachment(scope, `${kind}-${part}-attachment`, {
        role: role.name,
        policyArn: policy.arn,
      });
      return policy.arn;
    });
    // Exactly these: an adopted role loses what the old runbook attached (ReadOnlyAccess, ...).
    new IamRolePolicyAttachmentsExclusive(scope, `${kind}-attachments`, {
      roleName: role.name,
      policyArns: arns,
    });
    new IamRolePoliciesExclusive(scope, `${kind}-inline-policies`, { roleName: role.name, policyNames: [] });
    return role;
  }
}
