/**
 * The moved blocks carry each d51df54 resource to the resource that does its job now (the address
 * test only checks that the target exists): the ALB rule at list position i to the rule of the
 * i-th CIDR, and each secret grant by index to the grant of the same owner. Two synths in all.
 */
import { synthStage, testStage, type SynthesizedStack } from '../support/synth';

function movesOf(synth: SynthesizedStack): Map<string, string> {
  return new Map((synth.json.moved ?? []).map((m: { from: string; to: string }) => [m.from, m.to]));
}

/** The values of the resource the only move from an address containing `fromFragment` targets. */
function target(synth: SynthesizedStack, moves: Map<string, string>, fromFragment: string) {
  const from = [...moves.keys()].filter((k) => k.includes(fromFragment));
  expect(from).toHaveLength(1);
  const [type, name] = moves.get(from[0]!)!.split('.') as [string, string];
  return synth.json.resource[type][name];
}

function grantNames(synth: SynthesizedStack, moves: Map<string, string>): string[] {
  const count = [...moves.keys()].filter((k) => k.includes('kong_execution-secrets-')).length;
  return Array.from({ length: count }, (_, i) => target(synth, moves, `kong_execution-secrets-${i}_`).name);
}

describe('moves from the d51df54 addresses, prod with two client CIDRs (Redis on)', () => {
  const cidrs = ['198.51.100.0/24', '203.0.113.0/24'];
  const synth = synthStage(testStage('prod', (raw) => (raw.loadBalancer.allowedCidrs = cidrs)));
  const moves = movesOf(synth);

  it('moves list position i to the rule of the i-th CIDR, per port', () => {
    cidrs.forEach((cidr, i) => {
      for (const port of [80, 443]) {
        const rule = target(synth, moves, `load-balancer_ingress-${port}-${i}_`);
        expect({ port: rule.from_port, cidr: rule.cidr_ipv4 }).toEqual({ port, cidr });
      }
    });
  });

  it('moves each indexed grant to the same owner’s named grant', () => {
    expect(grantNames(synth, moves)).toEqual([
      'read-database-credentials',
      'read-rate-limit-store-auth-token',
      'read-consumer-keys',
    ]);
  });
});

describe('moves from the d51df54 addresses, a stage without Redis', () => {
  const synth = synthStage(testStage('dev', (raw) => (raw.rateLimiting.policy = 'cluster')));
  const moves = movesOf(synth);

  it('moves grant 1 to the consumer keys (d51df54 had no Redis grant in between)', () => {
    expect(grantNames(synth, moves)).toEqual(['read-database-credentials', 'read-consumer-keys']);
  });

  it('moves the rules that named the stack in their address to ones that do not', () => {
    const named = [...moves.keys()].filter((k) => k.includes('kong-gateway-dev'));
    expect(named).toHaveLength(2); // database and upstream (no rate-limit store here)
    for (const from of named) expect(moves.get(from)).not.toContain('kong-gateway-dev');
  });
});
