/**
 * The IAM documents of the one-time setup (docs/iam/, used by docs/runbooks/bootstrap-state.md):
 * valid JSON with only the placeholders the runbook sets, and the least-privilege rules each one
 * promises, every rule shown able to fail on a broken document.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Json } from '../support/synth';

const DIR = path.join(__dirname, '..', '..', 'docs', 'iam');
const PLACEHOLDERS = [
  'ACCOUNT_ID',
  'GITHUB_REPO',
  'STAGE',
  'STATE_BUCKET',
  'STATE_KMS_KEY_ARN',
  'REGION',
  'HOSTED_ZONE_ID',
];
const text = (file: string) => fs.readFileSync(path.join(DIR, file), 'utf8');
const doc = (file: string): Json => JSON.parse(text(file));
const actions = (statement: Json): string[] => [statement.Action ?? []].flat();
const allows = (policy: Json): Json[] => policy.Statement.filter((s: Json) => s.Effect === 'Allow');

/** Allow statements granting every action, or every action of IAM. */
function adminGrants(policy: Json): string[] {
  return allows(policy)
    .filter((s) => actions(s).some((a) => a === '*' || a === 'iam:*'))
    .map((s) => s.Sid);
}

/** Allow statements with a service-wide action (`svc:*`) on any resource and no region bound. */
function unboundServiceWide(policy: Json): string[] {
  return allows(policy)
    .filter((s) => actions(s).some((a) => a.endsWith(':*')) && [s.Resource].flat().includes('*'))
    .filter((s) => !s.Condition?.StringEquals?.['aws:RequestedRegion'])
    .map((s) => s.Sid);
}

/** Trust statements that do not pin both the audience and the exact subject. */
function looseTrust(policy: Json): string[] {
  return policy.Statement.filter((s: Json) => {
    const eq = s.Condition?.StringEquals ?? {};
    return (
      !eq['token.actions.githubusercontent.com:aud'] ||
      !eq['token.actions.githubusercontent.com:sub'] ||
      s.Condition?.StringLike
    );
  }).map((s: Json) => s.Sid);
}

describe('docs/iam', () => {
  const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.json'));

  it("holds valid policy documents using only the runbook's placeholders", () => {
    expect(files.sort()).toEqual([
      'deploy-policy.json',
      'github-oidc-trust-deploy.json',
      'github-oidc-trust-plan.json',
      'plan-policy.json',
      'state-bucket-policy.json',
    ]);
    for (const file of files) {
      expect(doc(file).Version).toBe('2012-10-17');
      const used = [...text(file).matchAll(/\$\{([A-Z_]+)\}/g)].map((m) => m[1]!);
      expect(used.filter((p) => !PLACEHOLDERS.includes(p))).toEqual([]);
      for (const s of doc(file).Statement)
        expect(
          Object.keys(s).filter(
            (k) => !['Sid', 'Effect', 'Principal', 'Action', 'Resource', 'Condition'].includes(k),
          ),
        ).toEqual([]);
    }
  });

  it('never grants everything or all of IAM to the deploy role', () => {
    expect(adminGrants(doc('deploy-policy.json'))).toEqual([]);
    expect(
      adminGrants({ Statement: [{ Sid: 'Oops', Effect: 'Allow', Action: 'iam:*', Resource: '*' }] }),
    ).toEqual(['Oops']);
  });

  it('bounds every service-wide grant on all resources to the stage region', () => {
    expect(unboundServiceWide(doc('deploy-policy.json'))).toEqual([]);
    expect(
      unboundServiceWide({ Statement: [{ Sid: 'Wide', Effect: 'Allow', Action: ['rds:*'], Resource: '*' }] }),
    ).toEqual(['Wide']);
  });

  it("fences role management to the stack's kong-gateway-* roles and passes them only to its services", () => {
    const policy = doc('deploy-policy.json');
    const iam = allows(policy).filter((s) =>
      actions(s).some((a) => a.startsWith('iam:') && !/^iam:(Get|List)/.test(a)),
    );
    for (const s of iam) {
      if (actions(s).includes('iam:CreateServiceLinkedRole')) {
        expect(s.Condition.StringEquals['iam:AWSServiceName'].length).toBeGreaterThan(0);
      } else {
        expect(s.Resource).toBe('arn:aws:iam::${ACCOUNT_ID}:role/kong-gateway-*');
      }
    }
    const pass = allows(policy).find((s) => actions(s).includes('iam:PassRole'));
    expect(pass.Condition.StringEquals['iam:PassedToService']).toEqual(
      expect.arrayContaining(['ecs-tasks.amazonaws.com']),
    );
  });

  it('trusts only this repository: pull requests for the plan role, one environment per deploy role', () => {
    for (const file of ['github-oidc-trust-plan.json', 'github-oidc-trust-deploy.json'])
      expect(looseTrust(doc(file))).toEqual([]);
    const sub = (file: string) =>
      doc(file).Statement[0].Condition.StringEquals['token.actions.githubusercontent.com:sub'];
    expect(sub('github-oidc-trust-plan.json')).toBe('repo:${GITHUB_REPO}:pull_request');
    expect(sub('github-oidc-trust-deploy.json')).toBe('repo:${GITHUB_REPO}:environment:${STAGE}');
    const wildcard = {
      Statement: [
        {
          Sid: 'AnyBranch',
          Condition: { StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:x/*' } },
        },
      ],
    };
    expect(looseTrust(wildcard)).toEqual(['AnyBranch']);
  });

  it('lets the plan role write nothing (plans run without a state lock)', () => {
    const writes = allows(doc('plan-policy.json')).filter((s) =>
      actions(s).some((a) => /^(s3:(Put|Delete)|kms:(Encrypt|GenerateDataKey))/.test(a)),
    );
    expect(writes).toEqual([]);
    expect(
      fs.readFileSync(path.join(__dirname, '..', '..', '.github', 'workflows', 'pr.yml'), 'utf8'),
    ).toMatch(/TF_CLI_ARGS_plan: -lock=false/);
  });

  it('keeps the state bucket TLS-only and the state encrypted with its key', () => {
    const denies = doc('state-bucket-policy.json').Statement.filter((s: Json) => s.Effect === 'Deny');
    expect(denies.map((s: Json) => s.Condition)).toEqual(
      expect.arrayContaining([
        { Bool: { 'aws:SecureTransport': 'false' } },
        { NumericLessThan: { 's3:TlsVersion': '1.2' } },
        {
          StringNotEqualsIfExists: {
            's3:x-amz-server-side-encryption-aws-kms-key-id': '${STATE_KMS_KEY_ARN}',
          },
        },
      ]),
    );
  });
});
