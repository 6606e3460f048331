/**
 * The policies of the delivery identities, as data (no constructs): the permissions boundary every
 * gateway role carries, the plan role's reads, the deploy role's grants and the trust of each.
 * `DeliveryIdentity` turns them into IAM resources; tests and the IAM checkers read them directly.
 *
 * How a deploy role is kept from escalating:
 * - it may create, change and pass only roles named `kong-gateway-<stage>-*`, and create or
 *   re-policy them only with its stage's permissions boundary attached (`iam:PermissionsBoundary`);
 * - an explicit Deny forbids any write to the CI roles, the boundaries, the OIDC provider, the
 *   state bucket's configuration and the state key's policy, whatever else allows it;
 * - everything else it creates carries the stage's `Stage` tag (provider default tags), and it
 *   manages only resources tagged with its stage, or named with its stage's prefix;
 * - it may never retag a resource of another stage, or remove the `Stage` tag.
 */
import { UNSCOPED_ACTIONS } from './unscoped-actions';
import {
  policyDocument,
  type PolicyCondition,
  type PolicyDocument,
  type PolicyStatement,
} from './policy-document';

/** The account, the stage and the bootstrap resources a stage's policies name. */
export interface StageIdentityContext {
  /** `aws`, `aws-cn` or `aws-us-gov`. */
  readonly partition: string;
  /** The stage's region. */
  readonly region: string;
  /** 12-digit account ID. */
  readonly accountId: string;
  /** The stage name. */
  readonly stage: string;
  /** State bucket name. */
  readonly stateBucket: string;
  /** ARN of the state key (a Terraform reference is fine). */
  readonly stateKeyArn: string;
  /** The stage's object key in the state bucket. */
  readonly stateObjectKey: string;
  /** ARN of the stage's permissions boundary. */
  readonly boundaryArn: string;
  /** ARNs of every CI role of the account (the explicit Deny protects them). */
  readonly ciRoleArns: readonly string[];
  /** The GitHub OIDC provider's ARN. */
  readonly oidcProviderArn: string;
  /** The hosted zone whose records the stage changes. @default none: no Route 53 writes */
  readonly hostedZoneId?: string;
}

/** The tag every resource of a stage carries (lib/stacks/tags.ts: provider default tags). */
export const STAGE_TAG = 'Stage';

/** IAM name prefix of everything the bootstrap stack owns (contracts: BOOTSTRAP_IAM_PREFIX). */
export interface BootstrapNames {
  /** `kong-gateway-bootstrap-`. */
  readonly iamPrefix: string;
  /** The stage's role name pattern, `kong-gateway-<stage>-*`. */
  readonly stageRolePattern: string;
}

function arn(c: StageIdentityContext, service: string, resource: string, regional = true): string {
  return `arn:${c.partition}:${service}:${regional ? c.region : ''}:${c.accountId}:${resource}`;
}

function iamArn(c: StageIdentityContext, resource: string): string {
  return `arn:${c.partition}:iam::${c.accountId}:${resource}`;
}

const inRegion = (c: StageIdentityContext): PolicyCondition => ({
  StringEquals: { 'aws:RequestedRegion': c.region },
});

/** The services whose resources the stack tags with `Stage` and manages by that tag. */
const TAGGED_SERVICES = [
  'ec2',
  'ecs',
  'elasticloadbalancing',
  'rds',
  'elasticache',
  'servicediscovery',
  'application-autoscaling',
  'cloudwatch',
  'acm',
  'wafv2',
  'sns',
] as const;

