/**
 * Runs the stack rules (rules/index.ts) at every synth and reports each violation as an error
 * annotation on the construct that wrote the offending block, so a broken rule fails the synth:
 *
 * - `app.synth()` (cdktf 0.21 `StackSynthesizer.synthesize`) throws "Encountered Annotations with
 *   level ERROR" once the aspects have run, before writing the stack;
 * - `cdktf synth` runs the app with `CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS`, so the app writes
 *   the annotations to `manifest.json`, and the CLI (`printAnnotations` in @cdktf/cli-core) prints
 *   them and exits non-zero on any of level `@cdktf/error`.
 *
 * `Testing.synth` runs the aspects but ignores error annotations: tests read the `@cdktf/error`
 * metadata (`errorAnnotations`) or call `app.synth()`.
 */
import {
  Annotations,
  Aspects,
  TerraformDataSource,
  TerraformResource,
  type IAspect,
  type TerraformStack,
} from 'cdktf';
import type { IConstruct } from 'constructs';
import { StackJson } from './stack-json';
import type { StackRule } from './stack-rule';

/** The metadata type cdktf gives error annotations (`AnnotationMetadataEntryType.ERROR`). */
export const ERROR_ANNOTATION = '@cdktf/error';

/**
 * The aspect. It acts once, on the stack node, over the whole stack's JSON (`stack.toTerraform()`):
 * the rules need the stack as a whole (which security group sits on the ALB, every provider, every
 * output), and the JSON is what Terraform will apply, whatever construct or escape hatch wrote it.
 * Aspects added to the stack before this one run before it; `applyStackPolicy` adds it last.
 */
export class StackPolicyAspect implements IAspect {
  constructor(
    private readonly stack: TerraformStack,
    private readonly rules: readonly StackRule[],
  ) {}

  visit(node: IConstruct): void {
    if (node !== this.stack) return;
    const json = StackJson.of(this.stack);
    const owners = blockOwners(this.stack);
    for (const rule of this.rules) {
      for (const problem of rule.check(json)) {
        Annotations.of(ownerOf(problem, owners) ?? this.stack).addError(`[${rule.id}] ${problem}`);
      }
    }
  }
}

/** Makes every synth of `stack` check `rules`. Call it last in the stack's constructor. */
export function applyStackPolicy(stack: TerraformStack, rules: readonly StackRule[]): void {
  Aspects.of(stack).add(new StackPolicyAspect(stack, rules));
}

/** The construct behind each block address: `type.name` for resources, `data.type.name` for data sources. */
function blockOwners(stack: TerraformStack): Map<string, IConstruct> {
  const owners = new Map<string, IConstruct>();
  for (const node of stack.node.findAll()) {
    if (node instanceof TerraformResource)
      owners.set(`${node.terraformResourceType}.${node.friendlyUniqueId}`, node);
    else if (node instanceof TerraformDataSource) {
      owners.set(`data.${node.terraformResourceType}.${node.friendlyUniqueId}`, node);
    }
  }
  return owners;
}

/** The construct a problem names first (rules start each problem with the block's address). */
function ownerOf(problem: string, owners: Map<string, IConstruct>): IConstruct | undefined {
  const address = /^((?:data\.)?[a-z0-9_]+\.[A-Za-z0-9_-]+)/.exec(problem)?.[1];
  return address ? owners.get(address) : undefined;
}

/** The error annotations of `stack` and its constructs, as `[path] message` (for tests and tools). */
export function errorAnnotations(stack: TerraformStack): string[] {
  return stack.node
    .findAll()
    .flatMap((node) =>
      node.node.metadata
        .filter((m) => m.type === ERROR_ANNOTATION)
        .map((m) => `[${node.node.path}] ${String(m.data)}`),
    );
}
