/**
 * The delivery identities' policies, evaluated as IAM would (__tests__/support/iam-eval.ts): a
 * deploy role cannot escalate, touches only its stage, uses only its stage's keys; a plan role
 * reads its stage's state and no secret value; each trust admits exactly the jobs the customized
 * OIDC subject describes. Every property is also shown failing on a deliberately broken policy.
 */
import {
  boundaryPolicy,
  deployPolicies,
  githubTrust,
  planPolicy,
  type StageIdentityContext,
} from '../../../lib/constructs/delivery-identity/policies';
import { UNSCOPED_ACTIONS } from '../../../lib/constructs/delivery-identity/unscoped-actions';
import type {
  PolicyDocument,
  PolicyStatement,
} from '../../../lib/constructs/delivery-identity/policy-document';
import {
  BOOTSTRAP_IAM_PREFIX,
  boundaryPolicyName,
  ciRoleName,
  mainEnvironmentSubject,
  oidcSubject,
  planEnvironment,
  pullRequestSubjectPattern,
  stageRolePattern,
  WORKFLOWS,
} from '../../../lib/contracts/delivery-identity';
import { evaluate, globMatch, type IamRequest } from '../../support/iam-eval';

const ACCOUNT = '111111111111';
const REPO = 'example-org/kong-gateway';
const OIDC = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
const STATE_KEY = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;
const STAGES = ['dev', 'prod'];
const CI_ROLES = STAGES.flatMap((s) => [ciRoleName('plan', s), ciRoleName('deploy', s)]).map(
  (n) => `arn:aws:iam::${ACCOUNT}:role/${n}`,
);

function context(stage: string): StageIdentityContext {
  return {
    partition: 'aws',
    region: 'eu-west-1',
    accountId: ACCOUNT,
    stage,
    stateBucket: 'example-tfstate',
    stateKeyArn: STATE_KEY,
    stateObjectKey: `kong-gateway/${stage}.tfstate`,
    boundaryArn: `arn:aws:iam::${ACCOUNT}:policy/${boundaryPolicyName(stage)}`,
    ciRoleArns: CI_ROLES,
    oidcProviderArn: OIDC,
    hostedZoneId: 'Z0123456789EXAMPLE',
  };
}
const names = (stage: string) => ({
  iamPrefix: BOOTSTRAP_IAM_PREFIX,
  stageRolePattern: stageRolePattern(stage),
});
const deployDocs = (stage: string): PolicyDocument[] =>
  Object.values(deployPolicies(context(stage), names(stage)));
const doc = (...Statement: PolicyStatement[]): PolicyDocument => ({ Version: '2012-10-17', Statement });
const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const DEV = deployDocs('dev');
const devBoundary = context('dev').boundaryArn;
const inDev = { 'aws:RequestedRegion': 'eu-west-1' };

/** Ways the deploy policies `docs` let a stage role be created or re-policied without the boundary. */
function roleWritesWithoutBoundary(docs: PolicyDocument[]): string[] {
  return ['iam:CreateRole', 'iam:PutRolePolicy', 'iam:AttachRolePolicy']
    .filter((action) => evaluate(docs, { action, resource: role('kong-gateway-dev-kong-task') }) === 'allow')
    .concat(
      ['iam:CreateRole', 'iam:PutRolePolicy'].filter(
        (action) =>
          evaluate(docs, {
            action,
            resource: role('kong-gateway-dev-kong-task'),
            context: { 'iam:PermissionsBoundary': `arn:aws:iam::${ACCOUNT}:policy/AdministratorAccess` },
          }) === 'allow',
      ),
    );
}

/** Writes to CI roles, boundaries or the OIDC provider that are not explicitly denied. */
function unprotectedBootstrapWrites(docs: PolicyDocument[]): string[] {
  const targets = [
    ...CI_ROLES,
    ...STAGES.map((s) => context(s).boundaryArn),
    `arn:aws:iam::${ACCOUNT}:policy/${ciRoleName('deploy', 'dev')}-roles`,
    OIDC,
  ];
  const actions = [
    'iam:UpdateAssumeRolePolicy',
    'iam:PutRolePolicy',
    'iam:AttachRolePolicy',
    'iam:DeleteRolePermissionsBoundary',
    'iam:PassRole',
    'iam:CreatePolicyVersion',
    'iam:SetDefaultPolicyVersion',
    'iam:DeletePolicy',
    'iam:UpdateOpenIDConnectProviderThumbprint',
    'sts:AssumeRole',
  ];
  return targets.flatMap((resource) =>
    actions
      .filter(
        (action) =>
          evaluate(docs, { action, resource, context: { 'iam:PermissionsBoundary': devBoundary } }) !==
          'deny',
      )
      .map((action) => `${action} ${resource}`),
  );
}

