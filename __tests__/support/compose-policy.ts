/**
 * Rules the local compose file must keep, as code: each returns the problems it finds in a parsed
 * compose document, so a test can show it passes on the real file and rejects a broken one.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ComposeDoc = any;

/** Resolves `${VAR:-default}` / `${VAR-default}` / `${VAR}` with an empty environment (the file's defaults). */
export function withDefaults(value: string): string {
  return value.replace(
    /\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}/g,
    (_m, _name: string, fallback?: string) => fallback ?? '',
  );
}

function services(doc: ComposeDoc): [string, ComposeDoc][] {
  return Object.entries(doc?.services ?? {});
}

/** Ports published to a non-loopback address, and any publication of Kong's admin ports. */
export function exposedPorts(doc: ComposeDoc): string[] {
  const problems: string[] = [];
  for (const [name, svc] of services(doc)) {
    for (const port of svc.ports ?? []) {
      const spec =
        typeof port === 'string'
          ? withDefaults(port)
          : `${port.host_ip ?? ''}:${port.published}:${port.target}`;
      const parts = spec.split(':');
      const target = Number(parts[parts.length - 1]!.split('/')[0]);
      if (parts.length < 3 || parts[0] !== '127.0.0.1')
        problems.push(`${name}: port "${spec}" is not bound to 127.0.0.1`);
      if (target === 8001 || target === 8444) problems.push(`${name}: publishes Kong's admin API (${spec})`);
    }
  }
  const adminListen = withDefaults(String(doc?.services?.kong?.environment?.KONG_ADMIN_LISTEN ?? ''));
  if (!/^127\.0\.0\.1:8001(\s|$)/.test(adminListen)) {
    problems.push(`kong: KONG_ADMIN_LISTEN is "${adminListen}", must be 127.0.0.1:8001`);
  }
  return problems;
}

/** Services of ours that must run with a read-only root filesystem, and Kong's writable paths. */
export function readOnlyRoots(doc: ComposeDoc, required: readonly string[]): string[] {
  const problems: string[] = [];
  for (const name of required) {
    const svc = doc?.services?.[name];
    if (!svc) problems.push(`${name}: missing`);
    else if (svc.read_only !== true) problems.push(`${name}: read_only is not true`);
  }
  for (const name of ['kong', 'kong-migrations']) {
    const svc = doc?.services?.[name];
    const prefix = withDefaults(String(svc?.environment?.KONG_PREFIX ?? ''));
    const tmpfs: string[] = (svc?.tmpfs ?? []).map((t: string) => t.split(':')[0]);
    if (!prefix) problems.push(`${name}: KONG_PREFIX is not set`);
    else if (!tmpfs.includes(prefix)) problems.push(`${name}: KONG_PREFIX ${prefix} is not a tmpfs`);
    if (!tmpfs.includes('/tmp')) problems.push(`${name}: /tmp is not a tmpfs`);
  }
  return problems;
}

const SECRET_NAME = /(PASSWORD|SECRET|TOKEN|_KEY$|APIKEY|CREDENTIAL)/i;

/**
 * Environment values that look like secrets written into the file: a variable named like a secret
 * whose value is a literal (not a `${...}` reference, a `_FILE` path under /run/secrets, or empty),
 * and any consumer key variable at all (those come from the env file only).
 */
export function literalSecrets(doc: ComposeDoc): string[] {
  const problems: string[] = [];
  for (const [name, svc] of services(doc)) {
    const env: Record<string, unknown> = Array.isArray(svc.environment)
      ? Object.fromEntries(
          svc.environment.map((e: string) => [e.split('=')[0], e.split('=').slice(1).join('=')]),
        )
      : (svc.environment ?? {});
    for (const [key, raw] of Object.entries(env)) {
      const value = raw === null || raw === undefined ? '' : String(raw);
      if (/^DECK_CONSUMER_/.test(key)) {
        problems.push(`${name}: ${key} is set in the file (consumer keys come from the env file)`);
        continue;
      }
      if (!SECRET_NAME.test(key)) continue;
      if (key.endsWith('_FILE') && value.startsWith('/run/secrets/')) continue;
      if (value === '' || /^\$\{[A-Z0-9_]+(:?-)?\}$/.test(value)) continue;
      problems.push(`${name}: ${key} has a literal value`);
    }
  }
  return problems;
}

/** Health checks on the long-running services and the start order through `depends_on` conditions. */
export function startOrder(doc: ComposeDoc): string[] {
  const problems: string[] = [];
  for (const name of ['postgres', 'kong', 'llm-gateway']) {
    const test = doc?.services?.[name]?.healthcheck?.test;
    if (!Array.isArray(test) || test.length < 2) problems.push(`${name}: no healthcheck`);
  }
  const expect = (svc: string, dep: string, condition: string): void => {
    const actual = doc?.services?.[svc]?.depends_on?.[dep]?.condition;
    if (actual !== condition) problems.push(`${svc}: depends_on ${dep} is "${actual}", must be ${condition}`);
  };
  expect('kong-migrations', 'postgres', 'service_healthy');
  expect('kong', 'postgres', 'service_healthy');
  expect('kong', 'kong-migrations', 'service_completed_successfully');
  expect('deck-sync', 'kong', 'service_healthy');
  return problems;
}
