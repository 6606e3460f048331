/** ElastiCache allows a primary and up to five replicas in a group with cluster mode disabled. */
export const MAX_REPLICATION_GROUP_NODES = 6;

/**
 * The member cluster IDs of a replication group with cluster mode disabled, as ElastiCache names
 * them and as its per-node metrics (`CacheClusterId`) are keyed: `<group id>-001`, `-002`, ...
 */
export function replicationGroupMemberIds(groupId: string, nodeCount: number): string[] {
  if (!Number.isInteger(nodeCount) || nodeCount < 1 || nodeCount > MAX_REPLICATION_GROUP_NODES) {
    throw new Error(
      `replication group member IDs: node count is ${nodeCount}; expected 1..${MAX_REPLICATION_GROUP_NODES} (primary + 0..5 replicas)`,
    );
  }
  return Array.from({ length: nodeCount }, (_, i) => `${groupId}-${String(i + 1).padStart(3, '0')}`);
}