/** Calls on another stage's resources (tagged or named) that `docs` allow. */
function crossStageAccess(docs: PolicyDocument[], other: string): string[] {
  const requests: IamRequest[] = [
    {
      action: 'rds:DeleteDBInstance',
      resource: `arn:aws:rds:eu-west-1:${ACCOUNT}:db:kong-gateway-${other}-db`,
      context: { ...inDev, 'aws:ResourceTag/Stage': other },
    },
    {
      action: 'ec2:AuthorizeSecurityGroupIngress',
      resource: `arn:aws:ec2:eu-west-1:${ACCOUNT}:security-group/sg-1`,
      context: { ...inDev, 'aws:ResourceTag/Stage': other },
    },
    {
      // Retagging another stage's resource as one's own.
      action: 'ec2:CreateTags',
      resource: `arn:aws:ec2:eu-west-1:${ACCOUNT}:security-group/sg-1`,
      context: { ...inDev, 'aws:ResourceTag/Stage': other, 'aws:RequestTag/Stage': 'dev' },
    },
    {
      action: 'secretsmanager:GetSecretValue',
      resource: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:kong-gateway/${other}/consumers/smoke-AbCdEf`,
    },
    {
      action: 'kms:Decrypt',
      resource: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/99999999-0000-0000-0000-000000000000`,
      context: { 'aws:ResourceTag/Stage': other },
    },
    {
      action: 'iam:PutRolePolicy',
      resource: role(`kong-gateway-${other}-kong-task`),
      context: { 'iam:PermissionsBoundary': context(other).boundaryArn },
    },
    { action: 's3:GetObject', resource: `arn:aws:s3:::example-tfstate/kong-gateway/${other}.tfstate` },
    {
      action: 'logs:DeleteLogGroup',
      resource: `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/kong-gateway/${other}/kong`,
    },
  ];
  return requests.filter((r) => evaluate(docs, r) === 'allow').map((r) => `${r.action} ${r.resource}`);
}

/** Allow statements granting KMS actions on every key (or `*`) without a stage tag condition. */
function unscopedKeyGrants(docs: PolicyDocument[]): string[] {
  return docs
    .flatMap((d) => d.Statement)
    .filter((s) => s.Effect === 'Allow' && (s.Action ?? []).some((a) => a.startsWith('kms:') || a === '*'))
    .filter((s) => (s.Resource ?? []).some((r) => r === '*' || r.endsWith(':key/*')))
    .filter(
      (s) =>
        !s.Condition?.StringEquals?.['aws:ResourceTag/Stage'] &&
        !s.Condition?.StringEquals?.['aws:RequestTag/Stage'],
    )
    .filter((s) => !(s.Action ?? []).every((a) => a === 'kms:ListAliases' || !a.startsWith('kms:')))
    .map((s) => s.Sid);
}

/** Actions allowed on `*` with no stage tag condition that the unscoped list does not explain. */
function unexplainedUnscoped(docs: PolicyDocument[]): string[] {
  return docs
    .flatMap((d) => d.Statement)
    .filter((s) => s.Effect === 'Allow' && (s.Resource ?? []).includes('*'))
    .filter(
      (s) =>
        !s.Condition?.StringEquals?.['aws:ResourceTag/Stage'] &&
        !s.Condition?.StringEquals?.['aws:RequestTag/Stage'],
    )
    .flatMap((s) => (s.Action ?? []).filter((a) => !(a in UNSCOPED_ACTIONS)).map((a) => `${s.Sid}: ${a}`));
}

/** Resources naming RDS-managed secrets (`rds!…`: every RDS master password of the account). */
const rdsManagedSecrets = (docs: PolicyDocument[]) =>
  docs.flatMap((d) => d.Statement).flatMap((s) => (s.Resource ?? []).filter((r) => r.includes('rds!')));

