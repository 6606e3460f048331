/**
 * The pure parts of Kong's ECS task: image references, Kong's environment, and the shell scripts
 * of the helper containers. Kept apart from the construct so tests can read them as data.
 *
 * Nothing here can run in this repository's CI (no Docker, no AWS); docs/runbooks/upgrade-kong.md
 * says which behaviour was verified on a real Kong and which only on paper.
 */
import { createHash } from 'crypto';
import { KONG_ACCESS_LOG_ENVIRONMENT } from './kong-access-log';
import { CONFIG_SYNC_FAILED_LINE } from '../../contracts/log-lines';

/** Ports of the Kong container, fixed across the project. */
export const KONG_PORTS = { proxy: 8000, status: 8100, admin: 8001 } as const;
/** Kong's prefix (nginx config, pids, sockets) on a task volume: the root filesystem is read-only. */
export const KONG_PREFIX = '/var/run/kong';
/** Container names inside the task. */
export const CONTAINERS = {
  volumeInit: 'volume-init',
  migrations: 'kong-migrations',
  kong: 'kong',
  configSync: 'config-sync',
} as const;
/** Environment variable that carries the rendered decK file (base64) to the config-sync container. */
export const DECK_CONFIG_ENV = 'KONG_GATEWAY_DECK_CONFIG_B64';

/**
 * Environment variable of the config-sync container that carries a digest of the credential
 * generations ({@link credentialVersionsDigest}). ECS reads secrets only when a task starts, and the
 * secret references (`<arn>:current::`) do not change when a key does, so without this a new key
 * generation would leave the task definition byte-identical and nothing would roll out.
 */
export const CREDENTIAL_VERSIONS_ENV = 'KONG_GATEWAY_CREDENTIAL_VERSIONS_SHA256';

/** Names in a credential-version map: `consumer/<name>`, `database/password`, ... */
const CREDENTIAL_NAME = /^[a-z][a-z0-9-]*(\/[a-z0-9][a-z0-9-]*)*$/;

/**
 * SHA-256 (hex) of the credential generations a Kong task reads at start, e.g.
 * `{ "consumer/acme-app": 3, "database/password": 1 }`. Only the version numbers go in, never a
 * key, so the digest is as public as the stage file. The input is sorted first: the same versions
 * always give the same digest, and any raised version gives another, which replaces the task
 * definition and so rolls the service (docs/runbooks/rotate-consumer-key.md). Throws for a name
 * outside `CREDENTIAL_NAME` or a version that is not a positive integer.
 */
export function credentialVersionsDigest(versions: Readonly<Record<string, number>>): string {
  const names = Object.keys(versions).sort();
  if (names.length === 0) throw new Error('credentialVersionsDigest: no credential versions given');
  const lines = names.map((name) => {
    const version = versions[name]!;
    if (!CREDENTIAL_NAME.test(name)) {
      throw new Error(
        `credentialVersionsDigest: "${name}" is not a credential name such as "consumer/acme-app"`,
      );
    }
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new Error(
        `credentialVersionsDigest: the version of "${name}" must be a positive integer, got ${version}`,
      );
    }
    return `${name}=${version}`;
  });
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

/** Docker Hub's registry, as the pull-through cache rule names it. */
export const DOCKER_HUB_REGISTRY = 'registry-1.docker.io';

/**
 * The repository path of a Docker Hub image, or undefined for another registry:
 * `kong:3.9.3` -> `library/kong:3.9.3`, `kong/deck:v1.49.0` -> `kong/deck:v1.49.0`,
 * `docker.io/library/kong:3.9.3` -> `library/kong:3.9.3`, `public.ecr.aws/x/y:1` -> undefined.
 */
export function dockerHubPath(image: string): string | undefined {
  const parts = image.split('/');
  const first = parts[0]!;
  const hasRegistry =
    parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry) {
    if (first !== 'docker.io' && first !== 'index.docker.io' && first !== DOCKER_HUB_REGISTRY)
      return undefined;
    parts.shift();
  }
  return parts.length === 1 ? `library/${parts[0]}` : parts.join('/');
}

/** Where the pull-through cache serves Docker Hub images from. */
export interface PullThroughCache {
  /** `<account>.dkr.ecr.<region>.amazonaws.com` (may hold tokens). */
  readonly registryHost: string;
  /** The cache rule's repository prefix. */
  readonly prefix: string;
}

/**
 * The image reference a task pulls: Docker Hub images through the cache when there is one
 * (`<registry>/<prefix>/library/kong:3.9.3`), anything else unchanged.
 */
