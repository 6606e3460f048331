/**
 * Stack-wide invariants, run against every stage, and each shown able to fail on a deliberately
 * broken stack (a rule that cannot fail proves nothing).
 */
import { TerraformOutput } from 'cdktf';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { EcsTaskDefinition } from '@cdktf/provider-aws/lib/ecs-task-definition';
import { Lb } from '@cdktf/provider-aws/lib/lb';
import { LbListener } from '@cdktf/provider-aws/lib/lb-listener';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Password } from '@cdktf/provider-random/lib/password';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { stageTags } from '../../lib/stacks/tags';
import {
  adminApiIsNeverExposed,
  everyContainerLogsToCloudWatch,
  generatedSecretsStayInSecretStores,
  logGroupsHaveRetention,
  noLiteralSecrets,
  noSecretsInContainerEnvironment,
  noWildcardSecretGrants,
  nothingGetsPublicAddresses,
  onlyLoadBalancerIsWorldReachable,
  providersApplyDefaultTags,
  stackPolicy,
} from '../support/policy';
import { STAGE_NAMES, synthScope, synthStage, testStage } from '../support/synth';

const REQUIRED_TAGS = ['Project', 'Owner', 'Stage', 'ManagedBy'];

describe.each(STAGE_NAMES)('stage %s satisfies the stack policy', (stageName) => {
  const stage = testStage(stageName);
  const synth = synthStage(stage);

  it.each(stackPolicy(REQUIRED_TAGS).map((rule) => [rule.name, rule] as const))('%s', (_name, rule) => {
    expect(rule.check(synth)).toEqual([]);
  });

  it('applies the stage file tags plus Stage and ManagedBy', () => {
    expect(synth.json.provider.aws[0].default_tags[0].tags).toEqual(stageTags(stage));
  });
});

