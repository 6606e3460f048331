import { containerProblems } from '../container-definitions';
import type { Json } from '../stack-json';
import type { StackRule } from '../stack-rule';

/** Environment variable names that must come from ECS `secrets`, never from `environment`. */
const SECRET_LOOKING_NAME = /PASSWORD|PASSWD|KEY|TOKEN|SECRET/i;

/**
 * No container environment sets a secret-looking variable (`*PASSWORD*`, `*KEY*`, `*TOKEN*`,
 * `*SECRET*`): those come through ECS `secrets` from Secrets Manager.
 *
 * Why: task definitions are readable by anyone with `ecs:DescribeTaskDefinition` and end up in
 * Terraform state and plans. Reads the synthesized container definitions; one it cannot parse is a
 * violation, not a pass.
 */
export const noSecretsInContainerEnvironment: StackRule = {
  id: 'no-secrets-in-container-environment',
  name: 'no secret-looking variable in any container environment (they come from ECS secrets)',
  why: 'task definitions are readable by anyone with ecs:DescribeTaskDefinition and end up in state and plans',
  check(stack) {
    return containerProblems(stack, (where, container) =>
      ((container.environment ?? []) as Json[])
        .filter((e) => SECRET_LOOKING_NAME.test(String(e.name)))
        .map((e) => `${where} sets ${e.name} in its environment; inject it through "secrets"`),
    );
  },
};
