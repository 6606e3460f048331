/**
 * The stack's Terraform JSON as `cdktf synth` writes it, `"//"` comment fields included
 * (`Testing.synth` strips them, and Checkov skips live there: lib/policy/checkov.ts).
 */
import { Testing, type TerraformStack } from 'cdktf';
import type { Json } from './synth';

export function synthWithComments(stack: TerraformStack): Json {
  Testing.synth(stack); // runs the aspects, as the real synth does
  return JSON.parse(JSON.stringify(stack.toTerraform()));
}

/** The Checkov skips of every block, as `{ address: [checkIds] }`. */
export function checkovSkipsByAddress(json: Json): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const kind of ['resource', 'data']) {
    for (const [type, byName] of Object.entries<Json>(json[kind] ?? {})) {
      for (const [name, values] of Object.entries<Json>(byName)) {
        const skips = values['//']?.checkov?.skip;
        if (skips) out[`${kind === 'data' ? 'data.' : ''}${type}.${name}`] = skips.map((s: Json) => s.id);
      }
    }
  }
  return out;
}