describe('each policy rule rejects a deliberately broken stack', () => {
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

  it('flags SSH open to the world, and 443 open to the world on a group that is not the ALB', () => {
    const broken = synthScope((scope) => {
      new AwsProvider(scope, 'aws', { region: 'eu-west-1' });
      const albSg = new SecurityGroup(scope, 'alb-sg', { name: 'alb' });
      const taskSg = new SecurityGroup(scope, 'task-sg', { name: 'task' });
      new Lb(scope, 'alb', { securityGroups: [albSg.id], subnets: ['subnet-1', 'subnet-2'] });
      new VpcSecurityGroupIngressRule(scope, 'alb-https', {
        securityGroupId: albSg.id,
        cidrIpv4: '0.0.0.0/0',
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
      });
      new VpcSecurityGroupIngressRule(scope, 'alb-ssh', {
        securityGroupId: albSg.id,
        cidrIpv4: '0.0.0.0/0',
        ipProtocol: 'tcp',
        fromPort: 22,
        toPort: 22,
      });
      new VpcSecurityGroupIngressRule(scope, 'task-https', {
        securityGroupId: taskSg.id,
        cidrIpv6: '::/0',
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
      });
      new SecurityGroup(scope, 'inline-sg', {
        name: 'inline',
        ingress: [{ cidrBlocks: ['0.0.0.0/0'], protocol: '-1', fromPort: 0, toPort: 0 }],
      });
    });
    expect(onlyLoadBalancerIsWorldReachable.check(broken)).toEqual([
      'aws_vpc_security_group_ingress_rule.alb-ssh opens ports 22-22 to the internet',
      'aws_vpc_security_group_ingress_rule.task-https opens ports 443-443 to the internet',
      'aws_security_group.inline-sg.ingress[0] opens ports 0-65535 to the internet',
    ]);
  });

  it('flags public addresses on subnets and databases', () => {
    const broken = synthScope((scope) => {
      new AwsProvider(scope, 'aws', { region: 'eu-west-1' });
      new Subnet(scope, 'leaky', { vpcId: 'vpc-1', cidrBlock: '10.0.0.0/24', mapPublicIpOnLaunch: true });
      new DbInstance(scope, 'db', {
        instanceClass: 'db.t4g.micro',
        engine: 'postgres',
        publiclyAccessible: true,
      });
    });
    expect(nothingGetsPublicAddresses.check(broken)).toEqual([
      'aws_subnet.leaky maps public IPs on launch',
      'aws_db_instance.db is publicly accessible',
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

  it('flags literal passwords and secret values; secrets in a container environment fall to their own rule', () => {
    const broken = synthScope((scope) => {
      new AwsProvider(scope, 'aws', { region: 'eu-west-1' });
      new DbInstance(scope, 'db', {
        instanceClass: 'db.t4g.micro',
        engine: 'postgres',
        password: 'hunter2hunter2', // the mistake the rule exists for
      });
      new SecretsmanagerSecretVersion(scope, 'typed-key', {
        secretId: 'kong-gateway/dev/consumers/acme',
        secretString: '{"current":"0123456789abcdefghijklmnopqrstuv"}',
      });
      new SecretsmanagerSecretVersion(scope, 'encoded-literal', {
        secretId: 'kong-gateway/dev/consumers/beta',
        secretString: '${jsonencode({"current" = "0123456789abcdefghijklmnopqrstuv"})}',
      });
      new EcsTaskDefinition(scope, 'task', {
        family: 'kong',
        containerDefinitions: JSON.stringify([
          {
            name: 'deck',
            image: 'kong/deck:v1.49.0',
            environment: [
              { name: 'DECK_CONSUMER_ACME_KEY', value: 'x' },
              { name: 'KONG_PG_PASSWORD', value: 'y' },
              { name: 'KONG_PG_HOST', value: 'db.internal' },
            ],
          },
        ]),
      });
      new EcsTaskDefinition(scope, 'opaque', {
        family: 'kong',
        containerDefinitions: '${jsonencode([{ name = "kong" }])}',
      });
    });
    expect(noLiteralSecrets.check(broken)).toEqual([
      'aws_db_instance.db.password is a literal, not a reference to a generated value',
      'aws_secretsmanager_secret_version.encoded-literal.secret_string is a literal, not a reference to a generated value',
      'aws_secretsmanager_secret_version.typed-key.secret_string is a literal, not a reference to a generated value',
    ]);
    expect(noSecretsInContainerEnvironment.check(broken)).toEqual([
      'aws_ecs_task_definition.opaque has container_definitions that are not plain JSON (build them with JSON.stringify so policy can read them)',
      'aws_ecs_task_definition.task container "deck" sets DECK_CONSUMER_ACME_KEY in its environment; inject it through "secrets"',
      'aws_ecs_task_definition.task container "deck" sets KONG_PG_PASSWORD in its environment; inject it through "secrets"',
    ]);
  });

  it('flags a generated key that reaches an output or a plain attribute', () => {
    const broken = synthScope((scope) => {
      new AwsProvider(scope, 'aws', { region: 'eu-west-1' });
      new RandomProvider(scope, 'random');
      const key = new Password(scope, 'key', { length: 48, special: false });
      new SecretsmanagerSecretVersion(scope, 'fine', { secretId: 's', secretString: key.result });
      new CloudwatchLogGroup(scope, 'tagged', {
        name: 'x',
        retentionInDays: 1,
        kmsKeyId: 'k',
        tags: { Key: key.result },
      });
      new TerraformOutput(scope, 'leak', { value: key.result, sensitive: true });
    });
    expect(generatedSecretsStayInSecretStores.check(broken)).toEqual([
      'aws_cloudwatch_log_group.tagged.tags.Key uses a generated secret',
      'output leak reveals a secret value',
    ]);
  });

  it('flags wildcard secret and key grants in identity policies, not in key policies', () => {
    const broken = synthScope((scope) => {
      new AwsProvider(scope, 'aws', { region: 'eu-west-1' });
      new DataAwsIamPolicyDocument(scope, 'too-wide', {
        statement: [
          { actions: ['secretsmanager:GetSecretValue'], resources: ['*'] },
          {
            actions: ['secretsmanager:GetSecretValue'],
            resources: ['arn:aws:secretsmanager:eu-west-1:111122223333:secret:kong-gateway/dev/*'],
          },
          { actions: ['kms:*'], resources: ['arn:aws:kms:eu-west-1:111122223333:key/abc'] },
          { actions: ['logs:PutLogEvents'], resources: ['*'] }, // not a secret: out of scope
        ],
      });
      new DataAwsIamPolicyDocument(scope, 'key-policy', {
        statement: [
          {
            principals: [{ type: 'AWS', identifiers: ['arn:aws:iam::111122223333:root'] }],
            actions: ['kms:*'],
            resources: ['*'],
          },
        ],
      });
    });
    expect(noWildcardSecretGrants.check(broken)).toEqual([
      'data.aws_iam_policy_document.too-wide.statement[0] grants secretsmanager:GetSecretValue on *',
      'data.aws_iam_policy_document.too-wide.statement[1] grants secretsmanager:GetSecretValue on arn:aws:secretsmanager:eu-west-1:111122223333:secret:kong-gateway/dev/*',
      'data.aws_iam_policy_document.too-wide.statement[2] grants kms:*',
    ]);
  });

  it('flags the admin port in security group rules, target groups, listeners, port mappings and a public bind', () => {
    const broken = synthScope((scope) => {
      new AwsProvider(scope, 'aws', { region: 'eu-west-1' });
      const sg = new SecurityGroup(scope, 'kong-sg', { name: 'kong' });
      new VpcSecurityGroupIngressRule(scope, 'admin-from-vpc', {
        securityGroupId: sg.id,
        cidrIpv4: '10.0.0.0/16',
        ipProtocol: 'tcp',
        fromPort: 8000,
        toPort: 8100,
      });
      new VpcSecurityGroupEgressRule(scope, 'alb-to-admin', {
        securityGroupId: sg.id,
        referencedSecurityGroupId: sg.id,
        ipProtocol: 'tcp',
        fromPort: 8001,
        toPort: 8001,
      });
      const tg = new LbTargetGroup(scope, 'admin-tg', { port: 8001, protocol: 'HTTP', targetType: 'ip' });
      new LbListener(scope, 'admin-listener', {
        loadBalancerArn: 'arn:lb',
        port: 8001,
        defaultAction: [{ type: 'forward', targetGroupArn: tg.arn }],
      });
      new EcsTaskDefinition(scope, 'task', {
        family: 'kong',
        containerDefinitions: JSON.stringify([
          {
            name: 'kong',
            image: 'kong:3.9.3',
            portMappings: [{ containerPort: 8001 }],
            environment: [{ name: 'KONG_ADMIN_LISTEN', value: '0.0.0.0:8001' }],
            logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'g' } },
          },
        ]),
      });
    });
    expect(adminApiIsNeverExposed.check(broken)).toEqual([
      'aws_vpc_security_group_ingress_rule.admin-from-vpc admits port 8001',
      'aws_vpc_security_group_egress_rule.alb-to-admin opens egress to port 8001',
      'aws_lb_target_group.admin-tg points at port 8001',
      'aws_lb_listener.admin-listener listens on 8001',
      'aws_ecs_task_definition.task container "kong" maps port 8001',
      'aws_ecs_task_definition.task container "kong" binds the admin API to "0.0.0.0:8001" instead of loopback',
    ]);
  });

  it('flags secret-looking variables in a container environment, and accepts them through secrets', () => {
    const broken = synthScope((scope) => {
      new AwsProvider(scope, 'aws', { region: 'eu-west-1' });
      new EcsTaskDefinition(scope, 'task', {
        family: 'kong',
        containerDefinitions: JSON.stringify([
          {
            name: 'kong',
            image: 'kong:3.9.3',
            environment: [
              { name: 'KONG_PG_PASSWORD', value: 'hunter2' },
              { name: 'KONG_PG_HOST', value: 'db' },
            ],
            secrets: [{ name: 'RATE_LIMIT_REDIS_PASSWORD', valueFrom: 'arn:aws:secretsmanager:x' }],
          },
          {
            name: 'config-sync',
            image: 'kong/deck:v1.49.0',
            environment: [
              { name: 'DECK_CONSUMER_ACME_KEY', value: 'k' },
              { name: 'UPSTREAM_TOKEN', value: 't' },
              { name: 'aws_secret_access_key', value: 's' },
            ],
          },
        ]),
      });
    });
    expect(noSecretsInContainerEnvironment.check(broken)).toEqual([
      'aws_ecs_task_definition.task container "kong" sets KONG_PG_PASSWORD in its environment; inject it through "secrets"',
      'aws_ecs_task_definition.task container "config-sync" sets DECK_CONSUMER_ACME_KEY in its environment; inject it through "secrets"',
      'aws_ecs_task_definition.task container "config-sync" sets UPSTREAM_TOKEN in its environment; inject it through "secrets"',
      'aws_ecs_task_definition.task container "config-sync" sets aws_secret_access_key in its environment; inject it through "secrets"',
    ]);
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
