/**
 * The secret-handling rules (lib/policy/rules): each passes a compliant stack and reports every
 * violation of a deliberately broken one. One file per rule group: each Jest file pays the
 * provider imports again.
 */
import { Fn, TerraformOutput } from 'cdktf';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { EcsTaskDefinition } from '@cdktf/provider-aws/lib/ecs-task-definition';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import { Password } from '@cdktf/provider-random/lib/password';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import {
  generatedSecretsStayInSecretStores,
  noLiteralSecrets,
  noSecretsInContainerEnvironment,
  noWildcardSecretGrants,
} from '../../../lib/policy/rules';
import { synthScope } from '../../support/synth';

/** A generated password stored in the database and Secrets Manager, named in an output: all compliant. */
function compliantSecrets() {
  return synthScope((scope) => {
    new AwsProvider(scope, 'aws', { region: 'eu-west-1' });
    new RandomProvider(scope, 'random');
    const password = new Password(scope, 'db-password', { length: 40, special: false });
    new DbInstance(scope, 'db', {
      instanceClass: 'db.t4g.micro',
      engine: 'postgres',
      password: password.result,
    });
    const version = new SecretsmanagerSecretVersion(scope, 'db-secret', {
      secretId: 'kong-gateway/dev/database',
      secretString: Fn.jsonencode({ username: 'kong', password: password.result }),
    });
    new TerraformOutput(scope, 'secret_id', { value: version.secretId });
    new EcsTaskDefinition(scope, 'task', {
      family: 'kong',
      containerDefinitions: JSON.stringify([
        {
          name: 'kong',
          image: 'kong:3.9.3',
          environment: [{ name: 'KONG_PG_HOST', value: 'db.internal' }],
          secrets: [
            {
              name: 'KONG_PG_PASSWORD',
              valueFrom: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:db',
            },
          ],
        },
      ]),
    });
  });
}

describe('no-literal-secrets', () => {
  it('accepts secret fields that reference a generated value', () => {
    expect(noLiteralSecrets.check(compliantSecrets())).toEqual([]);
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
});

describe('generated-secrets-stay-in-secret-stores', () => {
  it('accepts a generated value that reaches the database and Secrets Manager only', () => {
    expect(generatedSecretsStayInSecretStores.check(compliantSecrets())).toEqual([]);
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
});

describe('no-wildcard-secret-grants', () => {
  it('accepts a grant of one named secret and one named key', () => {
    const fine = synthScope((scope) => {
      new AwsProvider(scope, 'aws', { region: 'eu-west-1' });
      new DataAwsIamPolicyDocument(scope, 'named', {
        statement: [
          {
            actions: ['secretsmanager:GetSecretValue'],
            resources: [
              'arn:aws:secretsmanager:eu-west-1:111122223333:secret:kong-gateway/dev/consumers/acme-AbCdEf',
            ],
          },
          { actions: ['kms:Decrypt'], resources: ['arn:aws:kms:eu-west-1:111122223333:key/abc'] },
        ],
      });
    });
    expect(noWildcardSecretGrants.check(fine)).toEqual([]);
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
});

describe('no-secrets-in-container-environment', () => {
  it('accepts secrets injected through "secrets" and plain settings in the environment', () => {
    expect(noSecretsInContainerEnvironment.check(compliantSecrets())).toEqual([]);
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
});