describe('deploy role', () => {
  it('creates and re-policies stage roles only with its stage boundary attached', () => {
    const req = { action: 'iam:CreateRole', resource: role('kong-gateway-dev-kong-task') };
    expect(evaluate(DEV, { ...req, context: { 'iam:PermissionsBoundary': devBoundary } })).toBe('allow');
    expect(roleWritesWithoutBoundary(DEV)).toEqual([]);
    // Broken: the boundary condition dropped.
    const broken = DEV.map((d) =>
      doc(...d.Statement.map((s) => (s.Sid.startsWith('CreateAndPolicy') ? { ...s, Condition: {} } : s))),
    );
    expect(roleWritesWithoutBoundary(broken)).toEqual(
      expect.arrayContaining(['iam:CreateRole', 'iam:PutRolePolicy', 'iam:AttachRolePolicy']),
    );
  });

  it('is explicitly denied every write to the CI roles, the boundaries and the OIDC provider', () => {
    expect(unprotectedBootstrapWrites(DEV)).toEqual([]);
    // Even with IAM administration granted on top, the Deny wins.
    expect(
      unprotectedBootstrapWrites([
        ...DEV,
        doc({ Sid: 'Admin', Effect: 'Allow', Action: ['*'], Resource: ['*'] }),
      ]),
    ).toEqual([]);
    // Broken: without the guard part, an iam:* grant reaches the CI roles.
    const parts = Object.entries(deployPolicies(context('dev'), names('dev')));
    const broken = [
      ...parts.filter(([part]) => part !== 'guard').map(([, d]) => d),
      doc({ Sid: 'Iam', Effect: 'Allow', Action: ['iam:*'], Resource: ['*'] }),
    ];
    expect(unprotectedBootstrapWrites(broken)).toEqual(
      expect.arrayContaining([`iam:UpdateAssumeRolePolicy ${role(ciRoleName('deploy', 'prod'))}`]),
    );
  });

  it('cannot PutRolePolicy on itself (the textbook escalation)', () => {
    const self = role(ciRoleName('deploy', 'dev'));
    expect(
      evaluate(DEV, {
        action: 'iam:PutRolePolicy',
        resource: self,
        context: { 'iam:PermissionsBoundary': devBoundary },
      }),
    ).toBe('deny');
  });

  it("manages its own stage's resources and none of another stage's", () => {
    const mine: IamRequest = {
      action: 'rds:DeleteDBInstance',
      resource: `arn:aws:rds:eu-west-1:${ACCOUNT}:db:kong-gateway-dev-db`,
      context: { ...inDev, 'aws:ResourceTag/Stage': 'dev' },
    };
    expect(evaluate(DEV, mine)).toBe('allow');
    expect(
      evaluate(DEV, {
        action: 'secretsmanager:GetSecretValue',
        resource: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:kong-gateway/dev/consumers/smoke-AbCdEf`,
      }),
    ).toBe('allow');
    expect(crossStageAccess(DEV, 'prod')).toEqual([]);
    expect(crossStageAccess(deployDocs('prod'), 'dev')).toEqual([]);
    // Broken: a service-wide grant like the old docs/iam/deploy-policy.json's.
    const broken = [
      ...DEV.map((d) => doc(...d.Statement.filter((s) => s.Effect === 'Allow'))),
      doc({
        Sid: 'Old',
        Effect: 'Allow',
        Action: ['rds:*', 'ec2:*'],
        Resource: ['*'],
        Condition: { StringEquals: inDev },
      }),
    ];
    expect(crossStageAccess(broken, 'prod')).toEqual(
      expect.arrayContaining([
        `rds:DeleteDBInstance arn:aws:rds:eu-west-1:${ACCOUNT}:db:kong-gateway-prod-db`,
      ]),
    );
  });

  it("uses and manages only its stage's KMS keys (by tag or alias, never every key)", () => {
    expect(unscopedKeyGrants(DEV)).toEqual([]);
    const key = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/99999999-0000-0000-0000-000000000000`;
    expect(
      evaluate(DEV, {
        action: 'kms:PutKeyPolicy',
        resource: key,
        context: { 'aws:ResourceTag/Stage': 'dev' },
      }),
    ).toBe('allow');
    expect(evaluate(DEV, { action: 'kms:PutKeyPolicy', resource: key })).toBe('implicit-deny');
    expect(evaluate(DEV, { action: 'kms:PutKeyPolicy', resource: STATE_KEY })).toBe('deny');
    const old = doc({
      Sid: 'KeysOfTheStack',
      Effect: 'Allow',
      Action: ['kms:PutKeyPolicy', 'kms:Decrypt'],
      Resource: [`arn:aws:kms:eu-west-1:${ACCOUNT}:key/*`],
    });
    expect(unscopedKeyGrants([old])).toEqual(['KeysOfTheStack']);
  });

  it('names no RDS-managed secret (rds!*)', () => {
    expect(rdsManagedSecrets([...DEV, ...deployDocs('prod')])).toEqual([]);
    expect(
      rdsManagedSecrets([
        doc({
          Sid: 'S',
          Effect: 'Allow',
          Action: ['secretsmanager:*'],
          Resource: [`arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:rds!*`],
        }),
      ]),
    ).toHaveLength(1);
  });

  it('grants on "*" without a stage tag only the actions listed, with a reason, in unscoped-actions.ts', () => {
    expect(unexplainedUnscoped([...DEV, planPolicy(context('dev')), boundaryPolicy(context('dev'))])).toEqual(
      [],
    );
    expect(
      unexplainedUnscoped([
        doc({ Sid: 'Oops', Effect: 'Allow', Action: ['iam:CreateRole'], Resource: ['*'] }),
      ]),
    ).toEqual(['Oops: iam:CreateRole']);
    for (const reason of Object.values(UNSCOPED_ACTIONS)) expect(reason.length).toBeGreaterThan(20);
  });

  it("fits IAM's limits: each managed policy under 6,144 characters, at most 10 per role", () => {
    const parts = deployPolicies(context('prod'), names('prod'));
    expect(Object.keys(parts).length).toBeLessThanOrEqual(10);
    for (const [part, d] of Object.entries(parts))
      expect({ part, size: JSON.stringify(d).length < 6144 }).toEqual({ part, size: true });
  });
});

describe('plan role', () => {
  const plan = [planPolicy(context('dev'))];
  /** What a plan role may do that a plan does not need: write, read a secret value, read another state. */
  function beyondPlanning(docs: PolicyDocument[]): string[] {
    const requests: IamRequest[] = [
      { action: 's3:PutObject', resource: 'arn:aws:s3:::example-tfstate/kong-gateway/dev.tfstate' },
      { action: 's3:GetObject', resource: 'arn:aws:s3:::example-tfstate/kong-gateway/prod.tfstate' },
      { action: 's3:GetObject', resource: 'arn:aws:s3:::some-other-bucket/data.csv' },
      {
        action: 'secretsmanager:GetSecretValue',
        resource: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:kong-gateway/dev/consumers/smoke-AbCdEf`,
      },
      { action: 'kms:Encrypt', resource: STATE_KEY },
      { action: 'ecs:DescribeTaskDefinition', resource: '*' },
    ];
    return requests.filter((r) => evaluate(docs, r) === 'allow').map((r) => `${r.action} ${r.resource}`);
  }

  it("reads its stage's state and the data sources, and nothing else (no secret value, no other state)", () => {
    expect(
      evaluate(plan, {
        action: 's3:GetObject',
        resource: 'arn:aws:s3:::example-tfstate/kong-gateway/dev.tfstate',
      }),
    ).toBe('allow');
    expect(evaluate(plan, { action: 'kms:Decrypt', resource: STATE_KEY })).toBe('allow');
    expect(evaluate(plan, { action: 'sts:GetCallerIdentity', resource: '*' })).toBe('allow');
    expect(beyondPlanning(plan)).toEqual([]);
    // Broken: the old plan role (AWS ReadOnlyAccess plus secret reads).
    const readOnlyAccess = doc(
      { Sid: 'ReadOnlyAccess', Effect: 'Allow', Action: ['s3:Get*', 'ecs:Describe*'], Resource: ['*'] },
      {
        Sid: 'Refresh',
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue'],
        Resource: [`arn:aws:secretsmanager:*:${ACCOUNT}:secret:kong-gateway/*`],
      },
    );
    expect(beyondPlanning([readOnlyAccess])).toHaveLength(4);
  });
});

describe('trust policies against the customized OIDC subject', () => {
  const assume = (trust: PolicyDocument, sub: string, aud = 'sts.amazonaws.com') =>
    evaluate([trust], {
      action: 'sts:AssumeRoleWithWebIdentity',
      resource: '*',
      context: {
        'token.actions.githubusercontent.com:sub': sub,
        'token.actions.githubusercontent.com:aud': aud,
      },
    });
  const deployTrust = githubTrust(OIDC, {
    equals: [mainEnvironmentSubject(REPO, 'prod', WORKFLOWS.deployStage)],
    like: [],
  });
  const devPlanTrust = githubTrust(OIDC, {
    equals: [mainEnvironmentSubject(REPO, planEnvironment('dev'), WORKFLOWS.deployStage)],
    like: [pullRequestSubjectPattern(REPO, WORKFLOWS.pullRequest)],
  });
  const prodPlanTrust = githubTrust(OIDC, {
    equals: [mainEnvironmentSubject(REPO, planEnvironment('prod'), WORKFLOWS.deployStage)],
    like: [],
  });
  const sub = (context: string, ref: string, workflow: string, repo = REPO) =>
    oidcSubject({ repository: repo, context, ref, jobWorkflowRef: `${repo}/${workflow}@${ref}` });
  const main = 'refs/heads/main';

  it('formats the subject as GitHub does with the claim keys repo, context, ref, job_workflow_ref', () => {
    expect(sub('environment:prod', main, WORKFLOWS.deployStage)).toBe(
      'repo:example-org/kong-gateway:environment:prod:ref:refs/heads/main:job_workflow_ref:example-org/kong-gateway/.github/workflows/deploy-stage.yml@refs/heads/main',
    );
  });

  it('lets a deploy role be assumed only by deploy-stage.yml on main in its environment', () => {
    expect(assume(deployTrust, sub('environment:prod', main, WORKFLOWS.deployStage))).toBe('allow');
    const refused = [
      sub('environment:prod', 'refs/heads/feature', WORKFLOWS.deployStage), // workflow_dispatch from a branch
      sub('environment:prod', main, '.github/workflows/evil.yml'), // another workflow on main
      sub('environment:dev', main, WORKFLOWS.deployStage), // another stage's environment
      sub('pull_request', 'refs/pull/7/merge', WORKFLOWS.deployStage),
      sub('environment:prod', main, WORKFLOWS.deployStage, 'someone/fork'),
    ];
    for (const s of refused) expect({ s, d: assume(deployTrust, s) }).toEqual({ s, d: 'implicit-deny' });
    expect(assume(deployTrust, sub('environment:prod', main, WORKFLOWS.deployStage), 'other-audience')).toBe(
      'implicit-deny',
    );
    // Broken: a trust on the repository alone (the old environment-only check would be similar).
    const loose = githubTrust(OIDC, { equals: [], like: [`repo:${REPO}:*`] });
    expect(assume(loose, refused[0]!)).toBe('allow');
  });

  it("lets pull requests assume only dev's plan role, and only from pr.yml", () => {
    expect(assume(devPlanTrust, sub('pull_request', 'refs/pull/42/merge', WORKFLOWS.pullRequest))).toBe(
      'allow',
    );
    expect(
      assume(devPlanTrust, sub(`environment:${planEnvironment('dev')}`, main, WORKFLOWS.deployStage)),
    ).toBe('allow');
    expect(
      assume(devPlanTrust, sub('pull_request', 'refs/pull/42/merge', '.github/workflows/other.yml')),
    ).toBe('implicit-deny');
    expect(assume(devPlanTrust, sub('ref:refs/heads/x', 'refs/heads/x', WORKFLOWS.pullRequest))).toBe(
      'implicit-deny',
    );
    expect(assume(prodPlanTrust, sub('pull_request', 'refs/pull/42/merge', WORKFLOWS.pullRequest))).toBe(
      'implicit-deny',
    );
    expect(
      assume(
        prodPlanTrust,
        sub(`environment:${planEnvironment('prod')}`, 'refs/heads/x', WORKFLOWS.deployStage),
      ),
    ).toBe('implicit-deny');
    expect(
      assume(prodPlanTrust, sub(`environment:${planEnvironment('prod')}`, main, WORKFLOWS.deployStage)),
    ).toBe('allow');
  });

  it('uses a wildcard only for the pull request number', () => {
    const pattern = pullRequestSubjectPattern(REPO, WORKFLOWS.pullRequest);
    expect(pattern.replace(/refs\/pull\/\*\/merge/g, '')).not.toContain('*');
    expect(globMatch(pattern, sub('pull_request', 'refs/pull/1/merge', WORKFLOWS.pullRequest))).toBe(true);
  });
});
