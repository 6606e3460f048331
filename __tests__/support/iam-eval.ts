/**
 * A small IAM policy evaluator for tests: explicit Deny wins, then any Allow, else implicit deny.
 * It knows the parts of the policy language the delivery identities use: `Action`/`NotAction`
 * with wildcards, `Resource` with wildcards, and the condition operators StringEquals,
 * StringNotEquals, StringLike, StringNotEqualsIfExists, ArnLike, Null, Bool, NumericLessThan and
 * `ForAnyValue:StringEquals`. An unknown operator throws, so a test never passes by ignoring one.
 */
import type { PolicyDocument, PolicyStatement } from '../../lib/constructs/delivery-identity/policy-document';

/** One API call: action, resource ARN, and the request's condition keys. */
export interface IamRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

export type Decision = 'allow' | 'deny' | 'implicit-deny';

/** IAM wildcard match: `*` any run of characters, `?` one character; case-insensitive for actions. */
export function globMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, ignoreCase ? 'i' : '').test(value);
}

const list = (v: string | number | readonly string[] | undefined): string[] =>
  v === undefined ? [] : typeof v === 'string' || typeof v === 'number' ? [String(v)] : [...v];

function conditionHolds(operator: string, key: string, expected: string[], req: IamRequest): boolean {
  const raw = req.context?.[key];
  const actual = list(raw);
  const present = raw !== undefined;
  switch (operator) {
    case 'StringEquals':
    case 'ArnEquals':
      return present && actual.some((a) => expected.includes(a));
    case 'StringNotEquals':
      return !present || actual.every((a) => !expected.includes(a));
    case 'StringNotEqualsIfExists':
      return !present || actual.every((a) => !expected.includes(a));
    case 'StringLike':
    case 'ArnLike':
      return present && actual.some((a) => expected.some((e) => globMatch(e, a)));
    case 'ForAnyValue:StringEquals':
      return actual.some((a) => expected.includes(a));
    case 'Null':
      return expected.includes(present ? 'false' : 'true');
    case 'Bool':
      return present && actual.some((a) => expected.includes(a));
    case 'NumericLessThan':
      return present && actual.some((a) => expected.some((e) => Number(a) < Number(e)));
    default:
      throw new Error(`iam-eval: condition operator ${operator} is not modelled`);
  }
}

function statementApplies(s: PolicyStatement, req: IamRequest): boolean {
  const actionMatches = (patterns: string[]) => patterns.some((p) => globMatch(p, req.action, true));
  if (s.Action && !actionMatches(s.Action)) return false;
  if (s.NotAction && actionMatches(s.NotAction)) return false;
  // A trust policy's statements name a principal, not a resource: they apply to the role itself.
  if (!(s.Resource ?? ['*']).some((r) => globMatch(r, req.resource))) return false;
  for (const [operator, keys] of Object.entries(s.Condition ?? {})) {
    for (const [key, value] of Object.entries(keys)) {
      if (!conditionHolds(operator, key, list(value), req)) return false;
    }
  }
  return true;
}

/** The decision of identity policies `docs` on `req`. */
export function evaluate(docs: readonly PolicyDocument[], req: IamRequest): Decision {
  const statements = docs.flatMap((d) => d.Statement);
  if (statements.some((s) => s.Effect === 'Deny' && statementApplies(s, req))) return 'deny';
  if (statements.some((s) => s.Effect === 'Allow' && statementApplies(s, req))) return 'allow';
  return 'implicit-deny';
}

/** The decision of identity policies capped by a permissions boundary (both must allow). */
export function evaluateWithBoundary(
  docs: readonly PolicyDocument[],
  boundary: PolicyDocument,
  req: IamRequest,
): Decision {
  const own = evaluate(docs, req);
  if (own !== 'allow') return own;
  return evaluate([boundary], req);
}
