import {
  ConsumerKeys,
  keySlotGenerations,
  type ConsumerKeySpec,
} from '../../../lib/constructs/consumer-keys/consumer-keys';
import { consumerEnvStem } from '../../../lib/contracts/consumers';
import {
  policyDocument,
  refTo,
  synthConstruct,
  synthGateway,
  testStage,
  type Json,
  type SynthesizedStack,
} from '../../support/synth';

const STAGE_CONSUMERS: Record<string, { names: string[]; recoveryWindow: number }> = {
  dev: { names: ['smoke', 'dev-playground'], recoveryWindow: 0 },
  prod: { names: ['smoke', 'chat-frontend', 'batch-summarizer'], recoveryWindow: 30 },
};

/** The random_password resources of one consumer, by slot. */
function slotsOf(synth: SynthesizedStack, consumer: string): { name: string; values: Json }[] {
  return [0, 1].map((slot) => {
    const found = synth
      .resources('random_password')
      .filter((r) => r.name.startsWith(`consumer-keys_${consumer}_key-slot-${slot}_`));
    expect(found).toHaveLength(1);
    return found[0]!;
  });
}

/** The secret version of one consumer. */
function valueOf(synth: SynthesizedStack, consumer: string): Json {
  return synth.resourceNamed('aws_secretsmanager_secret_version', `consumer-keys_${consumer}_value`);
}

describe.each(Object.entries(STAGE_CONSUMERS))('ConsumerKeys in stage %s', (stageName, expected) => {
  const { stack, synth, resolve } = synthGateway(stageName);
  const keyArn = refTo(synth, 'aws_kms_key', 'arn', 'consumer-keys_key');
  const secretArn = (consumer: string) =>
    refTo(synth, 'aws_secretsmanager_secret', 'arn', `consumer-keys_${consumer}_`);

  it('creates exactly one secret per declared consumer, smoke included, named by the contract', () => {
    const secrets = synth
      .resources('aws_secretsmanager_secret')
      .filter((r) => r.name.startsWith('consumer-keys_'));
    expect(secrets.map((s) => s.values.name).sort()).toEqual(
      expected.names.map((n) => `kong-gateway/${stageName}/consumers/${n}`).sort(),
    );
    expect(expected.names).toContain('smoke');
  });

  it(`encrypts every key secret with a rotating customer-managed key, recovery window ${expected.recoveryWindow} days`, () => {
    const key = synth.resourceNamed('aws_kms_key', 'consumer-keys_key');
    expect(key.enable_key_rotation).toBe(true);
    for (const name of expected.names) {
      expect(synth.resourceNamed('aws_secretsmanager_secret', `consumer-keys_${name}_`)).toMatchObject({
        kms_key_id: keyArn,
        recovery_window_in_days: expected.recoveryWindow,
      });
    }
  });

  it('generates each key with random_password: 48 letters and digits, two slots per consumer', () => {
    for (const name of expected.names) {
      const slots = slotsOf(synth, name);
      for (const s of slots) expect(s.values).toMatchObject({ length: 48, special: false });
      // keyVersion 1: slot 1 holds generation 1 (current), slot 0 generation 0 (never handed out).
      expect(slots.map((s) => s.values.keepers.generation)).toEqual(['0', '1']);
    }
  });

  it('stores {"current": <slot of the current generation>} and no "previous" outside a rotation', () => {
    for (const name of expected.names) {
      const [, current] = slotsOf(synth, name);
      expect(valueOf(synth, name)).toEqual(
        expect.objectContaining({
          secret_id: refTo(synth, 'aws_secretsmanager_secret', 'id', `consumer-keys_${name}_`),
          secret_string: `\${jsonencode({"current" = random_password.${current!.name}.result})}`,
        }),
      );
    }
  });

  it('injects each current key into DECK_CONSUMER_<STEM>_KEY by JSON key, and no previous key', () => {
    const secrets = stack.consumerKeys.injectedSecrets.containerSecrets.map((s) => ({
      name: s.name,
      valueFrom: resolve(s.valueFrom),
    }));
    expect(secrets).toEqual(
      expected.names.map((n) => ({
        name: `DECK_CONSUMER_${consumerEnvStem(n)}_KEY`,
        valueFrom: `${secretArn(n)}:current::`,
      })),
    );
  });

  it('grants GetSecretValue on exactly these secrets and kms:Decrypt on exactly their key', () => {
    // Granted once, to Kong's execution role, through grantRead: a policy named for what it reads.
    const grant = synth.resourceNamed('aws_iam_role_policy', 'read-consumer-keys');
    expect(grant.name).toBe('read-consumer-keys');
    expect(grant.role).toMatch(/^\$\{aws_iam_role\.kong_execution-role_.*\.id\}$/);
    const doc = policyDocument(synth, grant.policy);
    expect(doc.statement).toHaveLength(2);
    expect(doc.statement[0]).toEqual({
      sid: 'ReadConsumerKeys',
      actions: ['secretsmanager:GetSecretValue'],
      resources: expected.names.map(secretArn),
    });
    expect(doc.statement[1]).toEqual({
      sid: 'DecryptConsumerKeys',
      actions: ['kms:Decrypt'],
      resources: [keyArn],
      condition: [
        {
          test: 'StringEquals',
          variable: 'kms:ViaService',
          values: ['secretsmanager.eu-west-1.amazonaws.com'],
        },
      ],
    });
  });

  it('outputs the secret names and ARNs, never a value', () => {
    expect(synth.outputs.consumer_key_secret_names.value).toEqual(
      Object.fromEntries(expected.names.map((n) => [n, `kong-gateway/${stageName}/consumers/${n}`])),
    );
    expect(synth.outputs.consumer_key_secret_arns.value).toEqual(
      Object.fromEntries(expected.names.map((n) => [n, secretArn(n)])),
    );
    const outputs = JSON.stringify(synth.outputs);
    expect(outputs).not.toMatch(/random_password|secret_string|\.password|\.result/);
  });

  it('never puts a generated key anywhere but its secret version', () => {
    const uses = synth
      .allResources()
      .filter((r) => /random_password\.consumer-keys_/.test(JSON.stringify(r.values)))
      .map((r) => r.type);
    expect(new Set(uses)).toEqual(new Set(['aws_secretsmanager_secret_version']));
    expect(JSON.stringify(synth.json.data)).not.toMatch(/random_password/);
  });
});

