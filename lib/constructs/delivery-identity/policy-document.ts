/**
 * IAM policy documents as plain data: the delivery identities are built from these, tests read
 * them without a synth, and `JSON.stringify` turns one into the `policy` of a resource (Terraform
 * references inside strings stay interpolations).
 */

/** A condition block: operator -> key -> value(s). */
export type PolicyCondition = Record<string, Record<string, string | string[]>>;

/** One statement. */
export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: Record<string, string | string[]>;
  readonly Action?: string[];
  readonly NotAction?: string[];
  readonly Resource?: string[];
  readonly Condition?: PolicyCondition;
}

/** A whole document. */
export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: PolicyStatement[];
}

/** A document of `statements`. */
export function policyDocument(statements: PolicyStatement[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements };
}

/** The document as IAM stores it: compact JSON (IAM's size limits count it without whitespace). */
export function policyJson(doc: PolicyDocument): string {
  return JSON.stringify(doc);
}
