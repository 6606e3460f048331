/**
 * A decK file flattened for rule checks: every service, route, consumer and plugin with its scope,
 * wherever the file nests it (decK allows plugins under services, routes, consumers or at the top
 * level, and routes under services or at the top level). Parse the file with
 * `parseDeckTemplate` first: env references appear as their template text (strings) or as
 * `{ $env, $as: "int" }` markers (integers).
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** Where a plugin instance applies (names, as decK references them). */
export interface PluginScope {
  readonly service?: string;
  readonly route?: string;
  readonly consumer?: string;
}

/** A plugin instance with its scope and where it sits in the file. */
export interface PluginInstance {
  readonly name: string;
  readonly config: Json;
  readonly raw: Json;
  readonly scope: PluginScope;
  /** e.g. `services[0].plugins[1]`, for messages. */
  readonly where: string;
}

/** A route with the service it reaches (undefined: none). */
export interface RouteEntry {
  readonly raw: Json;
  readonly name: string | undefined;
  readonly service: string | undefined;
  readonly where: string;
}

/** A consumer; `ref` is how plugins name it in {@link PluginScope} (username, else id, else custom_id). */
export interface ConsumerEntry {
  readonly raw: Json;
  readonly username: string | undefined;
  readonly ref: string | undefined;
  readonly where: string;
}

/** The flattened file. */
export interface DeckModel {
  readonly raw: Json;
  readonly services: { raw: Json; name: string | undefined; where: string }[];
  readonly routes: RouteEntry[];
  readonly consumers: ConsumerEntry[];
  readonly plugins: PluginInstance[];
}

const arr = (v: Json): Json[] => (Array.isArray(v) ? v : []);
const refName = (v: Json): string | undefined =>
  typeof v === 'string'
    ? v
    : typeof v?.name === 'string'
      ? v.name
      : typeof v?.id === 'string'
        ? v.id
        : undefined;

function pluginsOf(list: Json, scope: PluginScope, where: string): PluginInstance[] {
  return arr(list).map((p, i) => ({
    name: p?.name,
    config: p?.config ?? {},
    raw: p,
    scope: {
      service: scope.service ?? refName(p?.service),
      route: scope.route ?? refName(p?.route),
      consumer: scope.consumer ?? refName(p?.consumer),
    },
    where: `${where}.plugins[${i}]`,
  }));
}

/** Flattens a parsed decK file. */
export function deckModel(file: Json): DeckModel {
  const services: DeckModel['services'] = [];
  const routes: RouteEntry[] = [];
  const consumers: DeckModel['consumers'] = [];
  const plugins: PluginInstance[] = [];

  arr(file?.services).forEach((s, i) => {
    const where = `services[${i}]`;
    services.push({ raw: s, name: s?.name, where });
    plugins.push(...pluginsOf(s?.plugins, { service: s?.name }, where));
    arr(s?.routes).forEach((r, j) => {
      const rWhere = `${where}.routes[${j}]`;
      routes.push({ raw: r, name: r?.name, service: s?.name, where: rWhere });
      plugins.push(...pluginsOf(r?.plugins, { route: r?.name }, rWhere));
    });
  });
  arr(file?.routes).forEach((r, i) => {
    const where = `routes[${i}]`;
    routes.push({ raw: r, name: r?.name, service: refName(r?.service), where });
    plugins.push(...pluginsOf(r?.plugins, { route: r?.name }, where));
  });
  arr(file?.consumers).forEach((c, i) => {
    const where = `consumers[${i}]`;
    const ref = [c?.username, c?.id, c?.custom_id].find((v): v is string => typeof v === 'string');
    consumers.push({ raw: c, username: c?.username, ref, where });
    plugins.push(...pluginsOf(c?.plugins, { consumer: ref }, where));
  });
  plugins.push(...pluginsOf(file?.plugins, {}, ''));
  return { raw: file, services, routes, consumers, plugins };
}

/**
 * The instance of `pluginName` that Kong runs for requests on `route` when no consumer is known:
 * the most specific of route, service, global (Kong's plugin precedence).
 */
export function effectivePlugin(
  model: DeckModel,
  route: RouteEntry,
  pluginName: string,
): PluginInstance | undefined {
  const candidates = model.plugins.filter((p) => p.name === pluginName && p.scope.consumer === undefined);
  return (
    candidates.find((p) => p.scope.route !== undefined && p.scope.route === route.name) ??
    candidates.find(
      (p) =>
        p.scope.route === undefined && p.scope.service !== undefined && p.scope.service === route.service,
    ) ??
    candidates.find((p) => p.scope.route === undefined && p.scope.service === undefined)
  );
}

/**
 * The consumer a key-auth `anonymous` value names: Kong looks it up by id, then by username
 * (`kong.client.load_consumer(anonymous, true)`).
 */
export function anonymousConsumer(model: DeckModel, anonymous: unknown): ConsumerEntry | undefined {
  if (typeof anonymous !== 'string' || anonymous === '') return undefined;
  return (
    model.consumers.find((c) => c.raw?.id === anonymous) ??
    model.consumers.find((c) => c.username === anonymous)
  );
}

/** Consumers some key-auth falls back to (`anonymous`): guards, not callers. */
export function anonymousConsumers(model: DeckModel): Set<ConsumerEntry> {
  const found = new Set<ConsumerEntry>();
  for (const p of model.plugins.filter((x) => x.name === 'key-auth')) {
    const c = anonymousConsumer(model, p.config?.anonymous);
    if (c) found.add(c);
  }
  return found;
}

/** True when a route hands requests to an upstream: it has a service and nothing terminates it first. */
export function reachesUpstream(model: DeckModel, route: RouteEntry): boolean {
  return route.service !== undefined && effectivePlugin(model, route, 'request-termination') === undefined;
}

/** The routes that hand requests to an upstream: each has a service and nothing terminates it first. */
export function upstreamRoutes(model: DeckModel): RouteEntry[] {
  return model.routes.filter((route) => reachesUpstream(model, route));
}

/** A named rule over a decK file; `check` returns one line per violation (empty: compliant). */
export interface KongRule {
  /** Short identifier, `kong/...` for Kong's own schema rules, `policy/...` for ours. */
  readonly id: string;
  /** What the rule checks. */
  readonly description: string;
  /** Where the rule comes from: the Kong 3.9.3 schema file(s) it encodes, or why it is our policy. */
  readonly source: string;
  check(model: DeckModel): string[];
}
