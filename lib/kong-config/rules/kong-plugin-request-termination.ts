import { HEADER_NAME } from './field-schema';
import type { Json } from './model';
import { pluginSchemaRule } from './plugin-rule';

const present = (v: unknown): boolean => typeof v === 'string' && v.length > 0;

/**
 * request-termination's config as Kong 3.9.3 defines it:
 * kong/plugins/request-termination/schema.lua (`status_code` integer between 100 and 599, the
 * `custom_validator`: message excludes content_type/body, content_type requires body, echo excludes
 * both).
 */
export const requestTerminationSchema = pluginSchemaRule({
  id: 'kong/request-termination-schema',
  plugin: 'request-termination',
  description: "request-termination's fields and its message/body exclusions",
  source: 'Kong 3.9.3 kong/plugins/request-termination/schema.lua',
  configFields: {
    status_code: { type: 'integer', between: [100, 599] },
    message: { type: 'string' },
    content_type: { type: 'string' },
    body: { type: 'string' },
    echo: { type: 'boolean' },
    trigger: HEADER_NAME,
  },
  configChecks: (c: Json) => {
    const problems: string[] = [];
    if (present(c.message) && (present(c.content_type) || present(c.body))) {
      problems.push('message cannot be used with content_type or body');
    }
    if (present(c.content_type) && !present(c.body)) problems.push('content_type requires a body');
    if (c.echo === true && (present(c.content_type) || present(c.body))) {
      problems.push('echo cannot be used with content_type and body');
    }
    return problems;
  },
});
