/**
 * The stack policy at synth (lib/policy/stack-policy-aspect.ts): every stage satisfies every rule,
 * and a stack that breaks a rule fails the synth, both the way `app.synth()` fails (it throws) and
 * the way `cdktf synth` fails (the app records the errors in manifest.json, the CLI exits on them).
 * `Testing.synth` ignores error annotations, so these tests read them or call `app.synth()`.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, TerraformStack, Testing } from 'cdktf';
// cdktf-cli's own check of the manifest's annotations (a dependency of cdktf-cli 0.21.0).
import { printAnnotations } from '@cdktf/cli-core/src/lib/synth';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { stackRules } from '../../lib/policy/rules';
import { applyStackPolicy, ERROR_ANNOTATION, errorAnnotations } from '../../lib/policy/stack-policy-aspect';
import { GatewayStack } from '../../lib/stacks/gateway-stack';
import { LocalStackStack } from '../../lib/stacks/localstack-stack';
import { stageTags } from '../../lib/stacks/tags';
import { STAGE_NAMES, synthGateway, testStage, type Json } from '../support/synth';

const REQUIRED_TAGS = ['Project', 'Owner', 'Stage', 'ManagedBy'];

describe.each(STAGE_NAMES)('stage %s satisfies the stack policy', (stageName) => {
  const { stack, synth } = synthGateway(stageName);

  it.each(stackRules(REQUIRED_TAGS).map((rule) => [rule.id, rule] as const))('%s', (_id, rule) => {
    expect(rule.check(synth)).toEqual([]);
  });

  it('so its synth records no error annotation', () => {
    expect(errorAnnotations(stack)).toEqual([]);
  });

  it('applies the stage file tags plus Stage and ManagedBy', () => {
    expect(synth.json.provider.aws[0].default_tags[0].tags).toEqual(stageTags(testStage(stageName)));
  });
});

/** A stack with the policy applied and one log group that keeps logs forever, unencrypted. */
function brokenStack(app: App): TerraformStack {
  const stack = new TerraformStack(app, 'broken');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1', defaultTags: [{ tags: { Project: 'x' } }] });
  new CloudwatchLogGroup(stack, 'forever', { name: 'forever' });
  applyStackPolicy(stack, stackRules(['Project', 'Owner']));
  return stack;
}

describe('a stack that breaks a rule', () => {
  let outdir: string;
  beforeEach(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-'));
  });
  afterEach(() => {
    fs.rmSync(outdir, { recursive: true, force: true });
    delete process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS;
  });

  it('gets one error annotation per problem, on the construct that wrote the block', () => {
    const stack = brokenStack(Testing.app());
    Testing.synth(stack); // runs the aspects, does not fail on errors
    expect(errorAnnotations(stack)).toEqual([
      '[broken] [providers-apply-default-tags] provider aws[0] does not apply default tag "Owner"',
      '[broken/forever] [log-groups-have-retention] aws_cloudwatch_log_group.forever has no retention_in_days',
      '[broken/forever] [log-groups-have-retention] aws_cloudwatch_log_group.forever is not encrypted with a KMS key',
    ]);
  });

  it('makes app.synth() throw and writes no stack', () => {
    const app = new App({ outdir });
    brokenStack(app);
    expect(() => app.synth()).toThrow(
      /Encountered Annotations with level "ERROR":\n\[broken\] \[providers-apply-default-tags\] provider aws\[0\] does not apply default tag "Owner"\n\[broken\/forever\] \[log-groups-have-retention\] aws_cloudwatch_log_group\.forever has no retention_in_days/,
    );
    expect(fs.existsSync(path.join(outdir, 'stacks', 'broken', 'cdk.tf.json'))).toBe(false);
  });

  it('makes `cdktf synth` fail: the errors reach manifest.json, on which the CLI exits', () => {
    // What cdktf-cli 0.21 sets when it runs the app (@cdktf/cli-core synth-stack.js), read when a
    // stack is constructed: the app writes everything and leaves the verdict to the CLI.
    process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS = 'true';
    const app = new App({ outdir });
    brokenStack(app);
    app.synth();
    const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
    const annotations: Json[] = manifest.stacks.broken.annotations;
    expect(annotations.filter((a) => a.level === ERROR_ANNOTATION).map((a) => a.message)).toHaveLength(3);

    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      expect(() => printAnnotations(Object.values(manifest.stacks))).toThrow(
        /error annotations have been encountered/,
      );
    } finally {
      log.mockRestore();
    }
  });

  it('fails the gateway stack and the LocalStack stack alike: both apply the policy', () => {
    const app = new App({ outdir });
    const gateway = new GatewayStack(app, 'gateway', { stage: testStage('dev') });
    new CloudwatchLogGroup(gateway, 'forever', { name: 'forever' });
    const local = new LocalStackStack(app, 'local', { stage: testStage('local') });
    new CloudwatchLogGroup(local, 'forever', { name: 'forever' });
    expect(() => app.synth()).toThrow(/\[gateway\/forever\] \[log-groups-have-retention\]/);
    Testing.synth(local);
    expect(errorAnnotations(local)).toEqual([
      '[local/forever] [log-groups-have-retention] aws_cloudwatch_log_group.forever has no retention_in_days',
      '[local/forever] [log-groups-have-retention] aws_cloudwatch_log_group.forever is not encrypted with a KMS key',
    ]);
  });

  it('synthesizes once the rule is met', () => {
    const app = new App({ outdir });
    const stack = new TerraformStack(app, 'fixed');
    new AwsProvider(stack, 'aws', {
      region: 'eu-west-1',
      defaultTags: [{ tags: { Project: 'x', Owner: 'y' } }],
    });
    new CloudwatchLogGroup(stack, 'kept', { name: 'kept', retentionInDays: 30, kmsKeyId: 'arn:aws:kms:k' });
    applyStackPolicy(stack, stackRules(['Project', 'Owner']));
    app.synth();
    expect(fs.existsSync(path.join(outdir, 'stacks', 'fixed', 'cdk.tf.json'))).toBe(true);
  });
});
