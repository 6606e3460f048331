import { containerProblems } from '../container-definitions';
import { egressPortRanges, ingressPermissions } from '../network-permissions';
import type { Json } from '../stack-json';
import type { StackRule } from '../stack-rule';

/** Kong's admin API port: loopback only, never in a security group, target group or port mapping. */
export const KONG_ADMIN_PORT = 8001;

/** The admin port mapped by a container, or the admin API bound beyond loopback. */
function adminApiInContainer(where: string, container: Json): string[] {
  const problems: string[] = [];
  for (const m of (container.portMappings ?? []) as Json[]) {
    if (m.containerPort === KONG_ADMIN_PORT || m.hostPort === KONG_ADMIN_PORT) {
      problems.push(`${where} maps port ${KONG_ADMIN_PORT}`);
    }
  }
  const admin = ((container.environment ?? []) as Json[]).find((e) => e.name === 'KONG_ADMIN_LISTEN');
  if (admin && !/^(127\.0\.0\.1|\[::1\]):\d+/.test(String(admin.value)) && admin.value !== 'off') {
    problems.push(`${where} binds the admin API to "${admin.value}" instead of loopback`);
  }
  return problems;
}

/**
 * Kong's admin API (8001) appears in no security group rule (ingress or egress), target group,
 * listener or port mapping, and `KONG_ADMIN_LISTEN` binds loopback (or is `off`).
 *
 * Why: whoever reaches the admin API controls every route, consumer and key of the gateway. Reads
 * the synthesized JSON (container definitions included), because the exposure can come from any
 * of five resource types written by different constructs.
 */
export const adminApiIsNeverExposed: StackRule = {
  id: 'admin-api-is-never-exposed',
  name: "Kong's admin API (8001) is in no security group rule, target group, listener or port mapping",
  why: 'whoever reaches the admin API controls every route, consumer and key of the gateway',
  check(stack) {
    const covers = (from: number, to: number) => from <= KONG_ADMIN_PORT && KONG_ADMIN_PORT <= to;
    const problems: string[] = [];
    for (const p of ingressPermissions(stack)) {
      if (covers(p.fromPort, p.toPort)) problems.push(`${p.where} admits port ${KONG_ADMIN_PORT}`);
    }
    for (const p of egressPortRanges(stack)) {
      if (covers(p.fromPort, p.toPort)) problems.push(`${p.where} opens egress to port ${KONG_ADMIN_PORT}`);
    }
    for (const r of stack.resources('aws_lb_target_group')) {
      if (
        Number(r.values.port) === KONG_ADMIN_PORT ||
        Number(r.values.health_check?.port) === KONG_ADMIN_PORT
      ) {
        problems.push(`aws_lb_target_group.${r.name} points at port ${KONG_ADMIN_PORT}`);
      }
    }
    for (const r of stack.resources('aws_lb_listener')) {
      if (Number(r.values.port) === KONG_ADMIN_PORT) {
        problems.push(`aws_lb_listener.${r.name} listens on ${KONG_ADMIN_PORT}`);
      }
    }
    return [...problems, ...containerProblems(stack, adminApiInContainer)];
  },
};
