import type { TerraformStack } from 'cdktf';

/** A value of synthesized Terraform JSON: rules read it without a schema. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** A resource or data source of the stack: its Terraform type, name and attribute values. */
export interface StackBlock {
  readonly type: string;
  readonly name: string;
  readonly values: Json;
}

/**
 * A stack's synthesized Terraform JSON (`cdk.tf.json`), queried by block type. The stack rules
 * (lib/policy/rules) read stacks through it, and the test helpers extend it.
 */
export class StackJson {
  constructor(readonly json: Json) {}

  /**
   * The JSON `cdktf synth` writes for `stack`, without the `"//"` comment fields (construct paths,
   * Checkov skips) and with keys in sorted order: what `Testing.synth` returns, so a rule reports the
   * same problems, in the same order, whether it runs at synth or in a test. Run the stack's aspects
   * first when the result must include what they add.
   */
  static of(stack: TerraformStack): StackJson {
    return new StackJson(withoutComments(stack.toTerraform()));
  }

  /** Every resource of `type`, as `{ name, values }` (name is the Terraform name). */
  resources(type: string): { name: string; values: Json }[] {
    return Object.entries(this.json.resource?.[type] ?? {}).map(([name, values]) => ({ name, values }));
  }

  /** Every data source of `type`. */
  dataSources(type: string): { name: string; values: Json }[] {
    return Object.entries(this.json.data?.[type] ?? {}).map(([name, values]) => ({ name, values }));
  }

  /** Every resource of the stack. */
  allResources(): StackBlock[] {
    return Object.entries(this.json.resource ?? {}).flatMap(([type, byName]) =>
      Object.entries(byName as Json).map(([name, values]) => ({ type, name, values })),
    );
  }

  /** Outputs by name. */
  get outputs(): Record<string, Json> {
    return this.json.output ?? {};
  }
}

/** `value` with every `"//"` key dropped, object keys sorted and `undefined` members removed. */
function withoutComments(value: Json): Json {
  if (Array.isArray(value)) return value.map(withoutComments);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, Json> = {};
  // Default (code unit) order, as json-stable-stringify writes `Testing.synth`'s keys.
  for (const key of Object.keys(value).sort()) {
    if (key === '//' || value[key] === undefined) continue;
    out[key] = withoutComments(value[key]);
  }
  return out;
}
