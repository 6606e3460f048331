import { containerProblems } from '../container-definitions';
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
    return containerProblems(stack, (where, container) => {
      const log = container.logConfiguration;
      const toCloudWatch = log?.logDriver === 'awslogs' && Boolean(log.options?.['awslogs-group']);
      return toCloudWatch ? [] : [`${where} does not log to CloudWatch through awslogs`];
    });
  },
};
