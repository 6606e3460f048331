import { replicationGroupMemberIds } from '../../../lib/constructs/rate-limit-store/member-ids';

describe('replication group member IDs', () => {
  it('are the group ID with a three-digit ordinal, one per node', () => {
    expect(replicationGroupMemberIds('kgw-prod-rl', 2)).toEqual(['kgw-prod-rl-001', 'kgw-prod-rl-002']);
    expect(replicationGroupMemberIds('g', 6)).toHaveLength(6);
  });

  it('rejects an impossible node count', () => {
    expect(() => replicationGroupMemberIds('g', 9)).toThrow(/node count is 9; expected 1\.\.6/);
    expect(() => replicationGroupMemberIds('g', 0)).toThrow(/node count is 0/);
    expect(() => replicationGroupMemberIds('g', 1.5)).toThrow(/node count is 1\.5/);
  });
});
