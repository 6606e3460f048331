import { App, TerraformStack } from 'cdktf';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { checkovSkips, skipCheckov } from '../../lib/policy/checkov';
import { GatewayStack } from '../../lib/stacks/gateway-stack';
import { stackName } from '../../lib/contracts/naming';
import { testStage } from '../support/synth';
import { checkovSkipsByAddress, synthWithComments } from '../support/terraform-json';

function bareStack(): TerraformStack {
  const stack = new TerraformStack(new App(), 'under-test');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  return stack;
}

describe('skipCheckov', () => {
  // GIVEN a resource and a data source, each with a skip
  const stack = bareStack();
  const group = new CloudwatchLogGroup(stack, 'group', { name: 'g' });
  const doc = new DataAwsIamPolicyDocument(stack, 'doc', {
    statement: [{ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }],
  });
  skipCheckov(group, 'CKV_AWS_338', 'first reason, replaced by the next call');
  skipCheckov(group, 'CKV_AWS_338', 'dev log group, kept two weeks on purpose');
  skipCheckov(group, 'CKV_AWS_158', 'encrypted with the AWS-owned key on purpose');
  skipCheckov(doc, 'CKV_AWS_356', 'GetAuthorizationToken has no resource-level permission');
  // WHEN synthesized as cdktf synth writes it
  const json = synthWithComments(stack);

  it('writes the skips into the resource\'s "//" field beside cdktf\'s metadata', () => {
    const comment = json.resource.aws_cloudwatch_log_group.group['//'];
    expect(comment.metadata).toMatchObject({ path: 'under-test/group' });
    expect(comment.checkov.skip).toEqual([
      { id: 'CKV_AWS_338', comment: 'dev log group, kept two weeks on purpose' },
      { id: 'CKV_AWS_158', comment: 'encrypted with the AWS-owned key on purpose' },
    ]);
  });

  it('writes them on data sources too, whose "//" cdktf rebuilds after overrides', () => {
    expect(json.data.aws_iam_policy_document.doc['//'].checkov.skip).toEqual([
      { id: 'CKV_AWS_356', comment: 'GetAuthorizationToken has no resource-level permission' },
    ]);
    expect(checkovSkips(doc).map((s) => s.id)).toEqual(['CKV_AWS_356']);
  });

  it('leaves the Terraform configuration itself unchanged', () => {
    expect(json.resource.aws_cloudwatch_log_group.group).toMatchObject({ name: 'g' });
    expect(Object.keys(json.resource.aws_cloudwatch_log_group.group).sort()).toEqual(['//', 'name']);
  });

  it('rejects a malformed check ID and a missing or multi-line reason', () => {
    const other = new CloudwatchLogGroup(bareStack(), 'other', { name: 'o' });
    expect(() => skipCheckov(other, 'AWS_338', 'a perfectly fine reason')).toThrow(/not a Checkov check ID/);
    expect(() => skipCheckov(other, 'CKV_AWS_338', '  ')).toThrow(/one-line reason/);
    expect(() => skipCheckov(other, 'CKV_AWS_338', 'two\nlines of reason')).toThrow(/one-line reason/);
    expect(checkovSkips(other)).toEqual([]);
  });
});

describe('Checkov skips of the real stages', () => {
  const skipsOf = (stage: string) => {
    const stack = new GatewayStack(new App(), stackName(stage), { stage: testStage(stage) });
    return checkovSkipsByAddress(synthWithComments(stack));
  };
  const dev = skipsOf('dev');
  const prod = skipsOf('prod');

  // Checks a cheap stage may skip because its settings turned the feature off.
  const DEV_ONLY = {
    CKV_AWS_338: 'log retention under a year',
    CKV_AWS_293: 'RDS deletion protection',
    CKV_AWS_157: 'RDS Multi-AZ',
    CKV_AWS_353: 'RDS Performance Insights',
    CKV2_AWS_50: 'ElastiCache failover',
    CKV_AWS_150: 'ALB deletion protection',
    CKV_AWS_91: 'ALB access logs',
    CKV_AWS_2: 'HTTPS listener (no domain)',
    CKV_AWS_103: 'TLS 1.2 on the listener (no domain)',
    CKV2_AWS_20: 'HTTP to HTTPS redirect (no domain)',
    CKV2_AWS_28: 'WAF in front of the ALB (waf.enabled false)',
  };

  it.each(Object.entries(DEV_ONLY))('skips %s (%s) in dev, whose settings opt out', (id) => {
    expect(Object.values(dev).flat()).toContain(id);
  });

  it.each(Object.entries(DEV_ONLY))('never carries the dev-only skip of %s (%s) into prod', (id) => {
    expect(Object.values(prod).flat()).not.toContain(id);
  });
});
