/**
 * The `local` stage's LocalStack stack: the AWS provider points every service it uses at
 * LocalStack with dummy credentials, and the stack holds only resource types LocalStack's free tier
 * serves (a rule shown able to fail on a stack with an ECS cluster).
 */
import { Testing, TerraformStack } from 'cdktf';
import { EcsCluster } from '@cdktf/provider-aws/lib/ecs-cluster';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { buildApp } from '../../lib/stacks/app';
import { GatewayStack } from '../../lib/stacks/gateway-stack';
import {
  LOCALSTACK_FREE_SERVICES,
  LOCALSTACK_RESOURCE_PREFIXES,
  LocalStackStack,
  localStackProviderConfig,
} from '../../lib/stacks/localstack-stack';
import { stackRules } from '../../lib/policy/rules';
import { CONFIG_DIR, SynthesizedStack, testStage, type Json } from '../support/synth';

/** Resource and data-source types that no free-tier LocalStack endpoint serves. */
function outsideFreeTier(stack: SynthesizedStack): string[] {
  const types = [...Object.keys(stack.json.resource ?? {}), ...Object.keys(stack.json.data ?? {})];
  const prefixes = Object.keys(LOCALSTACK_RESOURCE_PREFIXES);
  return types.filter((t) => t.startsWith('aws_') && !prefixes.some((p) => t.startsWith(p)));
}

describe('LocalStack stack of the local stage', () => {
  const stage = testStage('local');
  const app = Testing.app();
  const stack = new LocalStackStack(app, 'kong-gateway-local', { stage });
  const synth = new SynthesizedStack(JSON.parse(Testing.synth(stack)));
  const provider: Json = synth.json.provider.aws[0];

  it('is the stack the app builds for a stage with a "localstack" setting', () => {
    const { app: built } = buildApp({ configDir: CONFIG_DIR, stages: ['local', 'dev'] });
    const stacks = built.node.children.filter((c) => c instanceof TerraformStack);
    expect(stacks.find((s) => s.node.id === 'kong-gateway-local')).toBeInstanceOf(LocalStackStack);
    expect(stacks.find((s) => s.node.id === 'kong-gateway-dev')).toBeInstanceOf(GatewayStack);
  });

  it('sends every service it may use to LocalStack, with dummy credentials', () => {
    expect(provider.endpoints).toEqual([
      Object.fromEntries(LOCALSTACK_FREE_SERVICES.map((s) => [s, 'http://localhost:4566'])),
    ]);
    expect(provider).toMatchObject({
      access_key: 'test',
      secret_key: 'test',
      skip_credentials_validation: true,
      skip_metadata_api_check: 'true',
      region: 'eu-west-1',
    });
    expect(provider.default_tags[0].tags).toMatchObject({ Stage: 'local', ManagedBy: 'cdktf' });
  });

  it('holds only resource types that LocalStack serves without a paid tier', () => {
    expect(outsideFreeTier(synth)).toEqual([]);
  });

  it('holds the consumer key secrets and their KMS key, named as on AWS, and no key in its outputs', () => {
    const names = synth
      .resources('aws_secretsmanager_secret')
      .map((r) => r.values.name)
      .sort();
    expect(names).toEqual(
      stage.settings.consumers.map((c) => `kong-gateway/local/consumers/${c.name}`).sort(),
    );
    for (const { values } of synth.resources('aws_secretsmanager_secret')) {
      expect(values.kms_key_id).toMatch(/^\$\{aws_kms_key\./);
      expect(values.recovery_window_in_days).toBe(0);
    }
    expect(synth.resources('aws_kms_key')).toHaveLength(1);
    expect(synth.resource('aws_kms_key').enable_key_rotation).toBe(true);
    expect(synth.resources('random_password')).not.toHaveLength(0);
    expect(Object.keys(synth.outputs)).toEqual(['consumer_key_secret_names']);
    expect(JSON.stringify(synth.outputs)).not.toMatch(/random_password/);
  });

  it.each(stackRules(['Project', 'Owner', 'Stage', 'ManagedBy']).map((rule) => [rule.name, rule] as const))(
    'satisfies the stack policy: %s',
    (_name, rule) => {
      expect(rule.check(synth)).toEqual([]);
    },
  );

  it('rejects a stack with a paid-tier resource (ECS) and accepts a secret', () => {
    const broken = new SynthesizedStack(
      JSON.parse(
        Testing.synthScope((scope) => {
          new EcsCluster(scope, 'cluster', { name: 'c' });
          new SecretsmanagerSecret(scope, 'secret', { name: 's' });
        }),
      ),
    );
    expect(outsideFreeTier(broken)).toEqual(['aws_ecs_cluster']);
  });

  it('keeps a local state file', () => {
    expect(synth.json.terraform.backend.local.path).toBe('terraform.kong-gateway-local.tfstate');
  });

  it('trims a trailing slash from the endpoint', () => {
    expect(localStackProviderConfig('http://ls:4566/').endpoints).toEqual([
      Object.fromEntries(LOCALSTACK_FREE_SERVICES.map((s) => [s, 'http://ls:4566'])),
    ]);
  });

  it('is refused for a production stage and for a bad endpoint', () => {
    expect(() =>
      testStage('prod', (raw) => (raw.localstack = { endpoint: 'http://localhost:4566' })),
    ).toThrow(/prod\.json: localstack: must be absent: LocalStack is for development stages/);
    expect(() => testStage('local', (raw) => (raw.localstack = { endpoint: 'localhost:4566' }))).toThrow(
      /local\.json: localstack\.endpoint: must be an http\(s\) URL/,
    );
  });
});
