/**
 * The logging and tagging rules (lib/policy/rules): each passes a compliant stack and reports every
 * violation of a deliberately broken one. One file per rule group: each Jest file pays the
 * provider imports again.
 */
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { EcsTaskDefinition } from '@cdktf/provider-aws/lib/ecs-task-definition';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import {
  everyContainerLogsToCloudWatch,
  logGroupsHaveRetention,
  providersApplyDefaultTags,
} from '../../../lib/policy/rules';
import { synthScope } from '../../support/synth';

describe('log-groups-have-retention', () => {
  it('accepts a log group with retention and a KMS key', () => {
    const fine = synthScope((scope) => {
      new AwsProvider(scope, 'aws', { region: 'eu-west-1' });
      new CloudwatchLogGroup(scope, 'kept', { name: 'kept', retentionInDays: 30, kmsKeyId: 'arn:aws:kms:k' });
    });
    expect(logGroupsHaveRetention.check(fine)).toEqual([]);
  });

  it('flags a log group without retention or encryption', () => {
    const broken = synthScope((scope) => {
      new AwsProvider(scope, 'aws', { region: 'eu-west-1' });
      new CloudwatchLogGroup(scope, 'forever', { name: 'forever' });
    });
    expect(logGroupsHaveRetention.check(broken)).toEqual([
      'aws_cloudwatch_log_group.forever has no retention_in_days',
      'aws_cloudwatch_log_group.forever is not encrypted with a KMS key',
    ]);
  });
});

describe('every-container-logs-to-cloudwatch', () => {
  it('accepts containers that log through awslogs to a group', () => {
    const fine = synthScope((scope) => {
      new AwsProvider(scope, 'aws', { region: 'eu-west-1' });
      new EcsTaskDefinition(scope, 'task', {
        family: 'kong',
        containerDefinitions: JSON.stringify([
          {
            name: 'kong',
            image: 'kong:3.9.3',
            logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'g' } },
          },
        ]),
      });
    });
    expect(everyContainerLogsToCloudWatch.check(fine)).toEqual([]);
  });

  it('flags containers without awslogs, and task definitions it cannot read', () => {
    const broken = synthScope((scope) => {
      new AwsProvider(scope, 'aws', { region: 'eu-west-1' });
      new EcsTaskDefinition(scope, 'task', {
        family: 'kong',
        containerDefinitions: JSON.stringify([
          { name: 'silent', image: 'kong:3.9.3' },
          { name: 'splunk', image: 'kong:3.9.3', logConfiguration: { logDriver: 'splunk', options: {} } },
          { name: 'no-group', image: 'kong:3.9.3', logConfiguration: { logDriver: 'awslogs', options: {} } },
          {
            name: 'fine',
            image: 'kong:3.9.3',
            logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'g' } },
          },
        ]),
      });
      new EcsTaskDefinition(scope, 'opaque', {
        family: 'x',
        containerDefinitions: '${jsonencode(local.defs)}',
      });
    });
    expect(everyContainerLogsToCloudWatch.check(broken)).toEqual([
      'aws_ecs_task_definition.opaque has container_definitions that are not plain JSON (build them with JSON.stringify so policy can read them)',
      'aws_ecs_task_definition.task container "silent" does not log to CloudWatch through awslogs',
      'aws_ecs_task_definition.task container "splunk" does not log to CloudWatch through awslogs',
      'aws_ecs_task_definition.task container "no-group" does not log to CloudWatch through awslogs',
    ]);
  });
});

describe('providers-apply-default-tags', () => {
  it('accepts providers that all apply the required tags', () => {
    const fine = synthScope((scope) => {
      const tags = { Project: 'x', Owner: 'y' };
      new AwsProvider(scope, 'aws', { region: 'eu-west-1', defaultTags: [{ tags }] });
      new AwsProvider(scope, 'aws-us', { region: 'us-east-1', alias: 'us', defaultTags: [{ tags }] });
    });
    expect(providersApplyDefaultTags(['Project', 'Owner']).check(fine)).toEqual([]);
  });

  it('reports a stack without any AWS provider', () => {
    expect(providersApplyDefaultTags(['Project']).check(synthScope(() => undefined))).toEqual([
      'the stack has no AWS provider',
    ]);
  });

  it('flags a provider that does not apply the default tags', () => {
    const broken = synthScope((scope) => {
      new AwsProvider(scope, 'aws', { region: 'eu-west-1', defaultTags: [{ tags: { Project: 'x' } }] });
      new AwsProvider(scope, 'aws-us', { region: 'us-east-1', alias: 'us' });
    });
    expect(providersApplyDefaultTags(['Project', 'Owner']).check(broken)).toEqual([
      'provider aws[0] does not apply default tag "Owner"',
      'provider aws.us does not apply default tag "Project"',
      'provider aws.us does not apply default tag "Owner"',
    ]);
  });
});
