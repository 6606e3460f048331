import { anonymousConsumer, type KongRule } from './model';

/**
 * Names that entities reference must exist, and names must be unique per entity type: decK
 * resolves `service` / `route` / `consumer` references by name before it talks to Kong
 * (Kong/go-database-reconciler pkg/file/builder.go), and Kong's `name` fields are unique
 * (kong/db/schema/entities/services.lua and routes.lua, `typedefs.utf8_name` with `unique = true`).
 */
export const referencesResolve: KongRule = {
  id: 'kong/references-resolve',
  description: 'unique service and route names; every referenced service, route and consumer exists',
  source:
    'Kong 3.9.3 kong/db/schema/entities/services.lua, routes.lua (unique names); Kong/go-database-reconciler pkg/file/builder.go',
  check(model) {
    const problems: string[] = [];
    const unique = (kind: string, entries: { name: string | undefined; where: string }[]): Set<string> => {
      const names = new Set<string>();
      for (const e of entries) {
        if (e.name === undefined) continue;
        if (names.has(e.name)) problems.push(`${e.where}.name: ${kind} "${e.name}" is declared twice`);
        names.add(e.name);
      }
      return names;
    };
    const services = unique('service', model.services);
    const routes = unique('route', model.routes);
    const consumers = new Set(model.consumers.map((c) => c.ref).filter((u): u is string => !!u));
    for (const r of model.routes) {
      if (r.service !== undefined && !services.has(r.service))
        problems.push(`${r.where}.service: no service "${r.service}"`);
    }
    for (const p of model.plugins) {
      if (p.scope.service !== undefined && !services.has(p.scope.service))
        problems.push(`${p.where}: no service "${p.scope.service}"`);
      if (p.scope.route !== undefined && !routes.has(p.scope.route))
        problems.push(`${p.where}: no route "${p.scope.route}"`);
      if (p.scope.consumer !== undefined && !consumers.has(p.scope.consumer))
        problems.push(`${p.where}: no consumer "${p.scope.consumer}"`);
      if (
        p.name === 'key-auth' &&
        p.config?.anonymous !== undefined &&
        !anonymousConsumer(model, p.config.anonymous)
      )
        problems.push(
          `${p.where}.config.anonymous: no consumer with id or username "${String(p.config.anonymous)}"`,
        );
    }
    return problems;
  },
};
