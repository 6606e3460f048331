import { App, TerraformStack } from 'cdktf';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { checkovSkips, forbidOptOutSkips, skipCheckov, skipCheckovOptOut } from '../../lib/policy/checkov';
import { GatewayStack } from '../../lib/stacks/gateway-stack';
import { stackName } from '../../lib/contracts/naming';
import { testStage, type Json } from '../support/synth';
import { checkovSkipsByAddress, synthWithComments } from '../support/terraform-json';

/** Data source types prefixed, so they sit beside resource types in one object. */
function prefixed(data: Json | undefined): Json {
  return Object.fromEntries(Object.entries(data ?? {}).map(([type, byName]) => [`data.${type}`, byName]));
}

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

describe('opt-out skips', () => {
  it('are written like design skips, marked optOut', () => {
    // GIVEN a stack that allows opt-outs
    const stack = bareStack();
    const group = new CloudwatchLogGroup(stack, 'group', { name: 'g' });
    // WHEN a setting switched a protection off
    skipCheckovOptOut(group, 'CKV_AWS_338', 'retention chosen in config/dev.json (logRetentionDays: 14)');
    skipCheckov(group, 'CKV_AWS_158', 'encrypted with the AWS-owned key on purpose');
    // THEN the JSON tells the two kinds apart
    expect(synthWithComments(stack).resource.aws_cloudwatch_log_group.group['//'].checkov.skip).toEqual([
      {
        id: 'CKV_AWS_338',
        comment: 'retention chosen in config/dev.json (logRetentionDays: 14)',
        optOut: true,
      },
      { id: 'CKV_AWS_158', comment: 'encrypted with the AWS-owned key on purpose' },
    ]);
  });

  it('throw in a stack that forbids them, naming the element and why; design skips still work', () => {
    const stack = bareStack();
    forbidOptOutSkips(stack, 'config/prod.json is a production stage');
    const group = new CloudwatchLogGroup(stack, 'group', { name: 'g' });
    expect(() => skipCheckovOptOut(group, 'CKV_AWS_338', 'retention chosen in the stage file')).toThrow(
      /under-test\/group: CKV_AWS_338 would be skipped because a setting opted out of it .*config\/prod\.json is a production stage/,
    );
    expect(checkovSkips(group)).toEqual([]);
    skipCheckov(group, 'CKV_AWS_158', 'encrypted with the AWS-owned key on purpose');
    expect(checkovSkips(group).map((s) => s.id)).toEqual(['CKV_AWS_158']);
  });
});

describe('a production stack cannot synthesize with an opt-out', () => {
  // GIVEN prod's validated settings, changed afterwards the way no stage file can pass the schema
  const prod = testStage('prod');
  const withSettings = (change: (s: typeof prod.settings) => typeof prod.settings) => () =>
    new GatewayStack(new App(), stackName('prod'), { stage: { ...prod, settings: change(prod.settings) } });

  it.each([
    [
      'database.multiAz',
      'CKV_AWS_157',
      (s: typeof prod.settings) => ({ ...s, database: { ...s.database, multiAz: false } }),
    ],
    [
      'waf.enabled',
      'CKV2_AWS_28',
      (s: typeof prod.settings) => ({ ...s, waf: { ...s.waf, enabled: false } }),
    ],
    [
      'rateLimiting.redisReplicas',
      'CKV2_AWS_50',
      (s: typeof prod.settings) => ({ ...s, rateLimiting: { ...s.rateLimiting, redisReplicas: 0 } }),
    ],
    [
      'loadBalancer.accessLogs',
      'CKV_AWS_91',
      (s: typeof prod.settings) => ({ ...s, loadBalancer: { ...s.loadBalancer, accessLogs: false } }),
    ],
  ])('%s off fails the synth instead of skipping %s', (_setting, id, change) => {
    expect(withSettings(change)).toThrow(
      new RegExp(`${id} would be skipped .*config/prod\\.json is a production stage`),
    );
  });

  it('builds prod as committed', () => {
    expect(withSettings((s) => s)).not.toThrow();
  });
});

describe('Checkov skips of the real stages', () => {
  const synthOf = (stage: string) =>
    synthWithComments(new GatewayStack(new App(), stackName(stage), { stage: testStage(stage) }));
  const devSynth = synthOf('dev');
  const prodSynth = synthOf('prod');
  const dev = checkovSkipsByAddress(devSynth);
  const prod = checkovSkipsByAddress(prodSynth);
  const devJson: Json = { ...devSynth.resource, ...prefixed(devSynth.data) };
  const prodJson: Json = { ...prodSynth.resource, ...prefixed(prodSynth.data) };

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

  it.each(Object.entries(DEV_ONLY))('marks the dev skip of %s (%s) as an opt-out', (id) => {
    const entries = Object.values(devJson).flatMap((byName) =>
      Object.values<Json>(byName as Json).flatMap((b) => b['//']?.checkov?.skip ?? []),
    );
    expect(entries.filter((s: Json) => s.id === id).every((s: Json) => s.optOut === true)).toBe(true);
    expect(entries.some((s: Json) => s.id === id)).toBe(true);
  });

  it('emits no opt-out skip at all in prod', () => {
    const entries = Object.values(prodJson).flatMap((byName) =>
      Object.values<Json>(byName as Json).flatMap((b) => b['//']?.checkov?.skip ?? []),
    );
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.filter((s: Json) => s.optOut)).toEqual([]);
  });
});
