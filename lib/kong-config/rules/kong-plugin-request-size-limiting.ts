import { pluginSchemaRule } from './plugin-rule';

/** `size_units` of kong/plugins/request-size-limiting/handler.lua (1 megabyte = 2^20 bytes). */
export const SIZE_UNITS = ['megabytes', 'kilobytes', 'bytes'] as const;

/**
 * request-size-limiting's config as Kong 3.9.3 defines it:
 * kong/plugins/request-size-limiting/schema.lua (`allowed_payload_size` an integer, `size_unit`
 * one_of the handler's `size_units`, `require_content_length` a boolean). Kong sets no bound on
 * the size; a size <= 0 would reject every body, which the policy rule on body limits catches.
 */
export const requestSizeLimitingSchema = pluginSchemaRule({
  id: 'kong/request-size-limiting-schema',
  plugin: 'request-size-limiting',
  description: "request-size-limiting's fields: integer size, known unit",
  source: 'Kong 3.9.3 kong/plugins/request-size-limiting/schema.lua and handler.lua (size_units)',
  configFields: {
    allowed_payload_size: { type: 'integer' },
    size_unit: { type: 'string', oneOf: SIZE_UNITS },
    require_content_length: { type: 'boolean' },
  },
});