describe('ConsumerKeys during a rotation (keyVersion 2, rotating)', () => {
  let keys: ConsumerKeys | undefined;
  const synth = synthConstruct(({ stack, naming, environment }) => {
    keys = new ConsumerKeys(stack, 'consumer-keys', {
      naming,
      environment,
      consumers: [
        { name: 'acme-app', keyVersion: 2, rotating: true },
        { name: 'smoke', keyVersion: 1, rotating: false },
      ],
      recoveryWindowDays: 7,
    });
  });

  it('regenerates only the slot of the old, unused generation and makes it current', () => {
    const slots = slotsOf(synth, 'acme-app');
    // Generation 1 stays in slot 1 (same keeper as before: not regenerated); slot 0 moves 0 -> 2.
    expect(slots.map((s) => s.values.keepers.generation)).toEqual(['2', '1']);
  });

  it('stores the new key as current and the old one as previous', () => {
    const [slot0, slot1] = slotsOf(synth, 'acme-app');
    expect(valueOf(synth, 'acme-app').secret_string).toBe(
      `\${jsonencode({"current" = random_password.${slot0!.name}.result, "previous" = random_password.${slot1!.name}.result})}`,
    );
  });

  it('injects the previous key only for the rotating consumer', () => {
    const names = keys!.injectedSecrets.containerSecrets.map((s) => s.name);
    expect(names).toEqual([
      'DECK_CONSUMER_ACME_APP_KEY',
      'DECK_CONSUMER_ACME_APP_PREVIOUS_KEY',
      'DECK_CONSUMER_SMOKE_KEY',
    ]);
    const previous = keys!.injectedSecrets.containerSecrets[1]!;
    expect(previous.valueFrom.endsWith(':previous::')).toBe(true);
    expect(keys!.consumers.get('acme-app')).toMatchObject({
      rotating: true,
      secretName: 'kong-gateway/test/consumers/acme-app',
    });
  });
});

