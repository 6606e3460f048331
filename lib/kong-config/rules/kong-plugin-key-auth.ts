import { HEADER_NAME } from './field-schema';
import { pluginSchemaRule } from './plugin-rule';

/**
 * key-auth's config as Kong 3.9.3 defines it: kong/plugins/key-auth/schema.lua
 * (`key_names` an array of `typedefs.header_name`, `realm` a string, the booleans; the plugin
 * carries `consumer = typedefs.no_consumer`).
 */
export const keyAuthSchema = pluginSchemaRule({
  id: 'kong/key-auth-schema',
  plugin: 'key-auth',
  description: "key-auth's config fields, types and header-name syntax; not consumer-scoped",
  source: 'Kong 3.9.3 kong/plugins/key-auth/schema.lua; kong/db/schema/typedefs.lua (header_name)',
  noConsumer: true,
  configFields: {
    key_names: { type: 'array', elements: HEADER_NAME, lenMin: 1 },
    hide_credentials: { type: 'boolean' },
    anonymous: { type: 'string' },
    key_in_header: { type: 'boolean' },
    key_in_query: { type: 'boolean' },
    key_in_body: { type: 'boolean' },
    run_on_preflight: { type: 'boolean' },
    realm: { type: 'string' },
  },
});
