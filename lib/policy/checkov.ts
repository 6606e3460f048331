import type { TerraformElement } from 'cdktf';

/**
 * Resource-level Checkov suppressions for synthesized Terraform JSON.
 *
 * Checkov's `terraform_json` runner (the one that reads `cdk.tf.json`) ignores every inline skip:
 * JSON has no comments, and its runner hands an empty skip list to each check (checkov 3.3.30,
 * `checkov/terraform_json/runner.py`; bridgecrewio/checkov#4634, hashicorp/terraform-cdk#3609).
 * Its only built-in alternative, `--skip-check`, drops a check for every resource of the stack.
 *
 * So a skip is written into the resource's `"//"` comment field, in the shape those issues
 * proposed and Checkov uses for CloudFormation metadata:
 * `"//": { "checkov": { "skip": [{ "id": "CKV_AWS_338", "comment": "why" }] } }`.
 * Terraform ignores `"//"` keys. `npm run scan` (scripts/scan/evaluate.ts) reads them, turns a
 * matching failure into a reported skip, and fails on a skip that no longer matches a failure.
 *
 * A skip made in a construct applies only to the stacks where the construct adds it: put the
 * condition (a dev-only setting) around the call, never skip unconditionally what prod must meet.
 */

/** One suppressed check on one resource. */
export interface CheckovSkip {
  /** The Checkov check ID, e.g. `CKV_AWS_338`. */
  readonly id: string;
  /** Why the check does not apply here, in one line a security reviewer can accept. */
  readonly comment: string;
}

const CHECK_ID = /^CKV2?_[A-Z0-9]+_\d+$/;
const skipsByElement = new WeakMap<TerraformElement, CheckovSkip[]>();

/**
 * Suppresses Checkov check `id` for this resource or data source only, with a reason.
 * Throws for a malformed check ID or an empty reason.
 */
export function skipCheckov(element: TerraformElement, id: string, comment: string): void {
  if (!CHECK_ID.test(id))
    throw new Error(`skipCheckov: "${id}" is not a Checkov check ID (e.g. CKV_AWS_338)`);
  const reason = comment.trim();
  if (reason.length < 10 || reason.includes('\n')) {
    throw new Error(
      `skipCheckov(${id}): give a one-line reason a security reviewer can accept, got "${comment}"`,
    );
  }
  const known = skipsByElement.get(element);
  const skips = (known ?? []).filter((s) => s.id !== id);
  skips.push({ id, comment: reason });
  skipsByElement.set(element, skips);
  if (!known) writeSkipsOnSynth(element);
}

/**
 * Adds the skips to the element's `"//"` field when it is synthesized. `addOverride('//...')`
 * cannot: cdktf 0.21 replaces a data source's `"//"` with its own metadata after the overrides.
 */
function writeSkipsOnSynth(element: TerraformElement): void {
  const synthesize = element.toTerraform.bind(element);
  element.toTerraform = () => {
    const out = synthesize();
    for (const kind of ['resource', 'data']) {
      for (const byId of Object.values<Record<string, Record<string, unknown>>>(out[kind] ?? {})) {
        const block = byId[element.friendlyUniqueId];
        if (!block) continue;
        const comment = (block['//'] ?? {}) as Record<string, unknown>;
        block['//'] = { ...comment, checkov: { skip: skipsByElement.get(element) ?? [] } };
      }
    }
    return out;
  };
}

/** The skips recorded on an element (for tests). */
export function checkovSkips(element: TerraformElement): readonly CheckovSkip[] {
  return skipsByElement.get(element) ?? [];
}

/**
 * Skips the IAM-policy checks that misread a KMS key policy built with `aws_iam_policy_document`:
 * they judge it as an identity policy, where `Resource: "*"` means every resource.
 */
export function skipKmsKeyPolicyChecks(keyPolicy: TerraformElement): void {
  skipCheckov(keyPolicy, 'CKV_AWS_356', 'KMS key policy: Resource "*" in a key policy means this key only');
  skipCheckov(
    keyPolicy,
    'CKV_AWS_111',
    'KMS key policy: its write actions reach this key only, never other resources',
  );
  skipCheckov(
    keyPolicy,
    'CKV_AWS_109',
    "KMS key policy: the account-root statement is AWS's default key policy, delegating key administration to IAM",
  );
}
