import type { FieldSpec } from './field-schema';
import type { Json, KongRule } from './model';
import { pluginSchemaRule } from './plugin-rule';

const PHASES = ['certificate', 'rewrite', 'access', 'header_filter', 'body_filter', 'log'] as const;
const phaseFunctions: FieldSpec = { type: 'array', elements: { type: 'string' } };

/**
 * The serverless plugins' config as Kong 3.9.3 defines it: kong/plugins/pre-function/_schema.lua,
 * shared by pre-function and post-function (one array of Lua source strings per phase,
 * `at_least_one_of` the phases, `consumer = typedefs.no_consumer`).
 * Stricter than Kong on one point: an empty phase array counts as absent here (Kong fills `{}`
 * defaults), because a function plugin without any function is a mistake either way.
 * Kong also compiles each function (`loadstring`); `__tests__/kong-config/serverless-lua.test.ts`
 * runs them under LuaJIT with a stubbed `kong`, and `deck gateway validate` / the smoke test on Kong.
 */
function serverlessSchema(plugin: 'pre-function' | 'post-function'): KongRule {
  return pluginSchemaRule({
    id: `kong/${plugin}-schema`,
    plugin,
    description: `${plugin}'s phases are arrays of Lua strings, at least one phase; not consumer-scoped`,
    source: 'Kong 3.9.3 kong/plugins/pre-function/_schema.lua (post-function/schema.lua uses it)',
    noConsumer: true,
    configFields: Object.fromEntries(PHASES.map((p) => [p, phaseFunctions])),
    configChecks: (c: Json) =>
      PHASES.some((p) => Array.isArray(c[p]) && c[p].length > 0)
        ? []
        : [`at least one of ${PHASES.join(', ')} must hold a function`],
  });
}

export const preFunctionSchema = serverlessSchema('pre-function');
export const postFunctionSchema = serverlessSchema('post-function');
