/**
 * The judge of `npm run scan`: Checkov's JSON report against the synthesized stack. Records are
 * shaped as Checkov 3.3.30 writes them for cdk.tf.json (measured): Python checks name
 * `resource.<name>` / `data.<name>`, graph checks `<type>.<name>`.
 */
import { evaluateStack, formatVerdicts, type CheckovReport } from '../../scripts/scan/evaluate';
import type { Json } from '../support/synth';

const skip = (id: string, comment: string) => ({ '//': { checkov: { skip: [{ id, comment }] } } });

function stack(extra: Json = {}): Json {
  return {
    resource: {
      aws_cloudwatch_log_group: { logs_A1: { name: 'l', ...extra.logs } },
      aws_s3_bucket: { bucket_B2: { bucket: 'b' } },
    },
    data: { aws_iam_policy_document: { doc_C3: { statement: [], ...extra.doc } } },
  };
}

function report(failed: { id: string; resource: string }[], passed = ['resource.logs_A1']): CheckovReport {
  return {
    check_type: 'terraform_json',
    results: {
      passed_checks: passed.map((resource) => ({ check_id: 'CKV_AWS_1', resource })),
      failed_checks: failed.map((f) => ({
        check_id: f.id,
        check_name: `name of ${f.id}`,
        resource: f.resource,
      })),
      parsing_errors: [],
    },
    summary: { parsing_errors: 0 },
  };
}

describe('evaluateStack', () => {
  it('passes a stack with checked resources and no failure', () => {
    const verdict = evaluateStack('s', stack(), report([], ['resource.logs_A1', 'aws_s3_bucket.bucket_B2']));
    expect(verdict).toMatchObject({ ok: true, resourcesChecked: 2, resourcesInStack: 3, passed: 2 });
  });

  it('fails on a failed check without a skip, naming the Terraform address', () => {
    const verdict = evaluateStack(
      's',
      stack(),
      report([{ id: 'CKV2_AWS_6', resource: 'aws_s3_bucket.bucket_B2' }]),
    );
    expect(verdict.ok).toBe(false);
    expect(verdict.failures).toEqual([
      { checkId: 'CKV2_AWS_6', checkName: 'name of CKV2_AWS_6', address: 'aws_s3_bucket.bucket_B2' },
    ]);
  });

  it('turns a failure into a reported skip when its resource carries a skip for that check', () => {
    const s = stack({ logs: skip('CKV_AWS_338', 'development stage, disposable') });
    const verdict = evaluateStack('s', s, report([{ id: 'CKV_AWS_338', resource: 'resource.logs_A1' }]));
    expect(verdict.ok).toBe(true);
    expect(verdict.skipped).toEqual([
      expect.objectContaining({
        checkId: 'CKV_AWS_338',
        address: 'aws_cloudwatch_log_group.logs_A1',
        reason: 'development stage, disposable',
      }),
    ]);
  });

  it('maps data sources in both record shapes (data.<name> and <type>.<name>)', () => {
    const s = stack({ doc: skip('CKV_AWS_356', 'GetAuthorizationToken needs Resource "*"') });
    const python = evaluateStack('s', s, report([{ id: 'CKV_AWS_356', resource: 'data.doc_C3' }]));
    const graph = evaluateStack(
      's',
      s,
      report([{ id: 'CKV_AWS_356', resource: 'aws_iam_policy_document.doc_C3' }]),
    );
    for (const v of [python, graph]) {
      expect(v.ok).toBe(true);
      expect(v.skipped[0]?.address).toBe('data.aws_iam_policy_document.doc_C3');
    }
  });

  it('does not let a skip for one check hide another check on the same resource', () => {
    const s = stack({ logs: skip('CKV_AWS_338', 'development stage, disposable') });
    const verdict = evaluateStack('s', s, report([{ id: 'CKV_AWS_158', resource: 'resource.logs_A1' }]));
    expect(verdict.failures.map((f) => f.checkId)).toEqual(['CKV_AWS_158']);
    expect(verdict.errors).toEqual([expect.stringMatching(/skip of CKV_AWS_338 matches no failure/)]);
  });

  it('fails on a stale skip (its check passes now), so skips never outlive their reason', () => {
    const s = stack({ logs: skip('CKV_AWS_338', 'development stage, disposable') });
    const verdict = evaluateStack('s', s, report([]));
    expect(verdict.ok).toBe(false);
    expect(verdict.errors[0]).toMatch(
      /aws_cloudwatch_log_group.logs_A1: skip of CKV_AWS_338 matches no failure/,
    );
  });

  it('fails on a skip without a reason', () => {
    const s = stack({ logs: { '//': { checkov: { skip: [{ id: 'CKV_AWS_338' }] } } } });
    const verdict = evaluateStack('s', s, report([{ id: 'CKV_AWS_338', resource: 'resource.logs_A1' }]));
    expect(verdict.ok).toBe(false);
    expect(verdict.errors[0]).toMatch(/malformed Checkov skip/);
  });

  it('fails when Checkov checked no resource of the stack (it read nothing)', () => {
    const empty: CheckovReport = { results: { passed_checks: [], failed_checks: [] } };
    const verdict = evaluateStack('s', stack(), empty);
    expect(verdict.ok).toBe(false);
    expect(verdict.resourcesChecked).toBe(0);
    expect(verdict.errors).toEqual([expect.stringMatching(/checked no resource/)]);
  });

  it('does not count checks on things that are not resources of the stack (e.g. the provider)', () => {
    const verdict = evaluateStack('s', stack(), report([], ['provider.aws']));
    expect(verdict.ok).toBe(false);
    expect(verdict.resourcesChecked).toBe(0);
  });

  it('fails on parsing errors', () => {
    const broken: CheckovReport = {
      ...report([]),
      results: { ...report([]).results, parsing_errors: ['/cdk.tf.json'] },
    };
    expect(evaluateStack('s', stack(), broken).errors).toEqual([expect.stringMatching(/could not parse/)]);
  });

  it('accepts the list form Checkov prints when several frameworks ran', () => {
    const verdict = evaluateStack('s', stack(), [report([]), { check_type: 'secrets', results: {} }]);
    expect(verdict.ok).toBe(true);
  });

  it('formats a verdict with counts, failures, skips and errors', () => {
    const s = stack({ logs: skip('CKV_AWS_338', 'development stage, disposable') });
    const verdict = evaluateStack(
      'kong-gateway-dev',
      s,
      report([
        { id: 'CKV_AWS_338', resource: 'resource.logs_A1' },
        { id: 'CKV2_AWS_6', resource: 'aws_s3_bucket.bucket_B2' },
      ]),
    );
    expect(formatVerdicts([verdict]).split('\n')).toEqual([
      'FAIL kong-gateway-dev: 2 of 3 resources checked, 1 passed, 1 failed, 1 skipped with a reason',
      '  FAILED  CKV2_AWS_6 aws_s3_bucket.bucket_B2: name of CKV2_AWS_6',
      '  skipped CKV_AWS_338 aws_cloudwatch_log_group.logs_A1: development stage, disposable',
    ]);
  });
});
