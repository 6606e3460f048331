import { NAME, TAGS, checkRecord, type FieldSpec } from './field-schema';
import type { KongRule } from './model';
import { PROTOCOLS } from './kong-services';

const HTTP_METHOD: FieldSpec = { type: 'string', pattern: /^[A-Z]+$/ };

const ROUTE_FIELDS: Readonly<Record<string, FieldSpec>> = {
  id: { type: 'string' },
  created_at: { type: 'integer' },
  updated_at: { type: 'integer' },
  name: NAME,
  protocols: { type: 'set', lenMin: 1, elements: { type: 'string', oneOf: PROTOCOLS } },
  methods: { type: 'set', elements: HTTP_METHOD },
  hosts: { type: 'array', elements: { type: 'string' } },
  // typedefs.router_paths: a plain path starts with "/", a regex path with "~/".
  paths: { type: 'array', elements: { type: 'string', pattern: /^(\/|~\/)/ } },
  headers: { type: 'nested' },
  https_redirect_status_code: { type: 'integer', oneOf: [426, 301, 302, 307, 308] },
  regex_priority: { type: 'integer' },
  strip_path: { type: 'boolean' },
  path_handling: { type: 'string', oneOf: ['v0', 'v1'] },
  preserve_host: { type: 'boolean' },
  request_buffering: { type: 'boolean' },
  response_buffering: { type: 'boolean' },
  snis: { type: 'set', elements: { type: 'string' } },
  sources: { type: 'nested' },
  destinations: { type: 'nested' },
  tags: TAGS,
  service: { type: 'string' }, // decK: the service's name on a top-level route
  plugins: { type: 'nested' }, // checked by the plugin rules
};

const EXCLUSIVE_PROTOCOL_SETS = [
  ['http', 'https'],
  ['tcp', 'tls', 'udp'],
  ['tls_passthrough'],
  ['grpc', 'grpcs'],
];

/**
 * Routes as Kong 3.9.3 defines them for its default `traditional_compatible` router:
 * kong/db/schema/entities/routes.lua (`protocols` a non-empty set from mutually exclusive groups,
 * `paths` typedefs.router_paths, `https_redirect_status_code` one_of, `path_handling` v0/v1,
 * booleans, `snis` only with https/grpcs/tls/tls_passthrough), and the http subschema of
 * kong/db/schema/entities/routes_subschemas.lua (at least one of methods, hosts, headers, paths).
 */
export const routeSchema: KongRule = {
  id: 'kong/route-schema',
  description: 'route fields, protocols, paths, buffering flags and the snis condition',
  source:
    'Kong 3.9.3 kong/db/schema/entities/routes.lua, routes_subschemas.lua; kong/db/schema/typedefs.lua (router_paths)',
  check(model) {
    return model.routes.flatMap(({ raw, where }) => {
      const problems = checkRecord(raw, ROUTE_FIELDS, where);
      const protocols: string[] = Array.isArray(raw?.protocols) ? raw.protocols : ['http', 'https'];
      const groups = EXCLUSIVE_PROTOCOL_SETS.filter((g) => protocols.some((p) => g.includes(p)));
      if (groups.length > 1)
        problems.push(`${where}.protocols: ${protocols.join(', ')} mix mutually exclusive protocols`);
      if (
        Array.isArray(raw?.snis) &&
        raw.snis.length > 0 &&
        !protocols.some((p) => ['grpcs', 'https', 'tls', 'tls_passthrough'].includes(p))
      ) {
        problems.push(
          `${where}.snis: can only be set when protocols is grpcs, https, tls or tls_passthrough`,
        );
      }
      if (raw?.headers && typeof raw.headers === 'object') {
        for (const h of Object.keys(raw.headers)) {
          problems.push(...(/^host$/i.test(h) ? [`${where}.headers: cannot contain 'host'`] : []));
          if (!/^[A-Za-z0-9_-]+$/.test(h)) problems.push(`${where}.headers.${h}: invalid header name`);
        }
      }
      const routing = ['methods', 'hosts', 'paths', 'headers', 'snis', 'sources', 'destinations'];
      if (!routing.some((f) => raw?.[f] !== undefined && raw?.[f] !== null)) {
        problems.push(`${where}: must set at least one of methods, hosts, headers, paths (http routes)`);
      }
      return problems;
    });
  },
};
