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
    const problems: string[] = [];
    for (const d of stack.dataSources('aws_iam_policy_document')) {
      for (const [i, st] of ((d.values.statement ?? []) as Json[]).entries()) {
        if (st.principals) continue; // a resource (key) policy: `*` there means "this key"
        if (st.effect === 'Deny') continue;
        const actions = (st.actions ?? []) as string[];
        const sensitive = actions.some((a) => a === '*' || /^(secretsmanager|kms|ssm):/i.test(a));
        if (!sensitive) continue;
        const wildAction = actions.filter((a) => a.includes('*'));
        const resources = (st.resources ?? []) as string[];
        const wildResource = resources.filter((res) => res.replace(/\$\{[^}]*\}/g, '').includes('*'));
        const where = `data.aws_iam_policy_document.${d.name}.statement[${i}]`;
        if (wildAction.length > 0) problems.push(`${where} grants ${wildAction.join(', ')}`);
        if (resources.length === 0 || wildResource.length > 0 || st.not_resources) {
          problems.push(
            `${where} grants ${actions.join(', ')} on ${resources.join(', ') || 'no named resource'}`,
          );
        }
      }
    }
    return problems;
  },
};