/** Actions that create a tagged resource (the request carries the `Stage` tag) or tag it on creation. */
const CREATE_ACTIONS = [
  'ec2:CreateVpc',
  'ec2:CreateSubnet',
  'ec2:CreateSecurityGroup',
  'ec2:CreateRouteTable',
  'ec2:CreateInternetGateway',
  'ec2:CreateNatGateway',
  'ec2:AllocateAddress',
  'ec2:CreateFlowLogs',
  'ec2:CreateVpcEndpoint',
  'ec2:CreateTags',
  'ecs:CreateCluster',
  'ecs:CreateService',
  'ecs:RegisterTaskDefinition',
  'ecs:TagResource',
  'elasticloadbalancing:CreateLoadBalancer',
  'elasticloadbalancing:CreateTargetGroup',
  'elasticloadbalancing:CreateListener',
  'elasticloadbalancing:AddTags',
  'rds:CreateDBInstance',
  'rds:CreateDBSubnetGroup',
  'rds:CreateDBParameterGroup',
  'rds:AddTagsToResource',
  'elasticache:CreateReplicationGroup',
  'elasticache:CreateCacheSubnetGroup',
  'elasticache:AddTagsToResource',
  'servicediscovery:CreatePrivateDnsNamespace',
  'servicediscovery:CreateService',
  'servicediscovery:TagResource',
  'application-autoscaling:RegisterScalableTarget',
  'application-autoscaling:TagResource',
  'cloudwatch:PutMetricAlarm',
  'cloudwatch:TagResource',
  'acm:RequestCertificate',
  'acm:AddTagsToCertificate',
  'wafv2:CreateWebACL',
  'wafv2:TagResource',
  'sns:CreateTopic',
  'sns:TagResource',
  'kms:CreateKey',
  'kms:TagResource',
] as const;

/** What a stage's KMS keys may be used and managed for (keys tagged with the stage only). */
const KEY_ACTIONS = [
  'kms:DescribeKey',
  'kms:EnableKeyRotation',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateKeyDescription',
  'kms:CreateGrant',
  'kms:Decrypt',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:UpdateAlias',
] as const;

/** Tagging actions of every service the stack uses (the Deny statements on the `Stage` tag). */
const TAG_WRITE_ACTIONS = [
  'ec2:CreateTags',
  'ec2:DeleteTags',
  '*:TagResource',
  '*:UntagResource',
  'elasticloadbalancing:AddTags',
  'elasticloadbalancing:RemoveTags',
  'rds:AddTagsToResource',
  'rds:RemoveTagsFromResource',
  'elasticache:AddTagsToResource',
  'elasticache:RemoveTagsFromResource',
  'acm:AddTagsToCertificate',
  'acm:RemoveTagsFromCertificate',
  'logs:TagLogGroup',
  'logs:UntagLogGroup',
];

/** Reads `terraform plan` needs beyond the state: the data sources of the gateway stack. */
function dataSourceReads(c: StageIdentityContext): PolicyStatement[] {
  return [
    {
      Sid: 'DataSources',
      Effect: 'Allow',
      Action: ['sts:GetCallerIdentity', 'ec2:DescribeAvailabilityZones'],
      Resource: ['*'],
    },
    {
      // data.aws_secretsmanager_secret of the ECR pull-through cache: metadata, never the value.
      Sid: 'PullThroughCredentialMetadata',
      Effect: 'Allow',
      Action: ['secretsmanager:DescribeSecret'],
      Resource: [arn(c, 'secretsmanager', 'secret:ecr-pullthroughcache/*')],
    },
  ];
}

/** Read and, for a deploy, write the stage's state object (and its lock file) with the state key. */
function stateAccess(c: StageIdentityContext, write: boolean): PolicyStatement[] {
  const object = `arn:${c.partition}:s3:::${c.stateBucket}/${c.stateObjectKey}`;
  return [
    {
      Sid: write ? 'StateOfTheStage' : 'ReadStateOfTheStage',
      Effect: 'Allow',
      // A plan runs without the lock (-lock=false), so it needs no lock file write.
      Action: write ? ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'] : ['s3:GetObject'],
      Resource: write ? [object, `${object}.tflock`] : [object],
    },
    {
      Sid: 'ListOnlyTheStageState',
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: [`arn:${c.partition}:s3:::${c.stateBucket}`],
      Condition: { StringEquals: { 's3:prefix': [c.stateObjectKey, `${c.stateObjectKey}.tflock`] } },
    },
    {
      Sid: 'StateKey',
      Effect: 'Allow',
      Action: write ? ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt'],
      Resource: [c.stateKeyArn],
    },
  ];
}

