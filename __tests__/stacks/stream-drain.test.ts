/**
 * Issue 13, item 6: one stage setting, `upstream.longestStreamSeconds`, sizes both drains of a
 * deploy: the ALB deregistration delay of Kong's target group (Kong's tasks finish their streams
 * before ECS stops them) and the placeholder's ECS stop timeout (it serves until the Cloud Map TTL
 * plus a margin has passed, then finishes streams until its drain limit, at most Fargate's 120 s).
 */
import { synthGateway, type Json, type SynthesizedStack } from '../support/synth';

function placeholderContainer(synth: SynthesizedStack): Json {
  const td = synth
    .resources('aws_ecs_task_definition')
    .find((r) => String(r.values.family).endsWith('llm-gateway-placeholder'));
  if (td === undefined) throw new Error('no placeholder task definition');
  return JSON.parse(td.values.container_definitions)[0];
}

function environment(container: Json): Record<string, string> {
  return Object.fromEntries(container.environment.map((e: Json) => [e.name, e.value]));
}

function kongTargetGroup(synth: SynthesizedStack): Json {
  return synth.resource('aws_lb_target_group');
}

describe.each([
  // longest stream, Kong's deregistration delay, placeholder stop timeout, its drain limit (ms)
  [60, '60', 80, '75000'],
  [100, '100', 120, '115000'],
  [600, '600', 120, '115000'],
])('a stage promising %i s streams', (longest, deregistration, stopTimeout, drainLimitMs) => {
  const { synth } = synthGateway('dev', (raw) => (raw.upstream.longestStreamSeconds = longest));
  const container = placeholderContainer(synth);
  const env = environment(container);

  it(`drains Kong's tasks for ${deregistration} s through the ALB before ECS stops them`, () => {
    expect(kongTargetGroup(synth).deregistration_delay).toBe(deregistration);
  });

  it(`gives the placeholder a ${stopTimeout} s stop timeout and a ${drainLimitMs} ms drain limit below it`, () => {
    expect(container.stopTimeout).toBe(stopTimeout);
    expect(env.PLACEHOLDER_SHUTDOWN_TIMEOUT_MS).toBe(drainLimitMs);
    expect(Number(env.PLACEHOLDER_SHUTDOWN_TIMEOUT_MS)).toBeLessThan(container.stopTimeout * 1000);
    // it keeps serving new requests for the Cloud Map TTL (10 s) plus a 5 s margin first
    expect(env.PLACEHOLDER_SHUTDOWN_ACCEPT_MS).toBe('15000');
  });
});

describe('the shipped stages', () => {
  it('prod promises 300 s streams: Kong drains 300 s, the placeholder stops within 120 s, no delay overrides', () => {
    const { stack, synth } = synthGateway('prod');
    expect(stack.naming.prefix).toBe('kong-gateway-prod');
    expect(kongTargetGroup(synth).deregistration_delay).toBe('300');
    const container = placeholderContainer(synth);
    expect(container.stopTimeout).toBe(120);
    // PLACEHOLDER_ALLOW_DELAY_OVERRIDE: off unless the stage asks (any consumer could hold a connection)
    expect(environment(container).PLACEHOLDER_ALLOW_DELAY_OVERRIDE).toBe('false');
  });

  it('dev asks for delay overrides (timeouts behind Kong are provoked there)', () => {
    const { synth } = synthGateway('dev');
    expect(environment(placeholderContainer(synth)).PLACEHOLDER_ALLOW_DELAY_OVERRIDE).toBe('true');
  });

  it('rejects a promise the ALB cannot keep, naming the file and field', () => {
    expect(() => synthGateway('dev', (raw) => (raw.upstream.longestStreamSeconds = 3601))).toThrow(
      /config\/dev\.json: upstream\.longestStreamSeconds: .*3600/,
    );
  });
});
