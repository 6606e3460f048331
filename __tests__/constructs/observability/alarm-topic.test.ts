import {
  CLOUDWATCH_ALARMS_PRINCIPAL,
  createAlarmTopic,
  stageAlarmArnPattern,
} from '../../../lib/constructs/observability/alarm-topic';
import { synthConstruct, type Json, type SynthesizedStack } from '../../support/synth';

function synthTopic(
  emails: readonly string[] = ['oncall@example.com', 'lead@example.com'],
): SynthesizedStack {
  return synthConstruct(({ stack, naming, environment }) => {
    createAlarmTopic(stack, { naming, environment, emails, keyDeletionWindowDays: 7 });
  });
}

function statement(synth: SynthesizedStack, doc: string, sid: string): Json {
  const found = synth.dataSources('aws_iam_policy_document').find((d) => d.name === doc);
  return (found!.values.statement as Json[]).find((s) => s.sid === sid);
}

const ACCOUNT = '${data.aws_caller_identity.environment_caller_708487D2.account_id}';
const STAGE_ALARMS =
  'arn:${data.aws_partition.environment_partition_A41A0409.partition}:cloudwatch:eu-west-1:' +
  '${data.aws_caller_identity.environment_caller_708487D2.account_id}:alarm:kong-gateway-test-*';
const FROM_STAGE_ALARMS = [
  { test: 'StringEquals', variable: 'aws:SourceAccount', values: [ACCOUNT] },
  { test: 'ArnLike', variable: 'aws:SourceArn', values: [STAGE_ALARMS] },
];

describe('the alarm topic', () => {
  const synth = synthTopic();

  it('is encrypted with its own rotating key, deleted after the given window', () => {
    const topic = synth.resource('aws_sns_topic');
    expect(topic.name).toBe('kong-gateway-test-alarms');
    expect(topic.kms_master_key_id).toBe('${aws_kms_key.topic-key.arn}');
    expect(synth.resourceNamed('aws_kms_key', 'topic-key')).toMatchObject({
      enable_key_rotation: true,
      deletion_window_in_days: 7,
    });
    expect(synth.resourceNamed('aws_kms_alias', 'topic-key-alias').name).toBe(
      'alias/kong-gateway-test-alarms',
    );
  });

  it("lets CloudWatch use the key only for this account's alarms of this stage", () => {
    const cw = statement(synth, 'topic-key-policy', 'CloudWatchAlarmsPublish');
    expect(cw.principals).toEqual([{ type: 'Service', identifiers: [CLOUDWATCH_ALARMS_PRINCIPAL] }]);
    expect(cw.actions.sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    expect(cw.condition).toEqual(FROM_STAGE_ALARMS);
  });

  it("lets only this account's alarms of this stage publish, over TLS", () => {
    const cw = statement(synth, 'topic-policy', 'CloudWatchAlarmsOfThisAccount');
    expect(cw).toMatchObject({ actions: ['sns:Publish'], resources: ['${aws_sns_topic.topic.arn}'] });
    expect(cw.condition).toEqual(FROM_STAGE_ALARMS);
    expect(statement(synth, 'topic-policy', 'DenyInsecureTransport')).toMatchObject({
      effect: 'Deny',
      condition: [{ variable: 'aws:SecureTransport', values: ['false'] }],
    });
    expect(synth.resource('aws_sns_topic_policy').arn).toBe('${aws_sns_topic.topic.arn}');
  });

  it('names the alarm ARN pattern after the stage prefix every alarm name starts with', () => {
    synthConstruct(({ naming, environment }) => {
      expect(stageAlarmArnPattern(environment, naming)).toContain(':alarm:kong-gateway-test-*');
      expect(naming.name('alb-5xx-rate').startsWith(naming.name(''))).toBe(true);
    });
  });

  it('subscribes each address by email, addressed by the address (stable when the list changes)', () => {
    const subs = synth.resources('aws_sns_topic_subscription');
    expect(subs.map((s) => [s.values.protocol, s.values.endpoint]).sort()).toEqual([
      ['email', 'lead@example.com'],
      ['email', 'oncall@example.com'],
    ]);
    expect(subs.find((s) => s.values.endpoint === 'oncall@example.com')!.name).toBe(
      'email-oncall-example-com',
    );
  });

  it('refuses an address listed twice', () => {
    expect(() => synthTopic(['oncall@example.com', 'OnCall@example.com'])).toThrow(
      /"OnCall@example.com" is listed twice/,
    );
  });
});
