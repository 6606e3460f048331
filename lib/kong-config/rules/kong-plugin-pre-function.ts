import type { FieldSpec } from './field-schema';
import type { Json } from './model';
import { pluginSchemaRule } from './plugin-rule';

const PHASES = ['certificate', 'rewrite', 'access', 'header_filter', 'body_filter', 'log'] as const;
const phaseFunctions: FieldSpec = { type: 'array', elements: { type: 'string' } };

/**
 * pre-function's config as Kong 3.9.3 defines it: kong/plugins/pre-function/_schema.lua (one array
 * of Lua source strings per phase, `at_least_one_of` the phases, `consumer = typedefs.no_consumer`).
 * Stricter than Kong on one point: an empty phase array counts as absent here (Kong fills `{}`
 * defaults), because a pre-function without any function is a mistake either way.
 * Kong also compiles each function (`loadstring`); that needs Lua and is left to `deck gateway
 * validate` / the smoke test.
 */
export const preFunctionSchema = pluginSchemaRule({
  id: 'kong/pre-function-schema',
  plugin: 'pre-function',
  description: "pre-function's phases are arrays of Lua strings, at least one phase; not consumer-scoped",
  source: 'Kong 3.9.3 kong/plugins/pre-function/_schema.lua',
  noConsumer: true,
  configFields: Object.fromEntries(PHASES.map((p) => [p, phaseFunctions])),
  configChecks: (c: Json) =>
    PHASES.some((p) => Array.isArray(c[p]) && c[p].length > 0)
      ? []
      : [`at least one of ${PHASES.join(', ')} must hold a function`],
});
