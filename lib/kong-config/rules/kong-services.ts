import { HOST, NAME, NONZERO_TIMEOUT, PORT, TAGS, checkRecord, type FieldSpec } from './field-schema';
import type { KongRule } from './model';

/** `typedefs.protocol` values (kong/db/schema/typedefs.lua, constants.PROTOCOLS). */
export const PROTOCOLS = [
  'grpc',
  'grpcs',
  'http',
  'https',
  'tcp',
  'tls',
  'tls_passthrough',
  'udp',
  'ws',
  'wss',
];

const SERVICE_FIELDS: Readonly<Record<string, FieldSpec>> = {
  id: { type: 'string' },
  created_at: { type: 'integer' },
  updated_at: { type: 'integer' },
  name: NAME,
  retries: { type: 'integer', between: [0, 32767] },
  protocol: { type: 'string', oneOf: PROTOCOLS },
  host: { ...HOST, required: true },
  port: PORT,
  path: { type: 'string', startsWith: '/' },
  connect_timeout: NONZERO_TIMEOUT,
  write_timeout: NONZERO_TIMEOUT,
  read_timeout: NONZERO_TIMEOUT,
  tags: TAGS,
  client_certificate: { type: 'string' },
  tls_verify: { type: 'boolean' },
  tls_verify_depth: { type: 'integer', between: [0, 64] },
  ca_certificates: { type: 'array', elements: { type: 'string' } },
  enabled: { type: 'boolean' },
  routes: { type: 'nested' }, // checked by kong/route-schema
  plugins: { type: 'nested' }, // checked by the plugin rules
};

/**
 * Services as Kong 3.9.3 defines them: kong/db/schema/entities/services.lua (`retries` 0..32767,
 * `host` required, `port` typedefs.port, the three `nonzero_timeout`s 1..2^31-2 ms, `path`
 * starting with "/", TLS fields only with https/tls). decK nests `routes` and `plugins`.
 */
export const serviceSchema: KongRule = {
  id: 'kong/service-schema',
  description: 'service fields, types and ranges (retries, timeouts, host, port, path)',
  source: 'Kong 3.9.3 kong/db/schema/entities/services.lua; kong/db/schema/typedefs.lua',
  check(model) {
    return model.services.flatMap(({ raw, where }) => {
      const problems = checkRecord(raw, SERVICE_FIELDS, where);
      const protocol = raw?.protocol ?? 'http';
      for (const f of ['client_certificate', 'tls_verify', 'tls_verify_depth', 'ca_certificates']) {
        if (raw?.[f] !== undefined && raw?.[f] !== null && !['https', 'tls'].includes(protocol)) {
          problems.push(`${where}.${f}: only allowed with protocol https or tls`);
        }
      }
      if (raw?.path !== undefined && ['tcp', 'tls', 'udp', 'grpc', 'grpcs'].includes(protocol)) {
        problems.push(`${where}.path: must be null with protocol ${protocol}`);
      }
      return problems;
    });
  },
};
