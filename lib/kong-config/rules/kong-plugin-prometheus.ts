import { pluginSchemaRule } from './plugin-rule';

/**
 * prometheus's config as Kong 3.9.3 defines it: kong/plugins/prometheus/schema.lua (booleans, all
 * defaulting to false; no consumer restriction; the shared dict check is Kong's own). `ai_metrics`
 * appears in the 3.9-era schema; the rendered file does not set it.
 */
export const prometheusSchema = pluginSchemaRule({
  id: 'kong/prometheus-schema',
  plugin: 'prometheus',
  description: "prometheus's config fields and their types",
  source: 'Kong 3.9.3 kong/plugins/prometheus/schema.lua',
  configFields: {
    per_consumer: { type: 'boolean' },
    status_code_metrics: { type: 'boolean' },
    ai_metrics: { type: 'boolean' },
    latency_metrics: { type: 'boolean' },
    bandwidth_metrics: { type: 'boolean' },
    upstream_health_metrics: { type: 'boolean' },
  },
});
