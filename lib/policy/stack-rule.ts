import type { StackJson } from './stack-json';

/**
 * A stack-wide rule over synthesized Terraform JSON. `check` returns the violations it finds
 * (empty = compliant), one line each naming the block and what to fix. The rules are listed in
 * `rules/index.ts` and run at every synth by `StackPolicyAspect`.
 */
export interface StackRule {
  /** The rule's ID, its file name in `rules/` (kebab case), prefixed to every error it reports. */
  readonly id: string;
  /** What the rule requires, in one line. */
  readonly name: string;
  /** Why the rule exists. */
  readonly why: string;
  check(stack: StackJson): string[];
}