/**
 * The permissions boundary of a stage: the most any role of the stage's gateway stack may ever
 * do, whatever its own policies say. Its roles pull the stage's images, write the stage's logs and
 * read the stage's secrets with the stage's keys: nothing in IAM, nothing of another stage.
 */
export function boundaryPolicy(c: StageIdentityContext): PolicyDocument {
  const s = c.stage;
  return policyDocument([
    {
      Sid: 'WriteTheStageLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      Resource: [arn(c, 'logs', `log-group:/kong-gateway/${s}/*`)],
    },
    { Sid: 'RegistryLogin', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: ['*'] },
    {
      Sid: 'PullTheStageImages',
      Effect: 'Allow',
      Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
      Resource: [arn(c, 'ecr', `repository/kong-gateway/${s}/*`), arn(c, 'ecr', `repository/kgw-${s}-hub/*`)],
    },
    {
      Sid: 'FillTheStagePullThroughCache',
      Effect: 'Allow',
      Action: ['ecr:CreateRepository', 'ecr:BatchImportUpstreamImage'],
      Resource: [arn(c, 'ecr', `repository/kgw-${s}-hub/*`)],
    },
    {
      Sid: 'ReadTheStageSecrets',
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue'],
      Resource: [arn(c, 'secretsmanager', `secret:kong-gateway/${s}/*`)],
    },
    {
      Sid: 'DecryptWithTheStageKeys',
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: [arn(c, 'kms', 'key/*')],
      Condition: { StringEquals: { [`aws:ResourceTag/${STAGE_TAG}`]: s } },
    },
  ]);
}

/**
 * The plan role's policy: read the stage's state (and decrypt it), and the data sources' reads.
 * Plans run with `-refresh=false` (the workflows set it), so no resource is read back from AWS
 * and no secret value is ever fetched; drift shows in the deploy's own plan.
 */
export function planPolicy(c: StageIdentityContext): PolicyDocument {
  return policyDocument([...stateAccess(c, false), ...dataSourceReads(c)]);
}

/** Writes to anything the bootstrap stack owns: explicitly denied to every deploy role. */
export function protectBootstrap(c: StageIdentityContext, names: BootstrapNames): PolicyStatement[] {
  const bucket = `arn:${c.partition}:s3:::${c.stateBucket}`;
  return [
    {
      Sid: 'NeverTouchTheCiRolesOrBoundaries',
      Effect: 'Deny',
      NotAction: ['iam:Get*', 'iam:List*'],
      Resource: [
        ...c.ciRoleArns,
        iamArn(c, `role/${names.iamPrefix}*`),
        iamArn(c, `policy/${names.iamPrefix}*`),
        c.oidcProviderArn,
      ],
    },
    {
      // No role of the account may lose its boundary, and no boundary may be swapped for another.
      Sid: 'NeverRemoveOrChangeABoundary',
      Effect: 'Deny',
      Action: ['iam:DeleteRolePermissionsBoundary', 'iam:DeleteUserPermissionsBoundary'],
      Resource: ['*'],
    },
    {
      Sid: 'NeverReconfigureTheStateBucket',
      Effect: 'Deny',
      Action: [
        's3:DeleteBucket',
        's3:PutBucket*',
        's3:DeleteBucket*',
        's3:PutEncryptionConfiguration',
        's3:PutLifecycleConfiguration',
        's3:PutBucketVersioning',
        's3:PutBucketPublicAccessBlock',
        's3:PutBucketPolicy',
        's3:DeleteObjectVersion',
      ],
      Resource: [bucket],
    },
    {
      Sid: 'NeverReconfigureTheStateKey',
      Effect: 'Deny',
      Action: [
        'kms:PutKeyPolicy',
        'kms:ScheduleKeyDeletion',
        'kms:DisableKey',
        'kms:CreateGrant',
        'kms:UpdateAlias',
        'kms:DeleteAlias',
      ],
      Resource: [c.stateKeyArn],
    },
  ];
}

