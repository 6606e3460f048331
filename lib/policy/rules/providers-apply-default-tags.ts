import type { Json } from '../stack-json';
import type { StackRule } from '../stack-rule';

/**
 * Builds the rule that every AWS provider of the stack applies the default tags `requiredKeys`
 * (the stacks pass their stage's tag keys: the stage file's `defaultTags` plus `Stage` and
 * `ManagedBy`).
 *
 * Why: cost allocation and ownership rely on tags on every taggable resource, and provider
 * `default_tags` is the one place that reaches all of them; a second provider (an alias for
 * another region) without them silently leaves its resources untagged. Reads the synthesized
 * `provider.aws` blocks.
 */
export function providersApplyDefaultTags(requiredKeys: readonly string[]): StackRule {
  return {
    id: 'providers-apply-default-tags',
    name: 'every AWS provider applies the default tags',
    why: 'cost allocation and ownership rely on tags on every taggable resource',
    check(stack) {
      const providers = (stack.json.provider?.aws ?? []) as Json[];
      if (providers.length === 0) return ['the stack has no AWS provider'];
      return providers.flatMap((p, i) => {
        const tags = (p.default_tags?.[0]?.tags ?? {}) as Record<string, string>;
        const label = p.alias ? `provider aws.${p.alias}` : `provider aws[${i}]`;
        return requiredKeys.filter((k) => !tags[k]).map((k) => `${label} does not apply default tag "${k}"`);
      });
    },
  };
}