export function resolveImage(image: string, cache: PullThroughCache | undefined): string {
  const path = dockerHubPath(image);
  if (!cache || path === undefined) return image;
  return `${cache.registryHost}/${cache.prefix}/${path}`;
}

/** What Kong's environment depends on. */
export interface KongEnvironmentOptions {
  /** The database's non-secret Kong settings (`KONG_DATABASE`, `KONG_PG_*`, trusted CAs). */
  readonly database: Readonly<Record<string, string>>;
  /**
   * The ALB's subnets: the only peers whose X-Forwarded-For Kong believes (`KONG_TRUSTED_IPS`).
   * Not the whole VPC: a compromised task elsewhere in it could then pose as any client IP (and so
   * dodge the key guard's per-IP count).
   */
  readonly trustedCidrs: readonly string[];
  /** Task CPU units; one nginx worker per vCPU (nginx `auto` sees the host's CPUs). */
  readonly cpu: number;
  /** Largest request body in MiB. */
  readonly maxRequestBodyMiB: number;
  /** The load balancer's idle timeout: Kong keeps client connections open longer than that. */
  readonly loadBalancerIdleTimeoutSeconds: number;
  /** Seconds nginx waits for in-flight requests after the stop signal (below ECS's stopTimeout). */
  readonly workerShutdownTimeoutSeconds: number;
}

/**
 * Checks the database settings handed to Kong: Postgres mode, TLS on at 1.2 or later, no password,
 * a trusted CA list when the certificate is verified, nothing but Kong settings. Returns the
 * problems found.
 */
export function databaseEnvironmentProblems(env: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  for (const name of ['KONG_PG_HOST', 'KONG_PG_PORT', 'KONG_PG_DATABASE', 'KONG_PG_USER']) {
    if (!env[name]) problems.push(`${name} is missing`);
  }
  if (env.KONG_DATABASE !== 'postgres')
    problems.push(`KONG_DATABASE must be "postgres", got "${env.KONG_DATABASE}"`);
  if (env.KONG_PG_SSL !== 'on')
    problems.push('KONG_PG_SSL must be "on": the database connection is always encrypted');
  // Absent is Kong's default (tlsv1_2); `tlsv1_1` or `any` would let a downgrade through.
  if (env.KONG_PG_SSL_VERSION !== undefined && !['tlsv1_2', 'tlsv1_3'].includes(env.KONG_PG_SSL_VERSION))
    problems.push(`KONG_PG_SSL_VERSION must be "tlsv1_2" or "tlsv1_3", got "${env.KONG_PG_SSL_VERSION}"`);
  if (env.KONG_PG_SSL_VERIFY === 'on' && !/^system,./.test(env.KONG_LUA_SSL_TRUSTED_CERTIFICATE ?? '')) {
    problems.push(
      'KONG_PG_SSL_VERIFY=on needs KONG_LUA_SSL_TRUSTED_CERTIFICATE="system,<RDS CA bundle>" (system first, or TLS to other peers fails)',
    );
  }
  for (const name of Object.keys(env)) {
    if (!name.startsWith('KONG_')) problems.push(`${name} is not a Kong setting`);
    if (/PASSWORD/.test(name)) problems.push(`${name} must come from ECS secrets, not the environment`);
  }
  return problems;
}

/** nginx workers for a task size: one per vCPU, at least one. */
export function workerProcesses(cpu: number): number {
  return Math.max(1, Math.floor(cpu / 1024));
}

/**
 * nginx's `client_max_body_size` for a body limit of `maxRequestBodyMiB`: EQUAL to the
 * `request-size-limiting` plugin's limit (both count 2^20 bytes per MiB; CONTRACTS: nginx = plugin).
 * nginx then answers a declared Content-Length above it with 413 before any plugin runs, with or
 * without `Expect: 100-continue`, and a chunked body over it gets 413 too. With nginx one MiB
 * above (the earlier choice, meant to let the plugin answer), curl's `Expect: 100-continue` got
 * `100 Continue`, then the plugin's 417, then 400 for the body read as a next request (measured
 * on Kong 3.9.3, issue 14).
 */
export function nginxClientMaxBodySize(maxRequestBodyMiB: number): string {
  return `${maxRequestBodyMiB}m`;
}

/** Bytes an nginx size such as `8m` / `512k` / `1024` stands for (nginx's `ngx_parse_offset`). */
export function nginxSizeBytes(size: string): number {
  const m = /^(\d+)([kKmMgG]?)$/.exec(size);
  if (!m) throw new Error(`"${size}" is not an nginx size`);
  const unit = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * unit;
}

