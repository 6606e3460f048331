import type { Json, StackJson } from './stack-json';

/** One container of one task definition, and where it is (for messages). */
export interface ContainerAt {
  /** `aws_ecs_task_definition.<name> container "<container>"`. */
  readonly where: string;
  readonly container: Json;
}

/**
 * Every container definition of every task definition, and one problem per task definition whose
 * `container_definitions` is not plain JSON: a rule that cannot read a container must not pass it.
 */
export function containerDefinitions(stack: StackJson): { containers: ContainerAt[]; unreadable: string[] } {
  const containers: ContainerAt[] = [];
  const unreadable: string[] = [];
  for (const r of stack.resources('aws_ecs_task_definition')) {
    let parsed: Json;
    try {
      parsed = JSON.parse(r.values.container_definitions);
    } catch {
      unreadable.push(
        `aws_ecs_task_definition.${r.name} has container_definitions that are not plain JSON (build them with JSON.stringify so policy can read them)`,
      );
      continue;
    }
    for (const c of parsed as Json[]) {
      containers.push({ where: `aws_ecs_task_definition.${r.name} container "${c.name}"`, container: c });
    }
  }
  return { containers, unreadable };
}

/**
 * The problems `check` finds in each container, after one problem per unreadable task definition:
 * what every container rule reports.
 */
export function containerProblems(
  stack: StackJson,
  check: (where: string, container: Json) => string[],
): string[] {
  const { containers, unreadable } = containerDefinitions(stack);
  return [...unreadable, ...containers.flatMap(({ where, container }) => check(where, container))];
}
