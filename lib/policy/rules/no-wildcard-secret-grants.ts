import type { Json } from '../stack-json';
import type { StackRule } from '../stack-rule';

/**
 * Identity policies grant Secrets Manager, KMS and SSM actions on named resources only, with no
 * wildcard action. Key policies (statements with `principals`) are out of scope: `*` there means
 * "this key". Deny statements are out of scope too.
 *
 * Why: a wildcard `GetSecretValue` or `kms:Decrypt` lets a task read every secret of the account.
 * Reads the synthesized `aws_iam_policy_document` data sources, where every policy of the stack
 * is built.
 */
export const noWildcardSecretGrants: StackRule = {
  id: 'no-wildcard-secret-grants',
  name: 'identity policies grant secrets and keys on named resources only',
  why: 'a wildcard GetSecretValue or kms:Decrypt lets a task read every secret of the account',
  check(stack) {
    return stack
      .dataSources('aws_iam_policy_document')
      .flatMap((d) =>
        ((d.values.statement ?? []) as Json[]).flatMap((st, i) =>
          wildcardGrants(st, `data.aws_iam_policy_document.${d.name}.statement[${i}]`),
        ),
      );
  },
};

/** What one statement grants too widely (nothing for key policies, denies and other services). */
function wildcardGrants(st: Json, where: string): string[] {
  if (st.principals) return []; // a resource (key) policy: `*` there means "this key"
  if (st.effect === 'Deny') return [];
  const actions = (st.actions ?? []) as string[];
  const sensitive = actions.some((a) => a === '*' || /^(secretsmanager|kms|ssm):/i.test(a));
  if (!sensitive) return [];
  const problems: string[] = [];
  const wildAction = actions.filter((a) => a.includes('*'));
  const resources = (st.resources ?? []) as string[];
  const wildResource = resources.filter((res) => res.replace(/\$\{[^}]*\}/g, '').includes('*'));
  if (wildAction.length > 0) problems.push(`${where} grants ${wildAction.join(', ')}`);
  if (resources.length === 0 || wildResource.length > 0 || st.not_resources) {
    problems.push(`${where} grants ${actions.join(', ')} on ${resources.join(', ') || 'no named resource'}`);
  }
  return problems;
}
