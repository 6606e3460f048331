import { TerraformStack, type TerraformElement } from 'cdktf';

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
 *
 * Two kinds of skip: a design skip ({@link skipCheckov}) says why a check does not apply to this
 * resource in any stage; an opt-out skip ({@link skipCheckovOptOut}) exists only because a setting
 * turned a protection off (no deletion protection, no WAF, a single Redis node). A stack marked
 * with {@link forbidOptOutSkips} (every production stack) refuses opt-out skips: the skip call
 * throws, so such a stack never synthesizes with a scan that is clean only by its own skips.
 */

/** One suppressed check on one resource. */
export interface CheckovSkip {
  /** The Checkov check ID, e.g. `CKV_AWS_338`. */
  readonly id: string;
  /** Why the check does not apply here, in one line a security reviewer can accept. */
  readonly comment: string;
  /**
   * True for an opt-out skip (a setting turned the protection off), written into the JSON too so
   * a reader of `cdk.tf.json` tells them from design skips.
   * @default false: a design skip
   */
  readonly optOut?: boolean;
}

const CHECK_ID = /^CKV2?_[A-Z0-9]+_\d+$/;
const skipsByElement = new WeakMap<TerraformElement, CheckovSkip[]>();
/** Stacks that refuse opt-out skips, with the reason given. */
const optOutForbidden = new WeakMap<TerraformStack, string>();

/**
 * Suppresses Checkov check `id` for this resource or data source only, with a reason.
 * Throws for a malformed check ID or an empty reason.
 */
export function skipCheckov(element: TerraformElement, id: string, comment: string): void {
  recordSkip(element, { id, comment });
}

function recordSkip(element: TerraformElement, skip: CheckovSkip): void {
  const { id, comment } = skip;
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
  skips.push({ ...skip, comment: reason });
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

/**
 * Suppresses Checkov check `id` on this element because a setting turned the protection off; the
 * comment names the setting. Throws in a stack marked with {@link forbidOptOutSkips}.
 */
export function skipCheckovOptOut(element: TerraformElement, id: string, comment: string): void {
  const stack = TerraformStack.of(element);
  const forbidden = optOutForbidden.get(stack);
  if (forbidden !== undefined) {
    throw new Error(
      `${element.node.path}: ${id} would be skipped because a setting opted out of it (${comment}), ` +
        `but ${forbidden}: turn the protection back on in the stage file`,
    );
  }
  recordSkip(element, { id, comment, optOut: true });
}

/**
 * Makes every later {@link skipCheckovOptOut} in `stack` throw, with `why` in the message (e.g.
 * "config/prod.json is a production stage"). Call it first in the stack's constructor.
 */
export function forbidOptOutSkips(stack: TerraformStack, why: string): void {
  optOutForbidden.set(stack, why);
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
