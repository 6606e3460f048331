import { TAGS, checkRecord, type FieldSpec } from './field-schema';
import type { KongRule } from './model';

const CREDENTIAL_FIELDS: Readonly<Record<string, FieldSpec>> = {
  id: { type: 'string' },
  created_at: { type: 'integer' },
  consumer: { type: 'string' },
  // Not referenceable in open-source Kong: a vault reference would be taken as the literal key.
  key: { type: 'string', env: true },
  ttl: { type: 'integer' },
  tags: TAGS,
};

/** `typedefs.uuid`. */
const UUID: FieldSpec = {
  type: 'string',
  pattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
};

const CONSUMER_FIELDS: Readonly<Record<string, FieldSpec>> = {
  id: UUID,
  created_at: { type: 'integer' },
  updated_at: { type: 'integer' },
  username: { type: 'string' },
  custom_id: { type: 'string' },
  tags: TAGS,
  keyauth_credentials: { type: 'array', elements: { type: 'record', fields: CREDENTIAL_FIELDS } },
  plugins: { type: 'nested' }, // checked by the plugin rules
};

/**
 * Consumers and their key-auth credentials as Kong 3.9.3 defines them:
 * kong/db/schema/entities/consumers.lua (`username` / `custom_id` strings, `at_least_one_of`
 * them, both unique) and kong/plugins/key-auth/daos.lua (`keyauth_credentials.key` a string,
 * unique, not referenceable).
 */
export const consumerSchema: KongRule = {
  id: 'kong/consumer-schema',
  description: 'consumer and key-auth credential fields; username or custom_id; unique usernames and keys',
  source: 'Kong 3.9.3 kong/db/schema/entities/consumers.lua; kong/plugins/key-auth/daos.lua',
  check(model) {
    const problems: string[] = [];
    const usernames = new Map<string, string>();
    const keys = new Map<string, string>();
    for (const { raw, username, where } of model.consumers) {
      problems.push(...checkRecord(raw, CONSUMER_FIELDS, where));
      if (!username && !raw?.custom_id)
        problems.push(`${where}: at least one of username, custom_id is required`);
      if (username) {
        if (usernames.has(username))
          problems.push(`${where}.username: "${username}" already used by ${usernames.get(username)}`);
        usernames.set(username, where);
      }
      ((raw?.keyauth_credentials ?? []) as { key?: unknown }[]).forEach((cred, i) => {
        if (typeof cred?.key !== 'string') return;
        const credWhere = `${where}.keyauth_credentials[${i}].key`;
        if (keys.has(cred.key))
          problems.push(`${credWhere}: the same key as ${keys.get(cred.key)} (keys are unique)`);
        keys.set(cred.key, credWhere);
      });
    }
    return problems;
  },
};
