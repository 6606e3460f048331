import type { IConstruct } from 'constructs';
import type { IAspect, TerraformStack } from 'cdktf';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { boundaryPolicyName } from '../contracts/delivery-identity';
import type { AwsEnvironment } from '../constructs/shared/aws-environment';

/**
 * Sets a permissions boundary on every IAM role of the stack that has none. An aspect rather than
 * a prop on each construct: every role, present or future, gets it without the constructs knowing
 * about delivery identities. It acts once, on the stack node, over all its roles: the stack policy
 * aspect also acts on the stack node (before any child is visited), so a per-role visit would come
 * too late for the rule `every-role-has-permissions-boundary`. Add it before `applyStackPolicy`.
 */
export class PermissionsBoundaryAspect implements IAspect {
  constructor(
    private readonly stack: TerraformStack,
    private readonly boundaryArn: string,
  ) {}

  visit(node: IConstruct): void {
    if (node !== this.stack) return;
    for (const role of this.stack.node.findAll()) {
      if (role instanceof IamRole && role.permissionsBoundaryInput === undefined)
        role.permissionsBoundary = this.boundaryArn;
    }
  }
}

/** The ARN of the boundary the bootstrap stack creates for `stage` in the deploying account. */
export function stageBoundaryArn(env: AwsEnvironment, stage: string): string {
  return `arn:${env.partition}:iam::${env.accountId}:policy/${boundaryPolicyName(stage)}`;
}
