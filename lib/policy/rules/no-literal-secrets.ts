import type { StackRule } from '../stack-rule';

/** Fields that hold a secret value; they must be Terraform expressions, never literals. */
const SECRET_FIELDS: Readonly<Record<string, readonly string[]>> = {
  aws_db_instance: ['password', 'password_wo'],
  aws_rds_cluster: ['master_password', 'master_password_wo'],
  aws_secretsmanager_secret_version: ['secret_string', 'secret_string_wo'],
  aws_elasticache_replication_group: ['auth_token'],
  aws_ssm_parameter: ['value', 'value_wo'],
};

/**
 * True when `text` is one Terraform expression (`${...}`) whose quoted string literals are all
 * short words (JSON keys, engine names): a value built from references, not a secret typed in.
 */
function isExpressionWithoutLongLiterals(text: string): boolean {
  if (!/^\$\{[\s\S]*\}$/.test(text)) return false;
  const literals = [...text.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
  return literals.every((l) => /^[A-Za-z_-]{1,24}$/.test(l));
}

/**
 * No password, token or secret value is a literal: each is a reference to a generated value
 * (`random_password`, a managed master password).
 *
 * Why: a literal secret lives in the repository and in every synthesized plan. Reads the
 * synthesized secret fields, where an expression and a typed-in string can be told apart.
 * Secrets in a container environment fall to `no-secrets-in-container-environment`.
 */
export const noLiteralSecrets: StackRule = {
  id: 'no-literal-secrets',
  name: 'no password, token or key is a literal',
  why: 'a literal secret lives in the repository and in every synthesized plan (secrets in a container environment: noSecretsInContainerEnvironment)',
  check(stack) {
    return Object.entries(SECRET_FIELDS).flatMap(([type, fields]) =>
      stack.resources(type).flatMap((r) =>
        fields
          .filter((field) => r.values[field] !== undefined)
          .filter((field) => {
            const v = r.values[field];
            return typeof v !== 'string' || !isExpressionWithoutLongLiterals(v);
          })
          .map((field) => `${type}.${r.name}.${field} is a literal, not a reference to a generated value`),
      ),
    );
  },
};
