import { containerDefinitions } from '../container-definitions';
import type { StackRule } from '../stack-rule';

/**
 * Every container of every task definition logs to CloudWatch through `awslogs`, with a log group.
 *
 * Why: a container without logs cannot be debugged or audited, and its output is lost when the task
 * stops. Reads the synthesized container definitions; one it cannot parse is a violation.
 */
export const everyContainerLogsToCloudWatch: StackRule = {
  id: 'every-container-logs-to-cloudwatch',
  name: 'every container logs to CloudWatch (awslogs with a log group)',
  why: 'a container without logs cannot be debugged or audited, and its output is lost when the task stops',
  check(stack) {
    const { containers, unreadable } = containerDefinitions(stack);
    const problems = [...unreadable];
    for (const { where, container } of containers) {
      const log = container.logConfiguration;
      if (log?.logDriver !== 'awslogs' || !log.options?.['awslogs-group']) {
        problems.push(`${where} does not log to CloudWatch through awslogs`);
      }
    }
    return problems;
  },
};
