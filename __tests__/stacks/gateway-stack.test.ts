import { committedStack, synthStage, testStage } from '../support/synth';

describe('GatewayStack state backends', () => {
  it('keeps dev on a local backend named after the stack', () => {
    const synth = committedStack('dev');
    expect(synth.json.terraform.backend).toEqual({ local: { path: 'terraform.kong-gateway-dev.tfstate' } });
  });

  it('puts prod on an encrypted S3 backend with S3-native locking', () => {
    const synth = committedStack('prod');
    expect(synth.json.terraform.backend.s3).toEqual({
      bucket: 'example-org-kong-gateway-tfstate',
      key: 'kong-gateway/prod.tfstate',
      region: 'eu-west-1',
      encrypt: true,
      use_lockfile: true,
    });
  });

  it('passes a KMS key and a legacy DynamoDB lock table through when set', () => {
    const synth = synthStage(
      testStage('prod', (raw) => {
        raw.backend.kmsKeyId = 'alias/tfstate';
        raw.backend.dynamodbTable = 'tf-locks';
        raw.backend.useLockfile = false;
      }),
    );
    expect(synth.json.terraform.backend.s3).toMatchObject({
      kms_key_id: 'alias/tfstate',
      dynamodb_table: 'tf-locks',
    });
    expect(synth.json.terraform.backend.s3.use_lockfile).toBeUndefined();
  });
});

describe('GatewayStack providers', () => {
  const synth = committedStack('prod');

  it('deploys to the region of the stage file', () => {
    expect(synth.json.provider.aws[0].region).toBe('eu-west-1');
  });

  it('declares the random provider, pinned, for the generated keys and passwords', () => {
    expect(synth.json.provider.random).toHaveLength(1);
    expect(synth.json.terraform.required_providers.random).toMatchObject({
      source: 'hashicorp/random',
      version: expect.stringMatching(/^\d+\.\d+\.\d+$/),
    });
    // The provider is there because the stack uses it: one password per consumer key at least.
    expect(synth.resources('random_password').length).toBeGreaterThanOrEqual(
      Object.keys(testStage('prod').settings.consumers).length,
    );
  });
});

describe('GatewayStack wiring of the placeholder upstream', () => {
  const stage = testStage('prod');
  const synth = synthStage(stage);

  it('caps the placeholder body size at Kong body limit (contract: Kong >= placeholder)', () => {
    const taskDefinition = synth
      .resources('aws_ecs_task_definition')
      .map((t) => JSON.parse(t.values.container_definitions))
      .flat()
      .find((c: { name: string }) => c.name === 'llm-gateway-placeholder');
    const env = Object.fromEntries(
      (taskDefinition.environment as { name: string; value: string }[]).map((e) => [e.name, e.value]),
    );
    expect(Number(env.PLACEHOLDER_MAX_BODY_BYTES)).toBe(stage.settings.kong.maxRequestBodyMiB * 1024 * 1024);
  });

  it('outputs the ECR repository the workflow pushes to, and keeps prod images on destroy', () => {
    expect(synth.outputs.upstream_repository_url.value).toMatch(/aws_ecr_repository\..*\.repository_url/);
    expect(synth.resource('aws_ecr_repository').force_delete).toBe(false);
  });
});
