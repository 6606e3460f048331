import type { Json } from '../stack-json';
import type { StackRule } from '../stack-rule';

/** Where a generated secret (`random_password.<name>.result`) may flow: secret stores only. */
const SECRET_SINKS: Readonly<Record<string, readonly string[]>> = {
  aws_db_instance: ['password'],
  aws_secretsmanager_secret_version: ['secret_string'],
  aws_elasticache_replication_group: ['auth_token'],
  aws_elasticache_user: ['passwords'],
  aws_ssm_parameter: ['value'],
};

const GENERATED = /\$\{[^}]*random_password\.[A-Za-z0-9_-]+\.result/;

/** Every `(path, string)` in a JSON value, depth first. */
function strings(value: Json, where: string): { where: string; text: string }[] {
  if (typeof value === 'string') return [{ where, text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${where}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => strings(v, where ? `${where}.${k}` : k));
  }
  return [];
}

/**
 * A generated secret (`random_password.*.result`) flows only into the database password, the
 * Redis AUTH token and Secrets Manager / SSM values; no output reveals a secret value.
 *
 * Why: a generated secret referenced anywhere else (an output, a tag, a container environment, a
 * description) is a leak into plans, the console and logs. Reads every string of every synthesized
 * resource and output, because a reference can hide in any attribute.
 */
export const generatedSecretsStayInSecretStores: StackRule = {
  id: 'generated-secrets-stay-in-secret-stores',
  name: 'generated secrets flow only into the database, the cache and Secrets Manager, never into an output',
  why: 'a random_password result referenced elsewhere (an output, a tag, a container environment) is a leak',
  check(stack) {
    const problems: string[] = [];
    for (const r of stack.allResources()) {
      const allowed = SECRET_SINKS[r.type] ?? [];
      for (const { where, text } of strings(r.values, '')) {
        const sink = allowed.some((field) => where === field || where.startsWith(`${field}[`));
        if (GENERATED.test(text) && !sink)
          problems.push(`${r.type}.${r.name}.${where} uses a generated secret`);
      }
    }
    for (const [name, output] of Object.entries(stack.outputs)) {
      for (const { text } of strings(output.value, '')) {
        if (GENERATED.test(text) || /\.(secret_string|password|auth_token)\b/.test(text)) {
          problems.push(`output ${name} reveals a secret value`);
          break;
        }
      }
    }
    return problems;
  },
};