/** The database part of Kong's environment; the migrations container needs exactly this. */
export function kongDatabaseEnvironment(o: KongEnvironmentOptions): Record<string, string> {
  return { ...o.database, KONG_PREFIX, KONG_LOG_LEVEL: 'notice' };
}

/** The Kong container's full environment (no secret: the password comes through ECS secrets). */
export function kongEnvironment(o: KongEnvironmentOptions): Record<string, string> {
  if (o.trustedCidrs.length === 0 || o.trustedCidrs.some((c) => c.endsWith('/0'))) {
    throw new Error(
      `Kong: trustedCidrs must name the load balancer's subnets, got [${o.trustedCidrs.join(', ')}]: an empty list ignores X-Forwarded-For, a /0 lets any client choose its address`,
    );
  }
  return {
    ...kongDatabaseEnvironment(o),
    // Kong's own default flags: one accept queue per worker, a deep backlog for bursts.
    KONG_PROXY_LISTEN: `0.0.0.0:${KONG_PORTS.proxy} reuseport backlog=16384`,
    KONG_STATUS_LISTEN: `0.0.0.0:${KONG_PORTS.status}`,
    // Loopback only: the config-sync container in the same task reaches it; nothing else can.
    // Not `off`: the Postgres TTL cleanup only runs on nodes with an admin listener.
    KONG_ADMIN_LISTEN: `127.0.0.1:${KONG_PORTS.admin}`,
    KONG_ADMIN_GUI_LISTEN: 'off',
    KONG_ANONYMOUS_REPORTS: 'off',
    KONG_REQUEST_DEBUG: 'off',
    KONG_HEADERS: 'X-Kong-Request-Id',
    KONG_TRUSTED_IPS: o.trustedCidrs.join(','),
    KONG_REAL_IP_HEADER: 'X-Forwarded-For',
    KONG_REAL_IP_RECURSIVE: 'on',
    KONG_NGINX_WORKER_PROCESSES: String(workerProcesses(o.cpu)),
    KONG_NGINX_HTTP_CLIENT_MAX_BODY_SIZE: nginxClientMaxBodySize(o.maxRequestBodyMiB),
    // Above the ALB's idle timeout, so the ALB (not Kong) closes idle connections: no 502s from
    // requests sent on a connection Kong is closing.
    KONG_NGINX_HTTP_KEEPALIVE_TIMEOUT: `${o.loadBalancerIdleTimeoutSeconds + 15}s`,
    KONG_NGINX_MAIN_WORKER_SHUTDOWN_TIMEOUT: `${o.workerShutdownTimeoutSeconds}s`,
    KONG_ERROR_DEFAULT_TYPE: 'application/json',
    KONG_PROXY_ERROR_LOG: '/dev/stderr',
    KONG_ADMIN_ACCESS_LOG: '/dev/stdout',
    KONG_ADMIN_ERROR_LOG: '/dev/stderr',
    // The proxy access log as one JSON object per line on stdout, which the 401/429 metric
    // filters read (ADR 0013); the status listener's log stays off (health checks every few
    // seconds from every ALB node, /metrics scrapes).
    ...KONG_ACCESS_LOG_ENVIRONMENT,
    KONG_STATUS_ERROR_LOG: '/dev/stderr',
  };
}

/**
 * Runs as root in the Kong image before anything else: Fargate bind-mount volumes are created
 * root-owned with mode 0755, and Kong runs as the unprivileged user `kong`.
 */
export const VOLUME_INIT_SCRIPT = [
  'set -eu',
  `chown kong:0 ${KONG_PREFIX} && chmod 0750 ${KONG_PREFIX}`,
  'chmod 1777 /tmp /deck-tmp',
  'echo "volume-init: prefix and scratch volumes ready"',
].join('\n');

/** Seconds the migrations container keeps trying before it gives up (and the task fails). */
export const MIGRATIONS_DEADLINE_SECONDS = 900;

/**
 * The migrations gate, run by a non-essential container before Kong starts (Kong depends on its
 * SUCCESS). `kong migrations list` decides, because the other commands' exit codes prove nothing
 * (a losing concurrent `up` exits 0 without doing anything):
 *   0 up to date -> done; 4 `up` done, `finish` pending (an upgrade in progress) -> done;
 *   3 empty database -> `bootstrap`; 5 new migrations -> `up`; anything else (database not
 *   reachable yet) -> wait. After each action it loops and asks `list` again, so a lost bootstrap
 *   race or a held cluster lock only costs one more round. `finish` never runs here: it breaks the
 *   previous Kong version, so an operator runs it after the rollout (docs/runbooks/upgrade-kong.md).
 */
