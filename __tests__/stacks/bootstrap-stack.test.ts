/**
 * The bootstrap stacks (one per AWS account of config/bootstrap.json): settings validated with the
 * stage files they name, the state store, GitHub OIDC and the per-stage CI roles as synthesized,
 * existing resources adopted with `import` blocks, and the stack rules passing.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdktf';
import { BootstrapStack } from '../../lib/stacks/bootstrap-stack';
import { validateBootstrapSettings, type BootstrapSettings } from '../../lib/settings/bootstrap-settings';
import { StageSettingsError } from '../../lib/settings/load';
import { errorAnnotations } from '../../lib/policy/stack-policy-aspect';
import {
  boundaryPolicyName,
  ciRoleName,
  mainEnvironmentSubject,
  WORKFLOWS,
} from '../../lib/contracts/delivery-identity';
import { CONFIG_DIR, STAGE_NAMES, SynthesizedStack, testStage, type Json } from '../support/synth';

const FILE = 'config/bootstrap.json';
const rawSettings = (): Json => JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, 'bootstrap.json'), 'utf8'));
const stages = STAGE_NAMES.map((s) => testStage(s));

function problems(mutate: (raw: Json) => void): string[] {
  const raw = rawSettings();
  mutate(raw);
  try {
    validateBootstrapSettings(FILE, raw, stages);
    return [];
  } catch (err) {
    if (err instanceof StageSettingsError) return [...err.problems];
    throw err;
  }
}

function synthAccount(account: string, mutate?: (raw: Json) => void) {
  const raw = rawSettings();
  mutate?.(raw);
  const settings: BootstrapSettings = validateBootstrapSettings(FILE, raw, stages);
  const stack = new BootstrapStack(Testing.app(), { account, settings, stages });
  return { stack, synth: new SynthesizedStack(JSON.parse(Testing.synth(stack))) };
}

describe('config/bootstrap.json', () => {
  it('is valid and names every AWS stage in exactly one account', () => {
    expect(problems(() => {})).toEqual([]);
    const settings = validateBootstrapSettings(FILE, rawSettings(), stages);
    const named = Object.values(settings.accounts).flatMap((a) => Object.keys(a.stages));
    const aws = stages.filter((s) => !s.settings.localstack).map((s) => s.name);
    expect(named.sort()).toEqual(aws.sort());
  });

  it.each([
    [
      'a malformed account ID',
      (r: Json) => (r.accounts.dev.accountId = '1234'),
      'accounts.dev.accountId: must be a 12-digit AWS account ID',
    ],
    [
      'a stage in two accounts',
      (r: Json) => (r.accounts.prod.stages.dev = {}),
      'accounts.prod.stages.dev: the stage is already in account "dev"',
    ],
    [
      'a stage without a file',
      (r: Json) => (r.accounts.dev.stages.staging = {}),
      'accounts.dev.stages.staging: no stage file config/staging.json',
    ],
    [
      'the reserved name bootstrap',
      (r: Json) => (r.accounts.dev.stages.bootstrap = {}),
      'accounts.dev.stages.bootstrap: "bootstrap" is reserved',
    ],
    [
      'pull requests planning prod',
      (r: Json) => r.github.pullRequestStages.push('prod'),
      'github.pullRequestStages[1]: "prod" is a production stage',
    ],
    [
      'a state bucket the stage does not use',
      (r: Json) => (r.accounts.prod.stateBucket.name = 'other-bucket'),
      'keeps its state in bucket "example-org-kong-gateway-tfstate"',
    ],
    [
      'an unknown key',
      (r: Json) => (r.accounts.dev.stateBucket.encrypted = true),
      'accounts.dev.stateBucket: unknown key(s) "encrypted"',
    ],
  ])('rejects %s, naming the file and field', (_what, mutate, message) => {
    const found = problems(mutate);
    expect(found.join('\n')).toContain(message);
    expect(found.every((p) => p.startsWith(`${FILE}: `))).toBe(true);
  });
});

describe('kong-gateway-bootstrap-prod', () => {
  const { stack, synth } = synthAccount('prod');
  const iamPolicies = synth.resources('aws_iam_policy').map((p) => p.values);
  const byName = (name: string) => {
    const found = iamPolicies.find((p) => p.name === name);
    if (!found) throw new Error(`no IAM policy ${name}`);
    return JSON.parse(found.policy);
  };

  it('passes every stack rule', () => {
    expect(errorAnnotations(stack)).toEqual([]);
  });

  it('refuses credentials of another account and keeps its own state in a local file outside cdktf.out', () => {
    expect(synth.resource('aws_iam_openid_connect_provider')).toMatchObject({
      url: 'https://token.actions.githubusercontent.com',
      client_id_list: ['sts.amazonaws.com'],
    });
    expect(synth.json.provider.aws[0].allowed_account_ids).toEqual(['222222222222']);
    expect(synth.json.terraform.backend).toEqual({
      local: { path: '../../../terraform.kong-gateway-bootstrap-prod.tfstate' },
    });
    expect(synth.json.import).toBeUndefined();
  });

  it('makes a private, versioned, TLS-only state bucket whose state objects need the state key', () => {
    expect(synth.resource('aws_s3_bucket')).toMatchObject({
      bucket: 'example-org-kong-gateway-tfstate',
      lifecycle: { prevent_destroy: true },
    });
    expect(synth.resource('aws_s3_bucket_public_access_block')).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(synth.resource('aws_s3_bucket_versioning').versioning_configuration.status).toBe('Enabled');
    const sse = synth.resource('aws_s3_bucket_server_side_encryption_configuration').rule[0];
    expect(sse.apply_server_side_encryption_by_default.sse_algorithm).toBe('aws:kms');
    expect(synth.resource('aws_kms_key')).toMatchObject({
      enable_key_rotation: true,
      lifecycle: { prevent_destroy: true },
    });
    const policy = JSON.parse(synth.resource('aws_s3_bucket_policy').policy);
    expect(policy.Statement.map((s: Json) => s.Condition)).toEqual([
      { Bool: { 'aws:SecureTransport': 'false' } },
      { NumericLessThan: { 's3:TlsVersion': '1.2' } },
      {
        StringNotEqualsIfExists: {
          's3:x-amz-server-side-encryption-aws-kms-key-id': expect.stringMatching(/^\$\{aws_kms_key\./),
        },
      },
    ]);
  });

  it('gives the stage a boundary, a plan role and a deploy role, each with exactly its own policies', () => {
    const roles = synth.resources('aws_iam_role').map((r) => r.values);
    expect(roles.map((r) => r.name).sort()).toEqual([
      ciRoleName('deploy', 'prod'),
      ciRoleName('plan', 'prod'),
    ]);
    expect(iamPolicies.map((p) => p.name)).toContain(boundaryPolicyName('prod'));
    const exclusive = synth.resources('aws_iam_role_policy_attachments_exclusive').map((r) => r.values);
    expect(exclusive).toHaveLength(2);
    const deployExclusive = exclusive.find((e) => e.role_name.includes('deploy-role'));
    expect(deployExclusive.policy_arns).toHaveLength(5);
    expect(
      synth.resources('aws_iam_role_policies_exclusive').every((r) => r.values.policy_names.length === 0),
    ).toBe(true);
  });

  it('trusts the deploy role to deploy-stage.yml on main in the prod environment only', () => {
    const deploy = synth
      .resources('aws_iam_role')
      .find((r) => r.values.name === ciRoleName('deploy', 'prod'))!;
    const trust = JSON.parse(deploy.values.assume_role_policy);
    expect(trust.Statement).toHaveLength(1);
    expect(trust.Statement[0].Condition).toEqual({
      StringEquals: {
        'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
        'token.actions.githubusercontent.com:sub': [
          mainEnvironmentSubject('example-org/kong-gateway', 'prod', WORKFLOWS.deployStage),
        ],
      },
    });
    const plan = synth.resources('aws_iam_role').find((r) => r.values.name === ciRoleName('plan', 'prod'))!;
    expect(plan.values.assume_role_policy).not.toContain('pull_request');
  });

  it('scopes the deploy role to the prod state object and its boundary', () => {
    const state = byName(`${ciRoleName('deploy', 'prod')}-state`);
    const objects = state.Statement.find((s: Json) => s.Sid === 'StateOfTheStage');
    expect(objects.Resource).toEqual([
      'arn:aws:s3:::example-org-kong-gateway-tfstate/kong-gateway/prod.tfstate',
      'arn:aws:s3:::example-org-kong-gateway-tfstate/kong-gateway/prod.tfstate.tflock',
    ]);
    const roles = byName(`${ciRoleName('deploy', 'prod')}-roles`);
    expect(roles.Statement[0].Condition.StringEquals['iam:PermissionsBoundary']).toBe(
      `arn:aws:iam::222222222222:policy/${boundaryPolicyName('prod')}`,
    );
  });
});

describe('kong-gateway-bootstrap-dev', () => {
  it("lets pull requests assume dev's plan role", () => {
    const { synth } = synthAccount('dev');
    const plan = synth.resources('aws_iam_role').find((r) => r.values.name === ciRoleName('plan', 'dev'))!;
    const trust = JSON.parse(plan.values.assume_role_policy);
    expect(trust.Statement.map((s: Json) => s.Sid)).toEqual([
      'JobsOnMainInTheEnvironment',
      'PullRequestJobsOfTheWorkflow',
    ]);
    expect(trust.Statement[1].Condition.StringLike['token.actions.githubusercontent.com:sub']).toEqual([
      'repo:example-org/kong-gateway:pull_request:ref:refs/pull/*/merge:job_workflow_ref:example-org/kong-gateway/.github/workflows/pr.yml@refs/pull/*/merge',
    ]);
  });

  it('adopts an existing bucket, key, OIDC provider and roles with import blocks, keeping their names', () => {
    const { synth } = synthAccount('dev', (raw) => {
      const dev = raw.accounts.dev;
      dev.stateBucket.existing = true;
      dev.existingStateKeyId = '0f0e0d0c-0b0a-0908-0706-050403020100';
      dev.existingOidcProvider = true;
      dev.stages.dev = {
        planRole: { existingName: 'kong-gateway-github-plan' },
        deployRole: { existingName: 'kong-gateway-github-deploy-dev' },
      };
      dev.stateInBucket = true;
    });
    const imports = (synth.json.import as Json[]).map((i) => [i.to.split('.')[0], i.id]);
    expect(imports.sort()).toEqual(
      [
        [
          'aws_iam_openid_connect_provider',
          'arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com',
        ],
        ['aws_iam_role', 'kong-gateway-github-deploy-dev'],
        ['aws_iam_role', 'kong-gateway-github-plan'],
        ['aws_kms_alias', 'alias/kong-gateway-tfstate'],
        ['aws_kms_key', '0f0e0d0c-0b0a-0908-0706-050403020100'],
        ['aws_s3_bucket', 'example-org-kong-gateway-tfstate-dev'],
      ].sort(),
    );
    const roles = synth.resources('aws_iam_role').map((r) => r.values.name);
    expect(roles.sort()).toEqual(['kong-gateway-github-deploy-dev', 'kong-gateway-github-plan']);
    // The adopted roles are protected by the deploy roles' Deny under their own names.
    const guard = synth.resources('aws_iam_policy').find((p) => p.values.name.endsWith('deploy-dev-guard'))!;
    expect(guard.values.policy).toContain('arn:aws:iam::111111111111:role/kong-gateway-github-deploy-dev');
    expect(synth.json.terraform.backend.s3).toMatchObject({
      bucket: 'example-org-kong-gateway-tfstate-dev',
      key: 'kong-gateway/bootstrap.tfstate',
      use_lockfile: true,
    });
  });
});