describe('ConsumerKeys after a rotation (keyVersion 2, not rotating)', () => {
  const synth = synthConstruct(({ stack, naming, environment }) => {
    new ConsumerKeys(stack, 'consumer-keys', {
      naming,
      environment,
      consumers: [{ name: 'acme-app', keyVersion: 2, rotating: false }],
    });
  });

  it('keeps the new key as current and drops the previous one (also the emergency revocation)', () => {
    const [slot0] = slotsOf(synth, 'acme-app');
    expect(valueOf(synth, 'acme-app').secret_string).toBe(
      `\${jsonencode({"current" = random_password.${slot0!.name}.result})}`,
    );
  });

  it('defaults to a 30-day recovery window', () => {
    expect(synth.resourceNamed('aws_secretsmanager_secret', 'acme-app').recovery_window_in_days).toBe(30);
  });
});

describe('key slots alternate between generations', () => {
  it.each([
    [1, [0, 1]],
    [2, [2, 1]],
    [3, [2, 3]],
    [4, [4, 3]],
  ])('keyVersion %i keeps generations %j in slots 0 and 1', (version, slots) => {
    expect(keySlotGenerations(version)).toEqual(slots);
  });

  it('raising keyVersion by one leaves the current key in place and replaces only the other slot', () => {
    for (let n = 1; n < 10; n++) {
      const before = keySlotGenerations(n);
      const after = keySlotGenerations(n + 1);
      expect(after[n % 2]).toBe(before[n % 2]); // the old current key survives as previous
      expect(after[(n + 1) % 2]).toBe(n + 1); // the other slot gets the new generation
    }
  });
});

describe('ConsumerKeys input checks', () => {
  function build(consumers: ConsumerKeySpec[], keyLength?: number): void {
    synthConstruct(({ stack, naming, environment }) => {
      new ConsumerKeys(stack, 'consumer-keys', {
        naming,
        environment,
        consumers,
        ...(keyLength ? { keyLength } : {}),
      });
    });
  }

  it('refuses a rotation at keyVersion 1, which has no previous key', () => {
    expect(() => build([{ name: 'a-b', keyVersion: 1, rotating: true }])).toThrow(
      /"a-b" is rotating at keyVersion 1; a rotation needs keyVersion >= 2/,
    );
    expect(() => testStage('dev', (raw) => (raw.consumers[1].rotating = true))).toThrow(
      /consumers\[1\]\.rotating: needs keyVersion >= 2/,
    );
  });

  it('refuses duplicate consumers, no consumers, and short keys', () => {
    const c = { name: 'dup', keyVersion: 1, rotating: false };
    expect(() => build([c, c])).toThrow(/"dup" is declared twice/);
    expect(() => build([])).toThrow(/at least one consumer/);
    expect(() => build([c], 16)).toThrow(/keyLength must be at least 32, got 16/);
  });

  it('refuses a keyVersion below 1 in the stage settings', () => {
    expect(() => testStage('dev', (raw) => (raw.consumers[0].keyVersion = 0))).toThrow(
      /consumers\[0\]\.keyVersion/,
    );
  });
});

describe('a rotating consumer in the stage settings reaches the Kong task', () => {
  const { stack, resolve, synth } = synthGateway('prod', (raw) => {
    raw.consumers[1].keyVersion = 2;
    raw.consumers[1].rotating = true;
  });

  it('adds DECK_CONSUMER_CHAT_FRONTEND_PREVIOUS_KEY from the secret key "previous"', () => {
    const previous = stack.consumerKeys.injectedSecrets.containerSecrets.filter((s) =>
      /PREVIOUS/.test(s.name),
    );
    expect(previous.map((s) => ({ name: s.name, valueFrom: resolve(s.valueFrom) }))).toEqual([
      {
        name: 'DECK_CONSUMER_CHAT_FRONTEND_PREVIOUS_KEY',
        valueFrom: `${refTo(synth, 'aws_secretsmanager_secret', 'arn', 'consumer-keys_chat-frontend_')}:previous::`,
      },
    ]);
  });
});
