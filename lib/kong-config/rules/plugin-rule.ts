/**
 * Builds the rule for one plugin's schema: every instance of the plugin, wherever it sits, must
 * have a config Kong accepts (fields transcribed from the plugin's `schema.lua`), plus the plugin's
 * own cross-field checks (`custom_validator`, `entity_checks`) and scope restrictions
 * (`typedefs.no_consumer`).
 */
import { checkRecord, type FieldSpec } from './field-schema';
import type { Json, KongRule, PluginInstance } from './model';

/** Fields every plugin entity has (kong/db/schema/entities/plugins.lua) beside `config`. */
const PLUGIN_ENTITY_FIELDS = new Set([
  'id',
  'name',
  'instance_name',
  'created_at',
  'updated_at',
  'route',
  'service',
  'consumer',
  'consumer_group',
  'config',
  'protocols',
  'enabled',
  'tags',
  'ordering',
]);
const HTTP_PROTOCOLS = ['grpc', 'grpcs', 'http', 'https'];

/** What a plugin schema rule needs. */
export interface PluginSchemaRuleOptions {
  readonly id: string;
  readonly plugin: string;
  readonly description: string;
  readonly source: string;
  /** `config` fields of the plugin's schema.lua. */
  readonly configFields: Readonly<Record<string, FieldSpec>>;
  /** The plugin's `custom_validator` / `entity_checks`, on a config that passed the field checks. */
  readonly configChecks?: (config: Json) => string[];
  /** `{ consumer = typedefs.no_consumer }`: the plugin cannot be scoped to a consumer. */
  readonly noConsumer?: boolean;
}

export function pluginSchemaRule(options: PluginSchemaRuleOptions): KongRule {
  return {
    id: options.id,
    description: options.description,
    source: options.source,
    check(model) {
      return model.plugins
        .filter((p) => p.name === options.plugin)
        .flatMap((p: PluginInstance) => {
          const problems = Object.keys(p.raw ?? {})
            .filter((k) => !PLUGIN_ENTITY_FIELDS.has(k))
            .map((k) => `${p.where}.${k}: unknown field`);
          if (options.noConsumer && p.scope.consumer !== undefined) {
            problems.push(`${p.where}: ${options.plugin} cannot be configured on a consumer`);
          }
          for (const proto of (p.raw?.protocols ?? []) as unknown[]) {
            if (!HTTP_PROTOCOLS.includes(String(proto))) {
              problems.push(
                `${p.where}.protocols: ${String(proto)} is not an HTTP protocol (protocols_http)`,
              );
            }
          }
          const fieldProblems = checkRecord(p.config, options.configFields, `${p.where}.config`);
          problems.push(...fieldProblems);
          if (fieldProblems.length === 0 && options.configChecks) {
            problems.push(...options.configChecks(p.config).map((m) => `${p.where}.config: ${m}`));
          }
          return problems;
        });
    },
  };
}