/** What each of a CI role's managed policies is for (its IAM description). */
export const POLICY_PART_DESCRIPTIONS: Readonly<Record<string, string>> = {
  plan: 'Read the stage state object with the state key; the data sources a plan reads',
  state: 'The stage state object and lock file; the reads a refresh needs; the data sources',
  tagged:
    'Create resources only with the Stage tag; manage only resources tagged with the stage; its KMS keys',
  named: 'Resources named for the stage: log groups, secrets, repositories, buckets, dashboards, DNS records',
  roles: 'Stage roles kong-gateway-<stage>-*, created and re-policied only with the stage boundary',
  guard:
    'Explicit denies: CI roles, boundaries, OIDC provider, state store, other stages, shells and instances',
};

/** The deploy role's policies, split so each stays under IAM's 6,144-character managed-policy limit. */
export function deployPolicies(
  c: StageIdentityContext,
  names: BootstrapNames,
): Record<string, PolicyDocument> {
  const s = c.stage;
  const tagged = { [`aws:ResourceTag/${STAGE_TAG}`]: s };
  // The unscoped reads: every listed action that only reads (the rest are named below).
  const reads = Object.keys(UNSCOPED_ACTIONS).filter((a) => /:(Describe|Get|List|Check)/.test(a));
  return {
    state: policyDocument([
      ...stateAccess(c, true),
      ...dataSourceReads(c),
      {
        // Terraform reads back every resource it manages; none of these returns a secret value.
        Sid: 'RefreshReads',
        Effect: 'Allow',
        Action: reads,
        Resource: ['*'],
      },
    ]),
    tagged: policyDocument([
      {
        Sid: 'CreateOnlyWithTheStageTag',
        Effect: 'Allow',
        Action: [...CREATE_ACTIONS],
        Resource: ['*'],
        Condition: { StringEquals: { [`aws:RequestTag/${STAGE_TAG}`]: s, 'aws:RequestedRegion': c.region } },
      },
      {
        Sid: 'ManageOnlyResourcesOfTheStage',
        Effect: 'Allow',
        Action: TAGGED_SERVICES.map((svc) => `${svc}:*`),
        Resource: ['*'],
        Condition: { StringEquals: { ...tagged, 'aws:RequestedRegion': c.region } },
      },
      {
        Sid: 'UseAndManageOnlyTheStageKeys',
        Effect: 'Allow',
        Action: [...KEY_ACTIONS],
        Resource: [arn(c, 'kms', 'key/*')],
        Condition: { StringEquals: tagged },
      },
      {
        Sid: 'AliasesOfTheStageKeys',
        Effect: 'Allow',
        Action: ['kms:CreateAlias', 'kms:DeleteAlias', 'kms:UpdateAlias'],
        Resource: [arn(c, 'kms', `alias/kong-gateway-${s}-*`)],
      },
    ]),
    named: policyDocument([
      {
        Sid: 'LogGroupsOfTheStage',
        Effect: 'Allow',
        Action: ['logs:*'],
        Resource: [
          arn(c, 'logs', `log-group:/kong-gateway/${s}/*`),
          arn(c, 'logs', `log-group:/aws/rds/instance/kong-gateway-${s}-db/*`),
          arn(c, 'logs', `log-group:aws-waf-logs-kong-gateway-${s}*`),
        ],
      },
      {
        // The WAF's log delivery policy (aws_cloudwatch_log_resource_policy) and metric filters.
        Sid: 'LogDeliveryOfTheStage',
        Effect: 'Allow',
        Action: ['logs:PutResourcePolicy', 'logs:DeleteResourcePolicy', 'logs:DescribeResourcePolicies'],
        Resource: [arn(c, 'logs', '*')],
        Condition: inRegion(c),
      },
      {
        Sid: 'SecretsOfTheStage',
        Effect: 'Allow',
        Action: ['secretsmanager:*'],
        Resource: [arn(c, 'secretsmanager', `secret:kong-gateway/${s}/*`)],
      },
      {
        Sid: 'RepositoriesOfTheStage',
        Effect: 'Allow',
        Action: ['ecr:*'],
        Resource: [
          arn(c, 'ecr', `repository/kong-gateway/${s}/*`),
          arn(c, 'ecr', `repository/kgw-${s}-hub/*`),
        ],
      },
      {
        Sid: 'PullThroughCacheRules',
        Effect: 'Allow',
        Action: [
          'ecr:CreatePullThroughCacheRule',
          'ecr:DeletePullThroughCacheRule',
          'ecr:UpdatePullThroughCacheRule',
          'ecr:CreateRepositoryCreationTemplate',
          'ecr:DeleteRepositoryCreationTemplate',
          'ecr:UpdateRepositoryCreationTemplate',
        ],
        Resource: ['*'],
        Condition: inRegion(c),
      },
      {
        Sid: 'AccessLogBucketsOfTheStage',
        Effect: 'Allow',
        Action: ['s3:*'],
        Resource: [`arn:${c.partition}:s3:::kgw-${s}-*`, `arn:${c.partition}:s3:::kgw-${s}-*/*`],
      },
      {
        Sid: 'DashboardsOfTheStage',
        Effect: 'Allow',
        Action: ['cloudwatch:PutDashboard', 'cloudwatch:DeleteDashboards', 'cloudwatch:GetDashboard'],
        Resource: [`arn:${c.partition}:cloudwatch::${c.accountId}:dashboard/kong-gateway-${s}*`],
      },
      ...(c.hostedZoneId
        ? [
            {
              Sid: 'RecordsInTheStageZone',
              Effect: 'Allow' as const,
              Action: [
                'route53:ChangeResourceRecordSets',
                'route53:ListResourceRecordSets',
                'route53:GetHostedZone',
              ],
              Resource: [`arn:${c.partition}:route53:::hostedzone/${c.hostedZoneId}`],
            },
          ]
        : []),
    ]),
    roles: policyDocument([
      {
        Sid: 'CreateAndPolicyStageRolesOnlyWithTheBoundary',
        Effect: 'Allow',
        Action: [
          'iam:CreateRole',
          'iam:PutRolePolicy',
          'iam:DeleteRolePolicy',
          'iam:AttachRolePolicy',
          'iam:DetachRolePolicy',
          'iam:PutRolePermissionsBoundary',
        ],
        Resource: [iamArn(c, `role/${names.stageRolePattern}`)],
        Condition: { StringEquals: { 'iam:PermissionsBoundary': c.boundaryArn } },
      },
      {
        // These take no iam:PermissionsBoundary condition; every role they reach carries the
        // boundary (created only with it, and the boundary cannot be removed).
        Sid: 'MaintainStageRoles',
        Effect: 'Allow',
        Action: [
          'iam:GetRole',
          'iam:GetRolePolicy',
          'iam:ListRolePolicies',
          'iam:ListAttachedRolePolicies',
          'iam:ListInstanceProfilesForRole',
          'iam:DeleteRole',
          'iam:TagRole',
          'iam:UntagRole',
          'iam:UpdateRole',
          'iam:UpdateRoleDescription',
          'iam:UpdateAssumeRolePolicy',
        ],
        Resource: [iamArn(c, `role/${names.stageRolePattern}`)],
      },
      {
        Sid: 'PassStageRolesToTheirServicesOnly',
        Effect: 'Allow',
        Action: ['iam:PassRole'],
        Resource: [iamArn(c, `role/${names.stageRolePattern}`)],
        Condition: {
          StringEquals: {
            'iam:PassedToService': ['ecs-tasks.amazonaws.com', 'vpc-flow-logs.amazonaws.com'],
          },
        },
      },
      {
        Sid: 'ServiceLinkedRolesOfTheStackServices',
        Effect: 'Allow',
        Action: ['iam:CreateServiceLinkedRole'],
        Resource: [iamArn(c, 'role/aws-service-role/*')],
        Condition: {
          StringEquals: {
            'iam:AWSServiceName': [
              'ecs.amazonaws.com',
              'elasticloadbalancing.amazonaws.com',
              'rds.amazonaws.com',
              'elasticache.amazonaws.com',
              'ecs.application-autoscaling.amazonaws.com',
              'servicediscovery.amazonaws.com',
              'wafv2.amazonaws.com',
            ],
          },
        },
      },
    ]),
    // The explicit Denies: whatever the parts above allow, these win.
    guard: policyDocument([
      ...protectBootstrap(c, names),
      {
        // The stack runs no EC2 instance and never opens a shell in a task: the ways `ec2:*` and
        // `ecs:*` on the stage's resources could reach a role's credentials are closed.
        Sid: 'NoShellsNoInstances',
        Effect: 'Deny',
        Action: [
          'ecs:ExecuteCommand',
          'ec2:RunInstances',
          'ec2:ModifyInstanceAttribute',
          'ec2:CreateLaunchTemplate',
          'ec2:CreateLaunchTemplateVersion',
          'ec2:ModifyLaunchTemplate',
          'ec2:GetPasswordData',
          'ec2:AssociateIamInstanceProfile',
          'ec2:ReplaceIamInstanceProfileAssociation',
        ],
        Resource: ['*'],
      },
      {
        Sid: 'NeverTouchAnotherStage',
        Effect: 'Deny',
        Action: ['*'],
        Resource: ['*'],
        Condition: {
          StringNotEquals: tagged,
          Null: { [`aws:ResourceTag/${STAGE_TAG}`]: 'false' },
        },
      },
      {
        Sid: 'NeverTagForAnotherStage',
        Effect: 'Deny',
        Action: TAG_WRITE_ACTIONS,
        Resource: ['*'],
        Condition: {
          StringNotEquals: { [`aws:RequestTag/${STAGE_TAG}`]: s },
          Null: { [`aws:RequestTag/${STAGE_TAG}`]: 'false' },
        },
      },
      {
        Sid: 'NeverRemoveTheStageTag',
        Effect: 'Deny',
        Action: TAG_WRITE_ACTIONS.filter((a) => /(Untag|Remove|Delete)/.test(a)),
        Resource: ['*'],
        Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': [STAGE_TAG] } },
      },
    ]),
  };
}

/** The trust of a role assumed through GitHub OIDC: audience, and subjects equal or like the given ones. */
export function githubTrust(
  oidcProviderArn: string,
  subjects: { readonly equals: readonly string[]; readonly like: readonly string[] },
): PolicyDocument {
  const base = {
    Effect: 'Allow' as const,
    Principal: { Federated: oidcProviderArn },
    Action: ['sts:AssumeRoleWithWebIdentity'],
  };
  const aud = { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' };
  const statements: PolicyStatement[] = [];
  if (subjects.equals.length > 0)
    statements.push({
      Sid: 'JobsOnMainInTheEnvironment',
      ...base,
      Condition: {
        StringEquals: { ...aud, 'token.actions.githubusercontent.com:sub': [...subjects.equals] },
      },
    });
  if (subjects.like.length > 0)
    statements.push({
      Sid: 'PullRequestJobsOfTheWorkflow',
      ...base,
      Condition: {
        StringEquals: aud,
        StringLike: { 'token.actions.githubusercontent.com:sub': [...subjects.like] },
      },
    });
  return policyDocument(statements);
}
