/**
 * The IAM part of the scan: every synthesized policy extracted with placeholder ARNs, findings
 * judged against their written reasons, and the escalation canary. The checkers themselves run when
 * their virtualenv exists (`.ci/run` installs it before `npm test`; `npm run scan` does too).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ESCALATION_CANARY, extractPolicies, documentOf } from '../../scripts/scan/iam-policies';
import { judgeIamReport, type AcceptedFinding } from '../../scripts/scan/iam-evaluate';
import { synthGateway, type Json } from '../support/synth';

const ROOT = path.join(__dirname, '..', '..');
const PYTHON = path.join(ROOT, '.venv-iam', 'bin', 'python');

describe('policy extraction', () => {
  const { synth } = synthGateway('prod');
  const policies = extractPolicies('kong-gateway-prod', synth.json);

  it('finds every role, inline and resource policy, with no Terraform reference left', () => {
    const kinds = new Set(policies.map((p) => p.kind));
    expect([...kinds].sort()).toEqual(['identity', 'resource', 'trust']);
    expect(policies.filter((p) => p.kind === 'trust')).toHaveLength(synth.resources('aws_iam_role').length);
    expect(policies.filter((p) => p.kind === 'identity')).toHaveLength(
      synth.resources('aws_iam_role_policy').length,
    );
    for (const p of policies) {
      expect({ file: p.file, refs: JSON.stringify(p.document).match(/\$\{[^}]*\}/g) }).toEqual({
        file: p.file,
        refs: null,
      });
      expect(p.document.Version).toBe('2012-10-17');
    }
    // Lifecycle JSON is not IAM.
    expect(policies.some((p) => p.address.startsWith('aws_ecr_lifecycle_policy.'))).toBe(false);
  });

  it('substitutes ARNs of the right shape for the resources a policy names', () => {
    const logs = policies.find((p) => p.address.includes('kong_execution-policy'))!;
    const write = logs.document.Statement.find((s: Json) => s.Sid === 'WriteLogs');
    expect(write.Resource).toEqual([
      'arn:aws:logs:eu-west-1:111122223333:log-group:/kong-gateway/prod/kong:*',
    ]);
  });

  it('turns a policy document data source into IAM JSON', () => {
    expect(
      documentOf({
        statement: [
          {
            sid: 'A',
            actions: ['s3:GetObject'],
            resources: ['arn:aws:s3:::b/*'],
            principals: [{ type: 'Service', identifiers: ['x.amazonaws.com'] }],
            condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['true'] }],
          },
        ],
      }),
    ).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'A',
          Effect: 'Allow',
          Principal: { Service: ['x.amazonaws.com'] },
          Action: ['s3:GetObject'],
          Resource: ['arn:aws:s3:::b/*'],
          Condition: { Bool: { 'aws:SecureTransport': 'true' } },
        },
      ],
    });
  });
});

describe('judging the checkers’ findings', () => {
  const canaryReported = {
    [ESCALATION_CANARY.file]: {
      parliament: [],
      cloudsplaining: {
        PrivilegeEscalation: { findings: [{ type: 'PutRolePolicy', actions: ['iam:putrolepolicy'] }] },
      },
    },
  };
  const finding = {
    parliament: [{ issue: 'RESOURCE_STAR', location: { actions: ['s3:getobject'] } }],
    cloudsplaining: {},
  };
  const reason: AcceptedFinding = {
    tool: 'parliament',
    issue: 'RESOURCE_STAR',
    files: /^identity--x--/,
    reason: 'a test reason here',
  };

  it('passes a finding that has a written reason, and fails one that has none', () => {
    const report = { ...canaryReported, 'identity--x--aws_iam_policy.p.json': finding };
    expect(judgeIamReport(report, [reason]).ok).toBe(true);
    const verdict = judgeIamReport(report, []);
    expect(verdict.ok).toBe(false);
    expect(verdict.unexplained.map((f) => `${f.tool} ${f.issue} ${f.file}`)).toEqual([
      'parliament RESOURCE_STAR identity--x--aws_iam_policy.p.json',
    ]);
  });

  it('fails when the escalation canary is not reported (checkers that find nothing prove nothing)', () => {
    const verdict = judgeIamReport({ [ESCALATION_CANARY.file]: { parliament: [], cloudsplaining: {} } }, []);
    expect(verdict.canaryReported).toBe(false);
    expect(verdict.ok).toBe(false);
  });
});

const live = fs.existsSync(PYTHON) ? it : it.skip;
describe('parliament and cloudsplaining', () => {
  live(
    fs.existsSync(PYTHON)
      ? 'report a role that may PutRolePolicy on itself as a privilege escalation'
      : 'report a role that may PutRolePolicy on itself (skipped: .venv-iam missing; run SCAN_INSTALL_ONLY=1 npm run scan)',
    () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-check-'));
      try {
        const policies = path.join(dir, 'policies');
        fs.mkdirSync(policies);
        fs.writeFileSync(
          path.join(policies, ESCALATION_CANARY.file),
          JSON.stringify(ESCALATION_CANARY.document),
        );
        const result = spawnSync(
          PYTHON,
          [path.join(ROOT, 'scripts', 'scan', 'iam_check.py'), policies, path.join(dir, 'out.json')],
          {
            encoding: 'utf8',
            timeout: 120_000,
          },
        );
        expect(result.stderr).toBe('');
        expect(result.status).toBe(0);
        const report = JSON.parse(fs.readFileSync(path.join(dir, 'out.json'), 'utf8'));
        expect(judgeIamReport(report, []).canaryReported).toBe(true);
        expect(report[ESCALATION_CANARY.file].cloudsplaining.PrivilegeEscalation.findings).toEqual([
          { actions: ['iam:putrolepolicy'], type: 'PutRolePolicy' },
        ]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
    120_000,
  );
});
