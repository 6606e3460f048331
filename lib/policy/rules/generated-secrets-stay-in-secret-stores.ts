import type { Json, StackJson } from '../stack-json';
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
    return [...leaksIntoResources(stack), ...leaksIntoOutputs(stack)];
  },
};

/** Every attribute outside the secret stores that references a generated secret. */
function leaksIntoResources(stack: StackJson): string[] {
  return stack.allResources().flatMap((r) => {
    const allowed = SECRET_SINKS[r.type] ?? [];
    return strings(r.values, '')
      .filter(({ text }) => GENERATED.test(text))
      .filter(({ where }) => !allowed.some((field) => where === field || where.startsWith(`${field}[`)))
      .map(({ where }) => `${r.type}.${r.name}.${where} uses a generated secret`);
  });
}

/** Every output whose value references a generated secret or a secret attribute. */
function leaksIntoOutputs(stack: StackJson): string[] {
  return Object.entries(stack.outputs)
    .filter(([, output]) =>
      strings(output.value, '').some(
        ({ text }) => GENERATED.test(text) || /\.(secret_string|password|auth_token)\b/.test(text),
      ),
    )
    .map(([name]) => `output ${name} reveals a secret value`);
}