export const MIGRATIONS_SCRIPT = [
  'set -u',
  `deadline=$(( $(date +%s) + ${MIGRATIONS_DEADLINE_SECONDS} ))`,
  'attempt=0',
  'while :; do',
  '  attempt=$((attempt + 1))',
  '  kong migrations list >/tmp/migrations-list.txt 2>&1',
  '  rc=$?',
  '  case "$rc" in',
  '    0) echo "migrations: schema up to date"; exit 0 ;;',
  '    4) echo "migrations: up is done, finish is pending; run the finish task once the rollout is complete"; exit 0 ;;',
  '    3) echo "migrations: empty database, bootstrapping (attempt $attempt)"; kong migrations bootstrap ;;',
  '    5) echo "migrations: new migrations, running up (attempt $attempt)"; kong migrations up ;;',
  '    *) echo "migrations: list exited $rc, database not ready (attempt $attempt)"; tail -n 5 /tmp/migrations-list.txt ;;',
  '  esac',
  '  if [ "$(date +%s)" -ge "$deadline" ]; then',
  '    echo "migrations: schema still not ready after $attempt attempts; giving up" >&2',
  '    exit 1',
  '  fi',
  '  sleep $(( attempt < 6 ? attempt * 5 : 30 ))',
  'done',
].join('\n');

/** Attempts the config-sync container makes before it gives up. */
export const CONFIG_SYNC_ATTEMPTS = 8;

/**
 * Decodes the rendered decK file and syncs it into Kong through the loopback admin API, retrying
 * with exponential backoff and jitter: a concurrent sync from another task (409 on a create, 404 on
 * a delete) or a not-yet-warm database fails one attempt, and the next diff is empty or smaller.
 * decK substitutes `${{ env "DECK_..." }}` values from the container's secrets and masks them.
 * Every way it gives up prints one line starting with {@link CONFIG_SYNC_FAILED_LINE}, which a
 * metric filter counts: Kong keeps its previous configuration and the task stays healthy.
 */
export function configSyncScript(adminUrl: string): string {
  return [
    'set -u',
    `printf '%s' "$${DECK_CONFIG_ENV}" | base64 -d > /tmp/kong.yaml || { echo "${CONFIG_SYNC_FAILED_LINE}: cannot decode ${DECK_CONFIG_ENV}" >&2; exit 1; }`,
    'echo "config-sync: decK file sha256 $(sha256sum /tmp/kong.yaml | cut -d" " -f1)"',
    // The task's credential generations: an operator watching a revocation finds the first task
    // of the new task definition by this value (docs/runbooks/rotate-consumer-key.md).
    `echo "config-sync: credential versions sha256 $(printenv ${CREDENTIAL_VERSIONS_ENV} || echo unset)"`,
    'attempt=1',
    'delay=2',
    'while :; do',
    `  if deck gateway sync --kong-addr ${adminUrl} /tmp/kong.yaml; then`,
    '    echo "config-sync: configuration applied (attempt $attempt)"',
    '    exit 0',
    '  fi',
    `  if [ "$attempt" -ge ${CONFIG_SYNC_ATTEMPTS} ]; then`,
    `    echo "${CONFIG_SYNC_FAILED_LINE}: giving up after $attempt attempts; Kong keeps its previous configuration" >&2`,
    '    exit 1',
    '  fi',
    // Jitter from the kernel: tasks that start in the same second must not retry in lockstep.
    '  jitter=$(( $(od -An -N1 -tu1 /dev/urandom | tr -d " ") % 5 ))',
    '  echo "config-sync: attempt $attempt failed; retrying in $((delay + jitter))s"',
    '  sleep $((delay + jitter))',
    '  attempt=$((attempt + 1))',
    '  delay=$(( delay < 32 ? delay * 2 : 60 ))',
    'done',
  ].join('\n');
}

/** Environment variables a decK file substitutes: `${{ env "DECK_X" }}` -> `DECK_X`. */
export function deckEnvReferences(deckConfig: string): string[] {
  const names = [...deckConfig.matchAll(/\$\{\{\s*env\s+"([A-Za-z0-9_]+)"\s*\}\}/g)].map((m) => m[1]!);
  return [...new Set(names)].sort();
}

/**
 * Environment variables Kong's env vault reads for references in a decK file:
 * `{vault://env/rate-limit-redis-password}` -> `RATE_LIMIT_REDIS_PASSWORD`.
 */
export function envVaultReferences(deckConfig: string): string[] {
  const names = [...deckConfig.matchAll(/\{vault:\/\/env\/([A-Za-z0-9_-]+)/g)].map((m) =>
    m[1]!.toUpperCase().replace(/-/g, '_'),
  );
  return [...new Set(names)].sort();
}
